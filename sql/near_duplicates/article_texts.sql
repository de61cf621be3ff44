-- (id, text) of the wanted articles: the staged body, else the published one
with wanted_ids as (
    select * from wanted
),

staged as (
    select article_id, string_agg(paragraph_text, chr(10) order by position) as body
    from staging.paragraphs
    semi join wanted_ids on article_id = wanted_ids.id
    group by article_id
),

published as (
    select article_id, body
    from published.articles
    semi join wanted_ids on article_id = wanted_ids.id
    anti join staging.articles using (article_id)
),

final as (
    select * from staged
    union all
    select * from published
)

select * from final
