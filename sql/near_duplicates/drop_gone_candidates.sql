-- after articles have left a batch clustered before: the {level} members no longer new (gone)
-- lose their candidate and verified pairs (a gone article's published version, if any, is
-- replaced by this run all the same, so it pairs with nothing). Their staged band keys stay:
-- publishing copies only the keys of the audit batch's members, and a delete scattered over
-- that table (in hash order: 197 million rows at a million articles) leaves DuckDB 16 KiB of
-- delete marks per 2,048-row vector it touches, held in memory by every process that reads
-- the table after (1.4 GB at a million articles on DuckDB 1.4.4, outside its memory limit).
create or replace temp table gone as
select distinct bands.{id} as id
from staging.{level}_bands as bands
anti join ({new_members}) as new_members on bands.{id} = new_members.{id};

delete from audit.{level}_candidates
where a in (select id from gone) or b in (select id from gone);

delete from audit.{level}_verified
where a in (select id from gone) or b in (select id from gone);

drop table gone
