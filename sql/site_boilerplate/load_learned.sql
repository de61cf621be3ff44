-- every learned line, by site, for the cleaning of a run's batches
with learned as (
    select * from published.learned_rules
),

final as (
    select site, paragraph_hash, rule_id
    from learned
)

select * from final
