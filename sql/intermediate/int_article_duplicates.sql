-- one row per staged article, with the article that already holds the same body:
-- a published one first, else the first in int_article_order
with articles as (
    select * from staging.articles
),

article_order as (
    select * from audit.int_article_order
),

published_copies as (
    -- articles re-processed in this run do not count as copies of themselves
    select body_hash, min(article_id) as article_id
    from published.articles
    where duplicate_of is null
        and article_id not in (select article_id from articles)
    group by body_hash
),

final as (
    select
        articles.article_id,
        coalesce(
            published_copies.article_id,
            nullif(
                first_value(articles.article_id) over (
                    partition by articles.body_hash order by article_order.first_seen_rank
                ),
                articles.article_id
            )
        ) as duplicate_of
    from articles
    join article_order using (article_id)
    left join published_copies using (body_hash)
)

select * from final
