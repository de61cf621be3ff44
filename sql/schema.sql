-- The warehouse layers. raw: every input file and document as read, append-only, written
-- when the run that read it publishes (a blocked run leaves no raw rows, so it is retried).
-- staging: what this run cleaned, replaced by each run. audit: the batch about to be
-- published and the checks run on it. published: what users query.

create schema if not exists raw;
create schema if not exists staging;
create schema if not exists audit;
create schema if not exists published;

create table if not exists raw.files (
    source_file varchar not null,   -- path relative to the input folder
    version integer not null,       -- 1 for the first content seen at this path, +1 per change
    sha256 varchar not null,
    size_bytes bigint not null,
    run_id varchar not null,        -- the run that first saw this version
    seen_at timestamp not null,
    primary key (source_file, version)
);

create table if not exists raw.documents (
    article_id varchar not null,
    version integer not null,
    source_file varchar not null,
    item integer not null,          -- line of a .jsonl feed, 0 for a whole file
    format varchar not null,        -- text or html
    encoding varchar not null,
    content varchar not null,       -- the decoded input, before any cleaning
    url varchar,
    source varchar,
    title varchar,
    published varchar,
    run_id varchar not null,
    primary key (article_id, version)
);

create table if not exists audit.runs (
    run_id varchar primary key,
    started_at timestamp not null,
    finished_at timestamp,
    status varchar not null,        -- running, published, blocked (by a check), failed (an
                                    -- error), abandoned (its process died)
    input_dir varchar not null,
    files_seen integer,
    files_unchanged integer,
    files_ingested integer,
    articles_read integer,
    published integer,
    duplicates integer,
    quarantined integer,
    removed_spans integer,
    quarantine_by_reason json,
    removals_by_reason json,
    failed_expectations varchar[]
);

-- Columns added after the first release, so warehouses made before them still open.
alter table audit.runs add column if not exists stage_seconds json;  -- {stage: wall seconds}
alter table audit.runs add column if not exists pid integer;        -- the process that ran it
alter table audit.runs add column if not exists error varchar;      -- why a failed run stopped
-- The file's modification time as found (ns since the epoch): a later run skips a file of the
-- same size and time without reading it. Null for files ingested before it was recorded.
alter table raw.files add column if not exists mtime_ns bigint;

create table if not exists audit.validations (
    run_id varchar not null,
    suite varchar not null,
    expectation varchar not null,
    column_name varchar,
    severity varchar not null,
    reason varchar,
    success boolean not null,
    unexpected_count integer not null,
    detail varchar
);

create or replace view published.runs as
select * from audit.runs where status = 'published';

create table if not exists published.articles (
    article_id varchar primary key,
    source_file varchar not null,
    item integer not null,
    version integer not null,
    source varchar,
    url varchar,
    title varchar,
    authors varchar,
    published_at timestamp,
    language varchar,
    body varchar not null,          -- paragraphs separated by a blank line
    captions varchar[] not null,
    word_count integer not null,
    truncated boolean not null,
    duplicate_of varchar,           -- the article_id of the published copy of the same body
    body_hash varchar not null,
    run_id varchar not null
);

-- No primary key on the tables with a row per paragraph: DuckDB holds a key's index in memory
-- while a transaction writes it, 0.7 GB for the two at a million articles
-- (bench/key_memory.py), a third of the run's memory limit, and more as the warehouse grows.
-- (article_id, position) is unique as articles are (published.articles keeps its key, and
-- publishing deletes a replaced article's paragraphs first); paragraph_hash is, as only texts
-- no cluster holds yet are clustered.
-- warehouse.drop_paragraph_keys rebuilds the tables of a warehouse written before.
create table if not exists published.paragraphs (
    article_id varchar not null,
    position integer not null,      -- index in the article's paragraph split, as in removals
    paragraph_text varchar not null,
    paragraph_hash varchar not null,
    first_article_id varchar not null,  -- the earliest article that carried this paragraph
    run_id varchar not null
);

create table if not exists published.removals (
    article_id varchar not null,
    position integer not null,
    removed_text varchar not null,
    reason varchar not null,
    rule_id varchar not null,
    run_id varchar not null
);

create table if not exists published.quarantine (
    source_file varchar not null,
    item integer not null,
    article_id varchar,
    version integer not null,
    step varchar not null,
    reason varchar not null,
    detail varchar not null,
    original_text varchar,
    run_id varchar not null
);

-- Near duplicates. Band keys of each published article's MinHash signature (of its whole body,
-- and of its lead, where a teaser meets its full story): a new article's keys are joined here.
create table if not exists published.article_bands (
    article_id varchar not null,
    kind varchar not null,          -- full or lead
    band utinyint not null,
    band_key ubigint not null
);

-- Every published article's cluster; the cluster id is the article_id of its canonical copy.
create table if not exists published.article_clusters (
    article_id varchar primary key,
    cluster_id varchar not null,
    relation varchar not null,      -- canonical, exact, near, teaser, or merged (its cluster
                                    -- joined another through a later member)
    similarity double,              -- Jaccard with its closest member; 1 for a canonical,
                                    -- null for merged
    seen_order integer not null,    -- order its run saw it in: with the run, who came first
    run_id varchar not null
);

