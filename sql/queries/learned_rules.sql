-- site boilerplate learned from the warehouse: each learned line with its provenance and how
-- often later runs removed it; one row per rule_id
-- (a deleted rule is learned again by the next run whose articles carry the line, its count
--  still over the threshold; to forget a site, counts too, run both:
--  delete from published.learned_rules where site = '...';
--  delete from published.site_lines where site = '...';)
with learned as (
    select * from published.learned_rules
),

removals as (
    select * from published.removals
    where reason = 'site_boilerplate'
),

runs as (
    select * from audit.runs
),

removed as (
    select
        rule_id,
        count(*) as removed_since
    from removals
    group by rule_id
),

final as (
    select
        learned.site,
        learned.rule_id,
        left(learned.sample_text, 120) as sample_text,
        learned.articles as articles_when_learned,
        learned.site_articles as site_articles_when_learned,
        round(100.0 * learned.articles / learned.site_articles, 1) as pct_of_site,
        first_run.started_at as first_seen_at,
        learned_run.started_at as learned_at,
        coalesce(removed.removed_since, 0) as removed_since
    from learned
    left join removed using (rule_id)
    left join runs as first_run on first_run.run_id = learned.first_run_id
    left join runs as learned_run on learned_run.run_id = learned.learned_run_id
    order by learned.site, removed_since desc, learned.articles desc, learned.rule_id
)

select * from final
