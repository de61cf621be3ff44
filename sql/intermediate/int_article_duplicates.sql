-- one row per staged article, with the canonical copy it repeats, exactly or nearly: the
-- cluster copydesk.clusters found for it among staged and published articles
with matches as (
    select * from audit.article_matches
),

final as (
    select article_id, duplicate_of
    from matches
)

select * from final
