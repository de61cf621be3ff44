-- the articles of one validation chunk (see article_chunks.sql), in storage order; only the
-- columns the suite reads
with articles as (
    select {columns}, rowid as row_number from audit.articles
),

chunk as (
    select * from articles
    where row_number >= $first_row and row_number <= $last_row
)

select * exclude (row_number) from chunk order by row_number
