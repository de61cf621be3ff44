-- which articles are the same story: every article cluster with more than one member, its
-- canonical copy first, with how each copy relates to it (exact, near, teaser) and how similar
with clusters as (
    select * from published.article_clusters
),

articles as (
    select * from published.articles
),

sizes as (
    select cluster_id, count(*) as members
    from clusters
    group by cluster_id
    having count(*) > 1
),

final as (
    select
        clusters.cluster_id,
        sizes.members,
        clusters.relation,
        round(clusters.similarity, 3) as similarity,
        articles.source,
        articles.source_file,
        articles.title,
        articles.word_count
    from clusters
    join sizes using (cluster_id)
    join articles using (article_id)
    order by sizes.members desc, clusters.cluster_id, clusters.relation <> 'canonical',
        clusters.similarity desc
)

select * from final
