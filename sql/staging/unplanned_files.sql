-- the files staging holds, and how many of them this run does not plan to read as they were
-- staged (the same path, version, size and modification time; planned_files registered from
-- the plan): a run keeps staging only when there are some and none is unplanned
with

staged as (
    select * from staging.files
),

planned as (
    select * from planned_files
),

matched as (
    select
        staged.source_file,
        planned.source_file is null as unplanned
    from staged
    left join planned
        on staged.source_file = planned.source_file
        and staged.version = planned.version
        and staged.size_bytes is not distinct from planned.size_bytes
        and staged.mtime_ns is not distinct from planned.mtime_ns
)

select
    count(*) as staged,
    count(*) filter (where unplanned) as unplanned
from matched
