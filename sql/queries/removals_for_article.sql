-- every span removed from one article, in position order (set the variable article_id first:
--   set variable article_id = '04bc8ffa3cf5d0b81ee2';)
-- one row per removed span; positions missing from both this list and published.paragraphs
-- are the headline, which the cleaner moves to the title
with removals as (
    select * from published.removals
),

articles as (
    select * from published.articles
),

chosen as (
    select
        removals.article_id,
        articles.source_file,
        articles.title,
        removals.position,
        removals.reason,
        removals.rule_id,
        removals.removed_text,
        removals.run_id
    from removals
    join articles using (article_id)
    where removals.article_id = getvariable('article_id')
),

final as (
    select *
    from chosen
    order by position
)

select * from final
