-- (id, text) of every published paragraph text, to compute its band keys again
with paragraphs as (
    select * from published.paragraphs
),

final as (
    select paragraph_hash, any_value(paragraph_text) as paragraph_text
    from paragraphs
    group by paragraph_hash
)

select * from final
