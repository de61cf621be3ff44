-- the rows of the audit batch whose {column} another row also holds, with their place in the
-- batch's storage order (the order validation reads its chunks in)
with articles as (
    select
        article_id,
        {column} as value,
        row_number() over (order by rowid) - 1 as position
    from audit.articles
),

repeated as (
    select value
    from articles
    where value is not null
    group by value
    having count(*) > 1
),

duplicates as (
    select articles.position, articles.article_id, articles.value
    from articles
    semi join repeated on articles.value = repeated.value
)

select * from duplicates order by position
