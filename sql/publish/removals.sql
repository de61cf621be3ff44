insert into published.removals
select *, $run_id
from audit.removals
