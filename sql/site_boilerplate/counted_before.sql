-- a warehouse counted before its counted lines were kept per article: every published original
-- is taken as counted with its published lines (those the cut policy took out of its body
-- stay counted), so it can leave the counts; runs before this run's publishing changes any
insert into published.site_counted
with articles as (
    select article_id, published.site_of(url, source) as site
    from published.articles
    where duplicate_of is null
),

paragraphs as (
    select * from published.paragraphs
),

final as (
    select distinct articles.article_id, articles.site, paragraphs.paragraph_hash
    from paragraphs
    join articles using (article_id)
    where articles.site is not null
)

select * from final
