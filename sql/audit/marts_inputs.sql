-- one row per staged article: what its mart rows are built from beside its own staged rows,
-- the canonical copy it repeats and the first carrier of each of its paragraphs (a quarantine
-- rebuilds the marts only for the articles where these changed)
with duplicates as (
    select * from audit.int_article_duplicates
),

first_carriers as (
    select article_id, list(first_article_id order by position) as first_carriers
    from audit.int_paragraph_first_seen
    group by article_id
),

final as (
    select duplicates.article_id, duplicates.duplicate_of, first_carriers.first_carriers
    from duplicates
    left join first_carriers using (article_id)
)

select * from final
