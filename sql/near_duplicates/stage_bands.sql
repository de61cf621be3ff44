-- band keys of every new {level} member, from those the batches brought (a paragraph text in
-- several batches brought them more than once)
insert into staging.{level}_bands
select distinct keys.*
from staging.{level}_band_keys as keys
semi join ({new_members}) as new_members on keys.{id} = new_members.{id}
