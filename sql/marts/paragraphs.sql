-- one row per paragraph of a body about to be published; with the cut policy ($cut),
-- paragraphs an earlier article carried leave the body, unless that would leave nothing
-- (an excerpt of another article) or the article is a whole-body duplicate
with first_seen as (
    select * from audit.int_paragraph_first_seen
),

texts as (
    select article_id, position, paragraph_text from staging.paragraphs
),

paragraphs as (
    select
        first_seen.article_id,
        first_seen.position,
        texts.paragraph_text,
        first_seen.paragraph_hash,
        first_seen.word_count,
        first_seen.first_article_id
    from first_seen
    join texts using (article_id, position)
),

duplicates as (
    select * from audit.int_article_duplicates
),

marked as (
    select
        paragraphs.*,
        $cut and paragraphs.first_article_id <> paragraphs.article_id
            and duplicates.duplicate_of is null as cut
    from paragraphs
    join duplicates using (article_id)
),

final as (
    select * exclude (cut)
    from marked
    qualify not cut or bool_and(cut) over (partition by article_id)
)

select * from final
