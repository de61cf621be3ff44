-- one row per expectation and run of the last $runs: its outcome and the share of rows passing
with runs as (
    select run_id from audit.runs
    order by started_at desc
    limit $runs
),

validations as (
    select * from audit.validations
    where run_id in (select run_id from runs)
),

final as (
    select
        run_id,
        expectation
        || coalesce(' on ' || column_name, '')
        || coalesce(' (' || reason || ')', '') as check_name,
        severity,
        success,
        unexpected_count,
        -- the detail of a row-level expectation reads "N of M rows unexpected"
        try_cast(regexp_extract(detail, 'of ([0-9]+) rows', 1) as bigint) as rows_checked
    from validations
)

select * from final
