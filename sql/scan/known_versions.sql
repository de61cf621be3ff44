-- one row per input path the warehouse has ingested: its latest version as last seen
with files as (
    select * from raw.files
),

latest as (
    select
        source_file,
        arg_max(sha256, version) as sha256,
        max(version) as version,
        arg_max(size_bytes, version) as size_bytes,
        arg_max(mtime_ns, version) as mtime_ns
    from files
    group by source_file
)

select * from latest
