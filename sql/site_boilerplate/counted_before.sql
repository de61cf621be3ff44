-- a warehouse counted before its counted lines were kept per article: its published originals
-- (but this run's) are taken as counted with their published lines, so they can leave the counts
insert into published.site_counted
with run as (
    select article_id from audit.articles
),

articles as (
    select published_articles.article_id, published.site_of(url, source) as site
    from published.articles as published_articles
    anti join run using (article_id)
    where published_articles.duplicate_of is null
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
