-- one row per staged article that is a near (not exact) copy of another: what "hold" moves
-- to quarantine
with matches as (
    select * from audit.article_matches
),

final as (
    select article_id, relation, cluster_id, similarity
    from matches
    where relation in ('near', 'teaser')
)

select * from final
