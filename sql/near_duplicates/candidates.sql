-- pairs of {level} members that share a band key: a new member with a published one, or two
-- new ones
create or replace table audit.{level}_candidates as
with staged as (
    select * from staging.{level}_bands
),

indexed as (
    select * from published.{level}_bands
    anti join staged using ({id})
    anti join ({replaced}) as replaced using ({id})
),

with_published as (
    select distinct staged.{id} as a, indexed.{id} as b
    from staged
    join indexed using (kind, band, band_key)
),

among_new as (
    select distinct staged.{id} as a, other.{id} as b
    from staged
    join staged as other using (kind, band, band_key)
    where staged.{id} < other.{id}
),

final as (
    select * from with_published
    union
    select * from among_new
)

select * from final
