-- what the cleaner removed and why: spans per reason and rule, articles touched, an example text
-- one row per (reason, rule_id)
with removals as (
    select * from published.removals
),

per_rule as (
    select
        reason,
        rule_id,
        count(*) as spans,
        count(distinct article_id) as articles,
        sum(length(removed_text))::bigint as chars_removed,
        -- the text this rule removed most often, cut to a readable length
        left(mode(removed_text), 120) as example_text
    from removals
    group by reason, rule_id
),

with_totals as (
    select
        *,
        sum(spans) over (partition by reason)::bigint as reason_spans,
        round(100.0 * spans / sum(spans) over (), 1) as pct_of_all_spans
    from per_rule
),

final as (
    select
        reason,
        reason_spans,
        rule_id,
        spans,
        pct_of_all_spans,
        articles,
        chars_removed,
        example_text
    from with_totals
    order by reason_spans desc, reason, spans desc, rule_id
)

select * from final
