-- the original articles a run replaces leave their site's count
merge into published.site_articles as counts
using (
    with articles as (
        select * from published.articles
    ),

    originals as (
        select published.site_of(url, source) as site
        from articles
        semi join replaced using (article_id)
        where duplicate_of is null
    ),

    gone as (
        select site, count(*) as articles
        from originals
        where site is not null
        group by site
    )

    select * from gone
) as gone
on counts.site = gone.site
when matched then update set articles = counts.articles - gone.articles
