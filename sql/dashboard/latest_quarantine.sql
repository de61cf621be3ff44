-- one row per step and reason quarantined in run $run, with a few of the files and one detail
with quarantine as (
    select * from published.quarantine
    where run_id = $run
),

final as (
    select
        step,
        reason,
        count(*) as rows,
        list(distinct source_file order by source_file)[1:$files] as files,
        min(detail) as detail
    from quarantine
    group by step, reason
)

select * from final
order by rows desc, reason
