-- removed spans of the audit batch per reason
select reason, count(*)::integer as spans
from audit.removals
group by reason
order by reason
