-- one row per source of what the last $runs runs published: articles, mean words, share of
-- text removed, duplicates and quarantined, and the same shares per run for comparison.
-- Only those runs' rows are read (removals carry their run_id), so the cost follows the
-- window, not the size of the corpus.
with recent_runs as (
    select run_id from audit.runs
    where status = 'published'
    order by started_at desc
    limit $runs
),

articles as (
    select
        article_id,
        coalesce(nullif(source, ''), '(no source)') as source,
        word_count,
        strlen(body) as body_bytes,
        duplicate_of is not null as is_duplicate,
        run_id
    from published.articles
    where run_id in (select run_id from recent_runs)
),

removed as (
    select
        article_id,
        sum(strlen(removed_text)) as removed_bytes
    from published.removals
    where run_id in (select run_id from recent_runs)
    group by article_id
),

quarantine as (
    select * from published.quarantine
    where run_id in (select run_id from recent_runs)
),

document_sources as (
    select
        article_id,
        coalesce(nullif(any_value(source), ''), '(no source)') as source
    from raw.documents
    where article_id in (select article_id from quarantine)
    group by article_id
),

quarantined as (
    select
        coalesce(document_sources.source, '(no source)') as source,
        count(*) as quarantined
    from quarantine
    left join document_sources using (article_id)
    group by 1
),

per_article as (
    select
        articles.*,
        coalesce(removed.removed_bytes, 0) as removed_bytes
    from articles
    left join removed using (article_id)
),

totals as (
    select
        source,
        count(*) as articles,
        avg(word_count) as mean_words,
        sum(removed_bytes) / nullif(sum(removed_bytes + body_bytes), 0) as removed_share,
        count(*) filter (where is_duplicate) as duplicates
    from per_article
    group by source
),

per_run as (
    select
        source,
        run_id,
        sum(removed_bytes) / nullif(sum(removed_bytes + body_bytes), 0) as removed_share,
        avg(word_count) as mean_words
    from per_article
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
        coalesce(totals.source, quarantined.source) as source,
        coalesce(totals.articles, 0) as articles,
        totals.mean_words,
        totals.removed_share,
        coalesce(totals.duplicates, 0) as duplicates,
        coalesce(quarantined.quarantined, 0) as quarantined,
        coalesce(histories.history, []) as history
    from totals
    full join quarantined using (source)
    left join histories using (source)
)

select * from final
