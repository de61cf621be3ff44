-- the counted lines of the articles in {articles}, added to their site's counts ($sign 1) or
-- taken out of them ($sign -1); a line new to its site starts its count with this run
merge into published.site_lines as counts
using (
    select site, paragraph_hash, $sign * count(*) as articles
    from published.site_counted
    semi join {articles} using (article_id)
    group by all
) as change
on counts.site = change.site and counts.paragraph_hash = change.paragraph_hash
when matched then update set articles = counts.articles + change.articles
when not matched and change.articles > 0 then insert values (
    change.site, change.paragraph_hash, change.articles, $run_id
)
