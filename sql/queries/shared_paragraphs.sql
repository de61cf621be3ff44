-- paragraphs that more than one article carried: who had it first and how many carried it
-- one row per paragraph text (paragraph_hash); carriers include whole-article duplicates and,
-- when the run cut repeated paragraphs (cross_article_paragraphs = "cut"), the articles they
-- were cut from (published.removals, rule dedup/cross-article)
with paragraphs as (
    select * from published.paragraphs
),

removals as (
    select * from published.removals
),

articles as (
    select * from published.articles
),

kept_carriers as (
    select article_id, paragraph_hash, paragraph_text, first_article_id
    from paragraphs
),

cut_carriers as (
    -- a cut copy keeps no hash; it matches the paragraph its first carrier still holds
    select distinct
        removals.article_id,
        paragraphs.paragraph_hash,
        paragraphs.paragraph_text,
        paragraphs.first_article_id
    from removals
    join paragraphs on paragraphs.paragraph_text = removals.removed_text
    where removals.rule_id = 'dedup/cross-article'
),

carriers as (
    select * from kept_carriers
    union
    select * from cut_carriers
),

per_paragraph as (
    select
        carriers.paragraph_hash,
        min(carriers.first_article_id) as first_article_id,
        count(distinct carriers.article_id) as carriers,
        count(distinct carriers.article_id) filter (
            where articles.duplicate_of is null
        ) as carriers_not_whole_copies,
        list(distinct carriers.article_id order by carriers.article_id) as article_ids,
        left(min(carriers.paragraph_text), 120) as paragraph_text
    from carriers
    left join articles using (article_id)
    group by carriers.paragraph_hash
    having count(distinct carriers.article_id) > 1
),

final as (
    select
        per_paragraph.paragraph_hash,
        per_paragraph.first_article_id,
        coalesce(first.source, first.source_file) as first_source,
        first.title as first_title,
        per_paragraph.carriers,
        per_paragraph.carriers_not_whole_copies,
        per_paragraph.article_ids,
        per_paragraph.paragraph_text
    from per_paragraph
    left join articles as first on first.article_id = per_paragraph.first_article_id
    order by carriers_not_whole_copies desc, carriers desc, first_article_id, paragraph_hash
)

select * from final
