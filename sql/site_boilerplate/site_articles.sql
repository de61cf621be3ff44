-- this run's original articles (duplicates not counted) added to their site's count
merge into published.site_articles as counts
using (
    with articles as (
        select * from audit.articles
    ),

    originals as (
        select published.site_of(url, source) as site
        from articles
        where duplicate_of is null
    ),

    run_counts as (
        select site, count(*) as articles
        from originals
        where site is not null
        group by site
    )

    select * from run_counts
) as run_counts
on counts.site = run_counts.site
when matched then update set articles = counts.articles + run_counts.articles
when not matched then insert values (run_counts.site, run_counts.articles)
