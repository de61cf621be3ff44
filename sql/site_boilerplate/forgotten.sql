-- the counted articles that are no longer published originals (replaced, quarantined, or now a
-- copy in another's cluster), and those this run published again (counted again after): their
-- counted lines leave the counts exactly as they entered them
create or replace temp table forgotten as
with counted as (
    select distinct article_id from published.site_counted
),

originals as (
    select article_id from published.articles
    where duplicate_of is null
),

run as (
    select article_id from audit.articles
),

still_counted as (
    select article_id from originals
    anti join run using (article_id)
)

select article_id from counted
anti join still_counted using (article_id)
