-- the syndication graph between sources: who copies whole articles and paragraphs from whom
with edges as (
    select * from published.syndication_edges
),

final as (
    select *
    from edges
    where from_source <> to_source
    order by copies desc, from_source, to_source
)

select * from final
