-- which outlets carried a paragraph (or an edited copy of it), and who had it first: one row
-- per carrier of every paragraph cluster carried by two or more articles
with carriers as (
    select * from published.paragraph_carriers
),

final as (
    select
        cluster_id,
        carrier_count,
        carrier_rank,
        source,
        published_at,
        url,
        left(paragraph_text, 120) as paragraph_start
    from carriers
    where carrier_count > 1
    order by carrier_count desc, cluster_id, carrier_rank
)

select * from final
