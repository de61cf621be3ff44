-- one row per span removed from an article about to be published; built for a part of the
-- staged articles at a time ({chunk}: see copydesk.audit)
with chunk as (
    select article_id from {chunk}
),

cleaner as (
    select * from staging.removals
    semi join chunk using (article_id)
),

first_seen as (
    select article_id, position from audit.int_paragraph_first_seen
    semi join chunk using (article_id)
),

kept as (
    select article_id, position from audit.paragraphs
    semi join chunk using (article_id)
),

texts as (
    select article_id, position, paragraph_text from staging.paragraphs
    semi join chunk using (article_id)
),

cut as (
    select
        first_seen.article_id,
        first_seen.position,
        texts.paragraph_text as removed_text,
        'duplicate_exact' as reason,
        'dedup/cross-article' as rule_id
    from first_seen
    anti join kept using (article_id, position)
    join texts using (article_id, position)
),

final as (
    select * from cleaner
    union all
    select * from cut
)

select * from final
