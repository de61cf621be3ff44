-- (id, cluster) of the wanted published {level} members, but not those staged again now (a
-- new version is a new member)
with wanted_ids as (
    select * from wanted
),

clusters as (
    select * from published.{level}_clusters
),

final as (
    select clusters.{id}, clusters.cluster_id
    from clusters
    semi join wanted_ids on clusters.{id} = wanted_ids.id
    anti join ({new_members}) as new_members on clusters.{id} = new_members.{id}
)

select * from final