-- The same for distinct paragraph texts: a paragraph's cluster holds its edited copies.
create table if not exists published.paragraph_bands (
    paragraph_hash varchar not null,
    kind varchar not null,
    band utinyint not null,
    band_key ubigint not null
);

-- The layout each level's band keys were computed with: a level whose layout the code changed
-- is re-keyed from its published texts before it is matched again (copydesk.near_duplicates).
create table if not exists published.band_layouts (
    level varchar primary key,      -- article or paragraph
    bands integer not null,
    band_rows integer not null,
    lead_shingles integer not null,
    min_shingles integer not null
);

create table if not exists published.paragraph_clusters (
    paragraph_hash varchar not null,  -- unique: see published.paragraphs
    cluster_id varchar not null,    -- the paragraph_hash of the first text seen
    relation varchar not null,
    similarity double,
    seen_order integer not null,
    run_id varchar not null
);

-- A new member that matched two clusters joins them: the merged one's members move over.
create table if not exists audit.cluster_merges (
    run_id varchar not null,
    level varchar not null,         -- article or paragraph
    kept_cluster_id varchar not null,
    merged_cluster_id varchar not null
);

-- Every article that carries a paragraph of each paragraph cluster (its text or an edited
-- copy), ranked by who had it first: publication date, then the run that published it.
create or replace view published.paragraph_carriers as
with clusters as (
    select * from published.paragraph_clusters
),

carriers as (
    select
        clusters.cluster_id,
        paragraphs.article_id,
        paragraphs.position,
        paragraphs.paragraph_text,
        articles.source,
        articles.url,
        articles.published_at,
        runs.started_at as run_started_at
    from published.paragraphs as paragraphs
    join clusters using (paragraph_hash)
    join published.articles as articles using (article_id)
    left join audit.runs as runs on runs.run_id = articles.run_id
),

ranked as (
    select
        *,
        row_number() over (
            partition by cluster_id
            order by published_at nulls last, run_started_at, article_id, position
        ) as carrier_rank,
        count(distinct article_id) over (partition by cluster_id) as carrier_count
    from carriers
)

select * from ranked;

-- Who copies whom: for each pair of sources, how many of the later source's articles repeat
-- an article of the earlier one, and how many paragraphs it took from the first carrier.
create or replace view published.syndication_edges as
with articles as (
    select * from published.articles
),

article_copies as (
    select
        coalesce(canonical.source, '(unknown)') as from_source,
        coalesce(copies.source, '(unknown)') as to_source,
        'article' as level
    from articles as copies
    join articles as canonical on canonical.article_id = copies.duplicate_of
),

carriers as (
    select * from published.paragraph_carriers
),

paragraph_copies as (
    select
        coalesce(firsts.source, '(unknown)') as from_source,
        coalesce(later.source, '(unknown)') as to_source,
        'paragraph' as level
    from carriers as later
    join carriers as firsts
        on firsts.cluster_id = later.cluster_id and firsts.carrier_rank = 1
    where later.carrier_rank > 1 and later.article_id <> firsts.article_id
),

edges as (
    select * from article_copies
    union all
    select * from paragraph_copies
),

final as (
    select from_source, to_source, level, count(*) as copies
    from edges
    group by all
)

select * from final;

-- Site boilerplate learned from the warehouse (copydesk/site_boilerplate.py). The site of an
-- article: its URL's host without "www.", else its source name (site_of in Python agrees).
create or replace macro published.site_of(url, source) as coalesce(
    nullif(
        regexp_replace(
            lower(regexp_extract(url, '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?([^/?#:]+)', 1)),
            '^www\.',
            ''
        ),
        ''
    ),
    nullif(trim(source), '')
);

-- How many original articles (duplicates not counted) each site has published...
create table if not exists published.site_articles (
    site varchar not null,
    articles bigint not null
);

-- ...and how many of them carry each body line: updated from each run's articles, so no run
-- reads the whole warehouse. A line's count stops growing once it is learned and removed.
create table if not exists published.site_lines (
    site varchar not null,
    paragraph_hash varchar not null,
    articles bigint not null,
    first_run_id varchar not null   -- the first run that published the line on this site
);

-- ...and which lines were counted for which article, so an article that stops being a published
-- original (replaced, quarantined, now a copy in another's cluster) leaves the counts exactly
-- as it entered them.
create table if not exists published.site_counted (
    article_id varchar not null,
    site varchar not null,
    paragraph_hash varchar not null
);

-- The learned rules: a line of a site taken out of that site's articles on later runs, with
-- reason site_boilerplate. A deleted row comes back while its line's count passes the threshold
-- (see docs/querying.md).
create table if not exists published.learned_rules (
    rule_id varchar primary key,    -- learned:<site>:<first 12 hex digits of paragraph_hash>
    site varchar not null,
    paragraph_hash varchar not null,
    sample_text varchar not null,   -- the line as one of the articles printed it
    articles bigint not null,       -- original articles of the site carrying it when learned
    site_articles bigint not null,  -- the site's original articles then
    first_run_id varchar not null,  -- the first run that published the line
    learned_run_id varchar not null -- the run that learned it; later runs remove it
);
