-- one row per chunk of the audit batch that validation reads at once: $chunk_rows articles in
-- storage order (the order the run staged them in), by ranges of rowid, which DuckDB reads
-- without touching the rest of the table; offset is the place of the chunk's first article in
-- the whole batch
with articles as (
    select rowid as row_number from audit.articles
),

numbered as (
    select
        row_number,
        row_number() over (order by row_number) - 1 as position
    from articles
),

chunks as (
    select
        position // $chunk_rows as chunk,
        min(row_number) as first_row,
        max(row_number) as last_row,
        min(position) as row_offset,
        count(*) as articles
    from numbered
    group by chunk
)

select first_row, last_row, row_offset, articles from chunks order by chunk
