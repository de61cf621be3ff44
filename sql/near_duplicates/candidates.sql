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

buckets as (
    select kind, band, band_key, count(*) as members, min({id}) as head
    from staged
    group by all
),

in_small as (
    select staged.*
    from staged
    join buckets using (kind, band, band_key)
    where buckets.members <= $max_bucket
),

-- a bucket of more than $max_bucket new members (a templated line: bylines, author boxes)
-- pairs each member with its first one only: all its pairs would grow as its square
among_new as (
    select distinct in_small.{id} as a, other.{id} as b
    from in_small
    join in_small as other using (kind, band, band_key)
    where in_small.{id} < other.{id}
    union
    select buckets.head as a, staged.{id} as b
    from staged
    join buckets using (kind, band, band_key)
    where buckets.members > $max_bucket and staged.{id} <> buckets.head
),

final as (
    select * from with_published
    union
    select * from among_new
)

select * from final
