-- the articles of the batch without an article_id: the last validation chunk
with articles as (
    select {columns}, rowid as storage_order from audit.articles
),

chunk as (
    select * from articles
    where article_id is null
)

select * exclude (storage_order) from chunk order by storage_order
