-- a merged {level} cluster's members move to the kept cluster; its canonical becomes "merged"
update published.{level}_clusters
set
    cluster_id = $kept,
    relation = if(relation = 'canonical', 'merged', relation),
    similarity = if(relation = 'canonical', null, similarity)
where cluster_id = $merged
