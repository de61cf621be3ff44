-- the articles of a merged cluster now copy the kept cluster's canonical
update published.articles
set duplicate_of = $kept
where article_id in (
    select article_id from published.article_clusters where cluster_id = $merged
)
