-- every new {level} member that matched nothing is a cluster of its own (a paragraph too
-- short for band keys included)
insert into audit.{level}_matches
select {id}, {id}, 'canonical', 1.0
from ({new_members})
anti join audit.{level}_matches using ({id})
