-- one row per expectation that failed in run $run, critical ones first
with validations as (
    select * from audit.validations
    where run_id = $run and not success
),

final as (
    select
        expectation,
        column_name,
        severity,
        reason,
        unexpected_count,
        detail
    from validations
)

select * from final
order by severity = 'critical' desc, unexpected_count desc, expectation
