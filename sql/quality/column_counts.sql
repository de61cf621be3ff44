-- rows of the audit batch, and those with a value in {column}
with articles as (
    select {column} as value from audit.articles
),

counts as (
    select count(*) as articles, count(value) as with_value from articles
)

select * from counts
