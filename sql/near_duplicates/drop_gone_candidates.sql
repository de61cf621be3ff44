-- after articles have left a batch clustered before: the {level} members no longer new (gone)
-- lose their band keys, candidate and verified pairs (a gone article's published version, if
-- any, is replaced by this run all the same, so it pairs with nothing)
create or replace temp table gone as
select distinct bands.{id} as id
from staging.{level}_bands as bands
anti join ({new_members}) as new_members on bands.{id} = new_members.{id};

delete from staging.{level}_bands
where {id} in (select id from gone);

delete from audit.{level}_candidates
where a in (select id from gone) or b in (select id from gone);

delete from audit.{level}_verified
where a in (select id from gone) or b in (select id from gone);

drop table gone
