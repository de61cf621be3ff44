-- the $top rules that removed most spans in run $run, with one example each
with removals as (
    select * from published.removals
    where run_id = $run
),

final as (
    select
        rule_id,
        reason,
        count(*) as spans,
        count(distinct article_id) as articles,
        left(min(removed_text), 200) as example
    from removals
    group by rule_id, reason
)

select * from final
order by spans desc, rule_id
limit $top
