-- (id, text) of every published article, to compute its band keys again
with articles as (
    select * from published.articles
),

final as (
    select article_id, body
    from articles
)

select * from final
