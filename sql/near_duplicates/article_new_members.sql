-- one row per staged article: every one is a new member of the article clusters
with paragraphs as (
    select * from staging.paragraphs
),

final as (
    select distinct article_id
    from paragraphs
)

select * from final
