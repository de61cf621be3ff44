-- every new {level} member that matched nothing is a cluster of its own
insert into audit.{level}_matches
select {id}, {id}, 'canonical', 1.0
from (select distinct {id} from staging.{level}_bands)
anti join audit.{level}_matches using ({id})
