-- each body line of this run's original articles (duplicates not counted), once per article;
-- read from staging, so a line the cut policy takes out of a body still counts
insert into published.site_counted
with articles as (
    select article_id, published.site_of(url, source) as site
    from audit.articles
    where duplicate_of is null
),

paragraphs as (
    select * from staging.paragraphs
),

final as (
    select distinct articles.article_id, articles.site, paragraphs.paragraph_hash
    from paragraphs
    join articles using (article_id)
    where articles.site is not null
)

select * from final
