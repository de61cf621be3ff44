-- (id, first seen, position, size in words) of the wanted new articles: who came first
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
        paragraphs.article_id,
        any_value(article_order.first_seen_rank) as first_seen_rank,
        0 as position,
        sum(len(string_split(paragraphs.paragraph_text, ' '))) as size
    from paragraphs
    join article_order using (article_id)
    semi join wanted_ids on paragraphs.article_id = wanted_ids.id
    group by paragraphs.article_id
)

select * from final
