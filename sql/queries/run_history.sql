-- the last 20 runs, blocked ones included: status, timing and where every article read went
-- one row per run; a run that did not publish (blocked, failed, still running) landed nothing,
-- so its published is 0 and held_back says how many articles it would have published
with runs as (
    select * from audit.runs
),

recent as (
    select *
    from runs
    order by started_at desc
    limit 20
),

outcomes as (
    select
        run_id,
        started_at,
        round(epoch(finished_at - started_at), 1) as seconds,
        status,
        input_dir,
        files_seen,
        files_unchanged,
        files_ingested,
        articles_read,
        case when status = 'published' then published else 0 end as published,
        case when status = 'published' then 0 else published end as held_back,
        duplicates,
        quarantined,
        removed_spans,
        -- every article read ends in exactly one of the three outcomes
        recent.articles_read
            = recent.published + recent.duplicates + recent.quarantined as balanced,
        failed_expectations,
        quarantine_by_reason,
        removals_by_reason
    from recent
),

final as (
    select *
    from outcomes
    order by started_at desc
)

select * from final
