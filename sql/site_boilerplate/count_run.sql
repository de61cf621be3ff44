-- each body line of this run's original articles (duplicates not counted, as published: a
-- cluster merge may have made one a copy), once per article; read from staging, so a line the
-- cut policy takes out of a body still counts
insert into published.site_counted
with run as (
    select article_id from audit.articles
),

articles as (
    select article_id, published.site_of(url, source) as site
    from published.articles
    semi join run using (article_id)
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
