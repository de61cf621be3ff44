-- each body line of this run's original articles, once per article, added to its site's
-- counts; read from staging, so a line the cut policy takes out of a body still counts
merge into published.site_lines as counts
using (
    with articles as (
        select * from audit.articles
    ),

    paragraphs as (
        select * from staging.paragraphs
    ),

    originals as (
        select article_id, published.site_of(url, source) as site
        from articles
        where duplicate_of is null
    ),

    run_lines as (
        select
            originals.site,
            paragraphs.paragraph_hash,
            count(distinct paragraphs.article_id) as articles
        from paragraphs
        join originals using (article_id)
        where originals.site is not null
        group by all
    )

    select * from run_lines
) as run_lines
on counts.site = run_lines.site and counts.paragraph_hash = run_lines.paragraph_hash
when matched then update set articles = counts.articles + run_lines.articles
when not matched then insert values (
    run_lines.site, run_lines.paragraph_hash, run_lines.articles, $run_id
)
