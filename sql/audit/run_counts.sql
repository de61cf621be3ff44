-- one row: the counts of the audit batch, where every item read went
with documents as (
    select source_file, item from staging.documents
),

quarantine as (
    select * from staging.quarantine
),

articles as (
    select * from audit.articles
),

items_read as (
    select source_file, item from documents
    union
    select source_file, item from quarantine
),

final as (
    select
        (select count(*) from staging.files) as files_ingested,
        (select count(*) from items_read) as articles_read,
        (select count(*) from articles where duplicate_of is null) as published,
        (select count(*) from articles where duplicate_of is not null) as duplicates,
        (select count(*) from quarantine) as quarantined,
        (select count(*) from audit.removals) as removed_spans
)

select * from final
