-- the staged or quarantined rows of run $run whose article_id is in $ids: where they came from
with staged as (
    select article_id, source_file, body as text from audit.articles
    where run_id = $run
),

quarantined as (
    select article_id, source_file, original_text as text from published.quarantine
    where run_id = $run and article_id is not null
),

candidates as (
    select * from staged
    union all
    select * from quarantined
),

final as (
    select
        article_id,
        min(source_file) as source_file
    from candidates
    where list_contains($ids, article_id)
    group by article_id
)

select * from final
