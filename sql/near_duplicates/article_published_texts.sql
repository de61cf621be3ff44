-- (id, text) of the next $limit published articles after id $after, to compute their band keys
-- again
with articles as (
    select * from published.articles
),

final as (
    select article_id, body
    from articles
    where article_id > $after
    order by article_id
    limit $limit
)

select * from final
