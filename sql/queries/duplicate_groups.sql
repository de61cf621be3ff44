-- whole-article duplicate groups: each copy next to the canonical (published) article it repeats
-- one row per copy; same_body_now is false when either side was re-read since and the bodies differ
with articles as (
    select * from published.articles
),

copies as (
    select * from articles where duplicate_of is not null
),

group_sizes as (
    select duplicate_of as canonical_id, count(*) as copies_in_group
    from copies
    group by duplicate_of
),

paired as (
    select
        copies.duplicate_of as canonical_id,
        canonical.source as canonical_source,
        canonical.source_file as canonical_source_file,
        canonical.url as canonical_url,
        canonical.title as canonical_title,
        canonical.published_at as canonical_published_at,
        group_sizes.copies_in_group,
        copies.article_id as copy_id,
        copies.source as copy_source,
        copies.source_file as copy_source_file,
        copies.url as copy_url,
        copies.title as copy_title,
        copies.word_count,
        canonical.body_hash is not distinct from copies.body_hash as same_body_now
    from copies
    join group_sizes on group_sizes.canonical_id = copies.duplicate_of
    left join articles as canonical on canonical.article_id = copies.duplicate_of
),

final as (
    select *
    from paired
    order by copies_in_group desc, canonical_id, copy_source_file
)

select * from final
