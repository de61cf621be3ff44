-- one row per staged paragraph text that no published paragraph cluster holds yet
with paragraphs as (
    select * from staging.paragraphs
),

clustered as (
    select * from published.paragraph_clusters
),

final as (
    select distinct paragraph_hash
    from paragraphs
    anti join clustered using (paragraph_hash)
)

select * from final
