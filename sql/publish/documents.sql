insert into raw.documents
select *, $run_id
from staging.documents
