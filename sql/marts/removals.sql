-- one row per span removed from an article about to be published
with cleaner as (
    select * from staging.removals
),

first_seen as (
    select * from audit.int_paragraph_first_seen
),

kept as (
    select article_id, position from audit.paragraphs
),

texts as (
    select article_id, position, paragraph_text from staging.paragraphs
),

cut as (
    select
        first_seen.article_id,
        first_seen.position,
        texts.paragraph_text as removed_text,
        'duplicate_exact' as reason,
        'dedup/cross-article' as rule_id
    from first_seen
    join texts using (article_id, position)
    anti join kept using (article_id, position)
),

final as (
    select * from cleaner
    union all
    select * from cut
)

select * from final
