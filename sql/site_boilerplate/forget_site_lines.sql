-- the lines of the original articles a run replaces leave their site's counts (their new
-- versions count again); runs before the articles' rows are deleted
merge into published.site_lines as counts
using (
    with articles as (
        select * from published.articles
    ),

    paragraphs as (
        select * from published.paragraphs
    ),

    originals as (
        select article_id, published.site_of(url, source) as site
        from articles
        semi join replaced using (article_id)
        where duplicate_of is null
    ),

    gone as (
        select
            originals.site,
            paragraphs.paragraph_hash,
            count(distinct paragraphs.article_id) as articles
        from paragraphs
        join originals using (article_id)
        where originals.site is not null
        group by all
    )

    select * from gone
) as gone
on counts.site = gone.site and counts.paragraph_hash = gone.paragraph_hash
when matched then update set articles = counts.articles - gone.articles
