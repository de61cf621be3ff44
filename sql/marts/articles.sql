-- one row per article about to be published, duplicates of an earlier body included; built
-- for a part of the staged articles at a time ({chunk}: see copydesk.audit)
with articles as (
    select * from {chunk}
),

duplicates as (
    select * from audit.int_article_duplicates
),

paragraphs as (
    select * from audit.paragraphs
    semi join articles using (article_id)
),

bodies as (
    select
        article_id,
        string_agg(paragraph_text, chr(10) || chr(10) order by position) as body,
        sum(word_count) as word_count
    from paragraphs
    group by article_id
),

final as (
    select
        articles.article_id,
        articles.source_file,
        articles.item,
        articles.version,
        articles.source,
        articles.url,
        articles.title,
        articles.authors,
        try_cast(articles.published_at as timestamp) as published_at,
        articles.language,
        coalesce(bodies.body, '') as body,
        articles.captions,
        coalesce(bodies.word_count, 0)::integer as word_count,
        articles.truncated,
        duplicates.duplicate_of,
        articles.body_hash,
        $run_id as run_id
    from articles
    join duplicates using (article_id)
    left join bodies using (article_id)
)

select * from final
