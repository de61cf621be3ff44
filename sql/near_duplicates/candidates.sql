-- pairs of {level} members that share a key of bands $first_band to $end_band (excluded): a new
-- member with a published one, or two new ones. Run a few bands at a time when they are many,
-- so DuckDB holds a part of the keys; pairs found in several bands are made distinct after.
insert into candidate_rows
with staged as (
    select {id}, kind, band, band_key
    from staging.{level}_bands
    where band >= $first_band and band < $end_band
),

published_keys as (
    select {id}, kind, band, band_key
    from published.{level}_bands
    where band >= $first_band and band < $end_band
),

indexed as (
    select *
    from published_keys
    semi join staged using (kind, band, band_key)
    anti join staged using ({id})
    anti join ({replaced}) as replaced using ({id})
),

-- A bucket of more than $max_bucket members (a templated line: bylines, author boxes) pairs
-- each member with its first only: all its pairs would grow as its square.
published_buckets as (
    select kind, band, band_key, count(*) as members, min({id}) as head
    from indexed
    group by all
),

with_published as (
    select staged.{id} as a, indexed.{id} as b
    from staged
    join published_buckets using (kind, band, band_key)
    join indexed using (kind, band, band_key)
    where published_buckets.members <= $max_bucket
    union all
    select staged.{id} as a, published_buckets.head as b
    from staged
    join published_buckets using (kind, band, band_key)
    where published_buckets.members > $max_bucket
),

new_buckets as (
    select kind, band, band_key, count(*) as members, min({id}) as head
    from staged
    group by all
    having count(*) > 1
),

in_small as (
    select staged.*
    from staged
    join new_buckets using (kind, band, band_key)
    where new_buckets.members <= $max_bucket
),

among_new as (
    select in_small.{id} as a, other.{id} as b
    from in_small
    join in_small as other using (kind, band, band_key)
    where in_small.{id} < other.{id}
    union all
    select new_buckets.head as a, staged.{id} as b
    from staged
    join new_buckets using (kind, band, band_key)
    where new_buckets.members > $max_bucket and staged.{id} <> new_buckets.head
)

select * from with_published
union all
select * from among_new
