-- keys of bands $first_band to $end_band (excluded) of every new {level} member, from those the
-- batches brought (a list per member and kind, in band order; a paragraph text in several
-- batches brought them more than once); a few bands at a time when they are many, so the
-- distinct holds a part of the keys
insert into staging.{level}_bands
select distinct *
from (
    select
        keys.{id},
        keys.kind,
        unnest(range($first_band, $end_band))::utinyint as band,
        unnest(keys.band_keys[$first_band + 1:$end_band]) as band_key
    from staging.{level}_band_keys as keys
    semi join ({new_members}) as new_members on keys.{id} = new_members.{id}
)
