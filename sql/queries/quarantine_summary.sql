-- quarantined inputs by step and reason, with how many files and an example detail
-- one row per (step, reason); published.quarantine holds the current state: a file's rows
-- are replaced when a changed version of it is read again
with quarantine as (
    select * from published.quarantine
),

runs as (
    select * from audit.runs
),

per_reason as (
    select
        quarantine.step,
        quarantine.reason,
        count(*) as items,
        count(distinct quarantine.source_file) as files,
        min(quarantine.source_file) as example_file,
        left(mode(quarantine.detail), 120) as example_detail,
        max(runs.started_at) as last_seen_at
    from quarantine
    left join runs using (run_id)
    group by quarantine.step, quarantine.reason
),

final as (
    select *
    from per_reason
    order by items desc, step, reason
)

select * from final
