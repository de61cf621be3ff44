-- one row per chunk of the audit batch that validation reads at once: $chunk_rows articles
-- in article_id order (every copy of an id in one chunk, so chunks may run a little over), and
-- the articles without an id in a chunk of their own at the end; offset is the place of the
-- chunk's first article in the whole batch
with articles as (
    select article_id from audit.articles
),

ranked as (
    select
        article_id,
        rank() over (order by article_id) - 1 as position
    from articles
),

numbered as (
    select
        article_id,
        position,
        case when article_id is not null then position // $chunk_rows end as chunk
    from ranked
),

chunks as (
    select
        chunk,
        min(article_id) as first_id,
        max(article_id) as last_id,
        min(position) as row_offset,
        count(*) as articles
    from numbered
    group by chunk
)

select first_id, last_id, row_offset, articles from chunks order by chunk nulls last
