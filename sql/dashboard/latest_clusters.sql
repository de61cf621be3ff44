-- the $top largest article clusters that run $run added to, with their canonical article
with members as (
    select * from published.article_clusters
),

touched as (
    select distinct cluster_id from members
    where run_id = $run
),

sizes as (
    select
        cluster_id,
        count(*) as members,
        count(*) filter (where relation = 'exact') as exact,
        count(*) filter (where relation = 'near') as near,
        count(*) filter (where relation = 'teaser') as teaser
    from members
    where cluster_id in (select cluster_id from touched)
    group by cluster_id
    having count(*) > 1
),

final as (
    select
        sizes.*,
        canonical.title,
        canonical.source,
        canonical.source_file
    from sizes
    left join published.articles as canonical on canonical.article_id = sizes.cluster_id
)

select * from final
order by members desc, cluster_id
limit $top
