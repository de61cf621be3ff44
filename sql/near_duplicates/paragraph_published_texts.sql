-- (id, text) of the next $limit published paragraph texts after hash $after, to compute their
-- band keys again
with paragraphs as (
    select * from published.paragraphs
),

final as (
    select paragraph_hash, any_value(paragraph_text) as paragraph_text
    from paragraphs
    where paragraph_hash > $after
    group by paragraph_hash
    order by paragraph_hash
    limit $limit
)

select * from final
