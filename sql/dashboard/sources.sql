-- one row per source: published articles, mean words, share of text removed, duplicates and
-- quarantined, and the same shares in each of the last $runs runs for comparison
with articles as (
    select
        article_id,
        coalesce(nullif(source, ''), '(no source)') as source,
        word_count,
        length(body) as body_chars,
        duplicate_of is not null as is_duplicate,
        run_id
    from published.articles
),

removed as (
    select
        article_id,
        sum(length(removed_text)) as removed_chars
    from published.removals
    group by article_id
),

document_sources as (
    select
        article_id,
        coalesce(nullif(any_value(source), ''), '(no source)') as source
    from raw.documents
    group by article_id
),

quarantined as (
    select
        coalesce(document_sources.source, '(no source)') as source,
        quarantine.run_id
    from published.quarantine as quarantine
    left join document_sources using (article_id)
),

recent_runs as (
    select run_id from audit.runs
    order by started_at desc
    limit $runs
),

per_article as (
    select
        articles.*,
        coalesce(removed.removed_chars, 0) as removed_chars
    from articles
    left join removed using (article_id)
),

totals as (
    select
        source,
        count(*) as articles,
        avg(word_count) as mean_words,
        sum(removed_chars) / nullif(sum(removed_chars + body_chars), 0) as removed_share,
        count(*) filter (where is_duplicate) as duplicates
    from per_article
    group by source
),

quarantine_totals as (
    select
        source,
        count(*) as quarantined
    from quarantined
    group by source
),

per_run as (
    select
        source,
        run_id,
        sum(removed_chars) / nullif(sum(removed_chars + body_chars), 0) as removed_share,
        avg(word_count) as mean_words
    from per_article
    where run_id in (select run_id from recent_runs)
    group by source, run_id
),

histories as (
    select
        source,
        list({'run_id': run_id, 'removed_share': removed_share, 'mean_words': mean_words})
            as history
    from per_run
    group by source
),

final as (
    select
        coalesce(totals.source, quarantine_totals.source) as source,
        coalesce(totals.articles, 0) as articles,
        totals.mean_words,
        totals.removed_share,
        coalesce(totals.duplicates, 0) as duplicates,
        coalesce(quarantine_totals.quarantined, 0) as quarantined,
        coalesce(histories.history, []) as history
    from totals
    full join quarantine_totals using (source)
    left join histories using (source)
)

select * from final
