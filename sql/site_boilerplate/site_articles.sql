-- the counted articles in {articles}, added to their site's count ($sign 1) or taken out of it
-- ($sign -1)
merge into published.site_articles as counts
using (
    select site, $sign * count(distinct article_id) as articles
    from published.site_counted
    semi join {articles} using (article_id)
    group by site
) as change
on counts.site = change.site
when matched then update set articles = counts.articles + change.articles
when not matched and change.articles > 0 then insert values (change.site, change.articles)
