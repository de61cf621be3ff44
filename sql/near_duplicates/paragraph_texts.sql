-- (id, text) of the wanted paragraph texts, staged or published
with wanted_ids as (
    select * from wanted
),

texts as (
    select paragraph_hash, paragraph_text from staging.paragraphs
    union all
    select paragraph_hash, paragraph_text from published.paragraphs
),

final as (
    select paragraph_hash, any_value(paragraph_text) as paragraph_text
    from texts
    semi join wanted_ids on paragraph_hash = wanted_ids.id
    group by paragraph_hash
)

select * from final
