-- the cluster of every new {level} member, filled by copydesk.near_duplicates
create or replace table audit.{level}_matches (
    {id} varchar,
    cluster_id varchar,
    relation varchar,
    similarity double
)
