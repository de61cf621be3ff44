-- the files this run ingested, as versions of their paths
insert into raw.files by name
select *, $run_id as run_id, now() as seen_at
from staging.files
