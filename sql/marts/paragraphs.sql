-- one row per paragraph of a body about to be published; with the cut policy ($cut),
-- paragraphs an earlier article carried leave the body, unless that would leave nothing
-- (an excerpt of another article) or the article is a whole-body duplicate; built for
-- a part of the staged articles at a time ({chunk}: see copydesk.audit), the text joined last
with chunk as (
    select article_id from {chunk}
),

first_seen as (
    select * from audit.int_paragraph_first_seen
    semi join chunk using (article_id)
),

duplicates as (
    select * from audit.int_article_duplicates
),

marked as (
    select
        first_seen.*,
        $cut and first_seen.first_article_id <> first_seen.article_id
            and duplicates.duplicate_of is null as cut
    from first_seen
    join duplicates using (article_id)
),

kept as (
    select * exclude (cut)
    from marked
    qualify not cut or bool_and(cut) over (partition by article_id)
),

texts as (
    select article_id, position, paragraph_text from staging.paragraphs
    semi join chunk using (article_id)
),

final as (
    select
        kept.article_id,
        kept.position,
        texts.paragraph_text,
        kept.paragraph_hash,
        kept.word_count,
        kept.first_article_id
    from kept
    join texts using (article_id, position)
)

select * from final
