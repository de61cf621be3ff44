-- (id, first seen, position, size in characters) of the wanted new paragraph texts
with wanted_ids as (
    select * from wanted
),

paragraphs as (
    select * from staging.paragraphs
),

article_order as (
    select * from audit.int_article_order
),

final as (
    select
        paragraphs.paragraph_hash,
        min(article_order.first_seen_rank) as first_seen_rank,
        min(paragraphs.position) as position,
        max(len(paragraphs.paragraph_text)) as size
    from paragraphs
    join article_order using (article_id)
    semi join wanted_ids on paragraphs.paragraph_hash = wanted_ids.id
    group by paragraphs.paragraph_hash
)

select * from final
