-- after articles have left a batch clustered before: the {level} members no longer new (gone)
-- lose their band keys and candidate pairs, and a gone member that is published pairs again as
-- the published copy (a quarantined new version leaves the old one in place)
create or replace temp table gone as
select distinct bands.{id} as id
from staging.{level}_bands as bands
anti join ({new_members}) as new_members on bands.{id} = new_members.{id};

delete from staging.{level}_bands
where {id} in (select id from gone);

delete from audit.{level}_candidates
where a in (select id from gone) or b in (select id from gone);

insert into audit.{level}_candidates
select distinct staged.{id} as a, published.{id} as b
from staging.{level}_bands as staged
join (
    select * from published.{level}_bands
    semi join gone on {id} = gone.id
) as published using (kind, band, band_key);

drop table gone
