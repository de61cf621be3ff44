-- the lines this run counted that now recur in at least $min_articles original articles of
-- their site and in $min_share of them, learned as rules of that site; a line's sample text is
-- looked up once it passes (gathering a text for each of the run's lines held them all in
-- memory: a million files' publishing ran out of it)
insert into published.learned_rules
with run as (
    select article_id from audit.articles
),

articles as (
    select * from published.articles
    semi join run using (article_id)
),

paragraphs as (
    select * from staging.paragraphs
),

counts as (
    select * from published.site_lines
),

sites as (
    select * from published.site_articles
),

learned as (
    select * from published.learned_rules
),

run_lines as (
    select distinct
        published.site_of(articles.url, articles.source) as site,
        paragraphs.paragraph_hash
    from paragraphs
    join articles using (article_id)
    where articles.duplicate_of is null
),

passing as (
    select
        run_lines.site,
        run_lines.paragraph_hash,
        counts.articles,
        sites.articles as site_articles,
        counts.first_run_id
    from run_lines
    join counts using (site, paragraph_hash)
    join sites using (site)
    anti join learned using (site, paragraph_hash)
    where counts.articles >= $min_articles and counts.articles >= $min_share * sites.articles
),

samples as (
    select
        published.site_of(articles.url, articles.source) as site,
        paragraphs.paragraph_hash,
        min(paragraphs.paragraph_text) as sample_text
    from paragraphs
    semi join passing using (paragraph_hash)
    join articles using (article_id)
    where articles.duplicate_of is null
    group by all
),

final as (
    select
        'learned:' || passing.site || ':' || left(passing.paragraph_hash, 12) as rule_id,
        passing.site,
        passing.paragraph_hash,
        samples.sample_text,
        passing.articles,
        passing.site_articles,
        passing.first_run_id,
        $run_id as learned_run_id
    from passing
    join samples using (site, paragraph_hash)
)

select * from final
