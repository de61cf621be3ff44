-- one row per run of the last $runs run attempts (blocked and failed ones too), oldest first
with runs as (
    select * from audit.runs
),

latest as (
    select * from runs
    order by started_at desc
    limit $runs
),

final as (
    select
        run_id,
        started_at,
        finished_at,
        status,
        coalesce(files_seen, 0) as files_seen,
        coalesce(files_unchanged, 0) as files_unchanged,
        coalesce(articles_read, 0) as articles_read,
        coalesce(published, 0) as published,
        coalesce(duplicates, 0) as duplicates,
        coalesce(quarantined, 0) as quarantined,
        coalesce(removed_spans, 0) as removed_spans,
        epoch(finished_at - started_at) as wall_seconds,
        quarantine_by_reason::varchar as quarantine_by_reason,
        removals_by_reason::varchar as removals_by_reason,
        coalesce(failed_expectations, []) as failed_expectations
    from latest
)

select * from final
order by started_at
