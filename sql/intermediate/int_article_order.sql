-- one row per staged article, with its place in the order "who had it first": articles
-- already published (re-processed now as a new version) before new ones, then as this run
-- saw them
with articles as (
    select * from staging.articles
),

published_ids as (
    select article_id from published.articles
),

final as (
    select
        articles.article_id,
        row_number() over (
            order by articles.article_id not in (select article_id from published_ids),
                articles.seq
        ) as first_seen_rank
    from articles
)

select * from final
