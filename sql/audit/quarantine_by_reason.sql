-- quarantined items of the audit batch per reason
select reason, count(*)::integer as items
from staging.quarantine
group by reason
order by reason
