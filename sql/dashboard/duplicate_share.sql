-- one row per run of the last $runs and cluster relation: the articles the run published with it
with runs as (
    select run_id from audit.runs
    order by started_at desc
    limit $runs
),

clusters as (
    select * from published.article_clusters
    where run_id in (select run_id from runs)
),

final as (
    select
        run_id,
        relation,
        count(*) as articles
    from clusters
    group by run_id, relation
)

select * from final
