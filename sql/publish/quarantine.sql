insert into published.quarantine
select *, $run_id
from staging.quarantine
