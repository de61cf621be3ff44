-- What one run has cleaned, loaded batch by batch; replaced at the start of each run.

create or replace table staging.files (
    source_file varchar not null,
    version integer not null,
    sha256 varchar not null,
    size_bytes bigint not null,
    mtime_ns bigint                 -- last modification as found (ns since the epoch)
);

create or replace table staging.documents as select * exclude (run_id) from raw.documents limit 0;

create or replace table staging.articles (
    article_id varchar not null,
    source_file varchar not null,
    item integer not null,
    version integer not null,
    seq integer not null,           -- order the run saw it in: earlier is canonical
    source varchar,
    url varchar,
    title varchar,
    authors varchar,
    published_at varchar,
    language varchar,
    captions varchar[] not null,
    truncated boolean not null,
    body_hash varchar not null
);

create or replace table staging.paragraphs (
    article_id varchar not null,
    position integer not null,
    paragraph_text varchar not null,
    paragraph_hash varchar not null,
    word_count integer not null     -- words split on white space, counted where it was cleaned
);

create or replace table staging.removals (
    article_id varchar not null,
    position integer not null,
    removed_text varchar not null,
    reason varchar not null,
    rule_id varchar not null
);

create or replace table staging.quarantine as
select * exclude (run_id) from published.quarantine limit 0;

create or replace table staging.article_bands as select * from published.article_bands limit 0;

create or replace table staging.paragraph_bands as
select * from published.paragraph_bands limit 0;

-- Band keys each batch computed for its articles and paragraph texts, repeats included, a
-- list per member and kind in band order; the audit picks those of new members into the
-- tables above, a row per band, then empties these.
create or replace table staging.article_band_keys (
    article_id varchar not null,
    kind varchar not null,
    band_keys ubigint[] not null
);

create or replace table staging.paragraph_band_keys (
    paragraph_hash varchar not null,
    kind varchar not null,
    band_keys ubigint[] not null
);

-- The run that owns what staging holds: every stage checks it, so a second run can never
-- build on, or publish, another run's batch. A run that stopped before its audit leaves its
-- batches to the next run when they were cleaned the same way (staging.take_over).
create or replace table staging.run (
    run_id varchar not null,
    cleaning varchar,               -- what cleaned the batches (batch_tables.cleaning_key)
    audit_started boolean not null  -- the audit rewrites staging: past it, nothing is kept
);
