-- the articles of one validation chunk (see article_chunks.sql), in the batch's order; only
-- the columns the suite reads
with articles as (
    select {columns}, rowid as storage_order from audit.articles
),

chunk as (
    select * from articles
    where article_id between $first_id and $last_id
)

select * exclude (storage_order) from chunk order by article_id, storage_order
