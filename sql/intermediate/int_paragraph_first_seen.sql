-- one row per staged paragraph, with the earliest article that carried the same text:
-- a published article first, else the first article of this run (without the text, which
-- the marts take from staging: this table is sorted by text hash, and it is the run's size)
with staged as (
    select article_id, position, paragraph_hash, word_count from staging.paragraphs
),

articles as (
    select * from audit.int_article_order
),

replaced as (
    -- the published articles of the files this run read: publishing replaces them (a new
    -- version, or none when it is quarantined), so they carry no text earlier
    select article_id
    from published.articles
    where source_file in (select source_file from staging.files)
),

earlier as (
    select paragraph_hash, min(first_article_id) as first_article_id
    from published.paragraphs
    semi join staged using (paragraph_hash)  -- the run's texts, not the whole warehouse's
    anti join replaced using (article_id)
    group by paragraph_hash
),

first_in_run as (
    select
        staged.*,
        first_value(staged.article_id) over (
            partition by staged.paragraph_hash
            order by articles.first_seen_rank, staged.position
        ) as first_in_run_id
    from staged
    join articles using (article_id)
),

final as (
    select
        first_in_run.article_id,
        first_in_run.position,
        first_in_run.paragraph_hash,
        first_in_run.word_count,
        coalesce(earlier.first_article_id, first_in_run.first_in_run_id) as first_article_id
    from first_in_run
    left join earlier using (paragraph_hash)
)

select * from final
