-- articles marked truncated: teasers that point to a longer story elsewhere
-- one row per truncated article, with the spans removed after its last kept paragraph
-- (where the "click here for the full story" line usually sits)
with articles as (
    select * from published.articles
),

paragraphs as (
    select * from published.paragraphs
),

removals as (
    select * from published.removals
),

teasers as (
    select * from articles where truncated
),

last_kept as (
    select article_id, max(position) as last_position
    from paragraphs
    group by article_id
),

tail_removals as (
    select
        removals.article_id,
        string_agg(
            removals.removed_text || ' [' || removals.rule_id || ']', ' | '
            order by removals.position
        ) as removed_after_body
    from removals
    join last_kept using (article_id)
    where removals.position > last_kept.last_position
    group by removals.article_id
),

final as (
    select
        teasers.article_id,
        coalesce(teasers.source, '(no source)') as source,
        teasers.source_file,
        teasers.title,
        teasers.url,
        teasers.published_at,
        teasers.word_count,
        teasers.duplicate_of,
        tail_removals.removed_after_body
    from teasers
    left join tail_removals using (article_id)
    order by teasers.word_count, teasers.article_id
)

select * from final
