-- expectations that failed in the last 10 runs, and what each failure did to the run
-- one row per failed expectation per run; a critical failure blocks publishing, an
-- article-severity failure only moves the failing articles to quarantine with its reason
with validations as (
    select * from audit.validations
),

runs as (
    select * from audit.runs
),

recent_runs as (
    select run_id, started_at, status
    from runs
    order by started_at desc
    limit 10
),

failures as (
    select
        recent_runs.started_at,
        validations.run_id,
        recent_runs.status as run_status,
        validations.suite,
        validations.expectation,
        validations.column_name,
        validations.severity,
        validations.reason,
        validations.unexpected_count,
        case
            when validations.severity = 'critical' then 'blocked publishing'
            else 'quarantined as ' || coalesce(validations.reason, '?')
        end as effect,
        validations.detail
    from validations
    join recent_runs using (run_id)
    where not validations.success
),

final as (
    select *
    from failures
    order by started_at desc, severity, expectation, column_name
)

select * from final
