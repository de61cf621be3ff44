-- the clusters of the new paragraph texts that publish, each with the order the run saw it in
insert into published.paragraph_clusters
with matches as (
    select * from audit.paragraph_matches
),

seen as (
    select
        paragraphs.paragraph_hash,
        row_number() over (
            order by
                min(article_order.first_seen_rank),
                min(paragraphs.position),
                paragraphs.paragraph_hash
        ) as seen_order
    from staging.paragraphs as paragraphs
    join audit.int_article_order as article_order using (article_id)
    group by paragraphs.paragraph_hash
),

final as (
    select matches.*, seen.seen_order, $run_id as run_id
    from matches
    join seen using (paragraph_hash)
    semi join audit.paragraphs as published_now using (paragraph_hash)
)

select * from final
