-- published {level} members' band keys computed again (registered as rekeyed: a list per
-- member and kind, in band order), a row per band
insert into published.{level}_bands
select
    {id},
    kind,
    unnest(range(len(band_keys)))::utinyint as band,
    unnest(band_keys) as band_key
from rekeyed
