-- staged files that this run does not plan to read as they were staged (the same path,
-- version, size and modification time; planned_files registered from the plan): a run that
-- finds any starts staging afresh
with

staged as (
    select * from staging.files
),

planned as (
    select * from planned_files
),

unplanned as (
    select staged.source_file
    from staged
    anti join planned
        on staged.source_file = planned.source_file
        and staged.version = planned.version
        and staged.size_bytes is not distinct from planned.size_bytes
        and staged.mtime_ns is not distinct from planned.mtime_ns
)

select count(*) as files from unplanned
