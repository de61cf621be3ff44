-- one row per paragraph of a body about to be published; with the cut policy ($cut),
-- paragraphs an earlier article carried leave the body (whole-body duplicates keep theirs)
with paragraphs as (
    select * from audit.int_paragraph_first_seen
),

duplicates as (
    select * from audit.int_article_duplicates
),

final as (
    select paragraphs.*
    from paragraphs
    join duplicates using (article_id)
    where not (
        $cut and paragraphs.first_article_id <> paragraphs.article_id
        and duplicates.duplicate_of is null
    )
)

select * from final
