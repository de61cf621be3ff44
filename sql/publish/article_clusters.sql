insert into published.article_clusters
select
    matches.article_id,
    matches.cluster_id,
    matches.relation,
    matches.similarity,
    article_order.first_seen_rank,
    $run_id
from audit.article_matches as matches
join audit.int_article_order as article_order using (article_id)
