-- (id, start of the run that published it, order that run saw it in) of wanted {level} members
with wanted_ids as (
    select * from wanted
),

clusters as (
    select * from published.{level}_clusters
),

runs as (
    select * from audit.runs
),

final as (
    select clusters.{id}, epoch(runs.started_at) as run_started, clusters.seen_order
    from clusters
    join runs using (run_id)
    semi join wanted_ids on clusters.{id} = wanted_ids.id
)

select * from final
