"""Near duplicates across the warehouse, for articles and for paragraphs: band keys joined in
DuckDB (never a Python index that grows with the corpus), candidates verified on their exact
shingle sets, and clusters whose ids stay put as new members arrive.

Band keys are computed with each batch where it is cleaned (band_key_table) and staged with it
(none for a paragraph too short to be told from a different line by its shingles);
candidates are verified a chunk at a time, so memory follows the chunk size and the number of
duplicates found, not the size of the warehouse or the batch."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from math import ceil

import duckdb
import numpy as np
import pyarrow as pa

from copydesk.minhash import MinHasher, assign_clusters, band_keys, overlaps, shingle_sets
from copydesk.text_keys import words_for_hash
from copydesk.warehouse import read_sql

log = logging.getLogger(__name__)

HASHER = MinHasher(num_perm=128, ngram=3)
MIN_CONTAINED = 20  # shingles a text needs before containment alone makes it a duplicate
# New members one band bucket pairs among themselves at most; a larger bucket pairs each
# member with its first only, or its pairs would grow as the square of the corpus (a million
# files' author boxes and bylines ran DuckDB out of memory and disk).
MAX_BUCKET = 100
SHINGLE_GROUP = 2_000  # candidate texts shingled at once
REKEY_CHUNK = 50_000  # published members re-keyed at a time
# The batches' band key rows a pass over the bands reads at most. Each pass fills DuckDB's limit
# and its allocator keeps what a pass freed for a while, outside that limit: at a million files
# the paragraph candidates took the process to 2.8 GB in passes of 2 bands (10 million rows),
# 2.1 GB and 20% faster in passes of 1 (bench/candidates_again.py).
BAND_ROWS_PER_PASS = 5_000_000


@dataclass(frozen=True, slots=True)
class NearDupPolicy:
    jaccard: float
    containment: float
    canonical_order: str  # "earliest" or "longest"


@dataclass(frozen=True, slots=True)
class Level:
    """What is clustered: articles (by article_id) or distinct paragraph texts (by hash). Its
    queries are sql/near_duplicates/<name>_*.sql and the {level}-templated files there; those
    that look up ids read them from a registered relation `wanted(id)`."""

    name: str
    id_column: str
    bands: int
    rows: int
    lead_shingles: int  # 0: no lead signature, so no teaser search
    # Candidate pairs verified at a time: their members' texts and shingle sets are held
    # together (20,000 article pairs took a 300k-file run's audit from 1.3 to 3.5 GB of RSS;
    # paragraphs are short)
    pairs_per_chunk: int
    min_shingles: int = 0  # a member with fewer distinct shingles gets no band keys

    def sql(self, statement: str) -> str:
        """The text of one of this level's statements, its table and column names filled."""
        return read_sql(
            f"near_duplicates/{statement}",
            level=self.name,
            id=self.id_column,
            new_members=read_sql(f"near_duplicates/{self.name}_new_members"),
            replaced=read_sql(f"near_duplicates/{self.name}_replaced"),
        )

    def own_sql(self, query: str) -> str:
        """The text of a query written for this level alone (new_members, texts, ranks,
        published_texts)."""
        return read_sql(f"near_duplicates/{self.name}_{query}")


# Bands chosen with bench/neardup.py: 16 x 8 puts the 50% candidate point at Jaccard 0.71 for
# whole articles (edited copies sit far above it; the lead finds teasers). Paragraphs are short
# and one changed word moves them more: 22 bands of 3 rows offer a pair at least as often as
# the 32 x 4 used before wherever a miss is likely (Jaccard 0.5 to 0.7), for 22 band rows
# instead of 32; more chance pairs reach the exact check, which is cheap. A paragraph of fewer
# than 4 shingles (5 words or less) gets no keys: exact copies still share its hash, and its
# near matches in the benchmark's real paragraphs were mostly different lines of one template
# ("Teil 1", "Teil 2"). Both measured with `python -m bench.neardup --paragraph-words 1`.
ARTICLES = Level("article", "article_id", bands=16, rows=8, lead_shingles=60, pairs_per_chunk=2_000)
# (bands, rows, lead_shingles, min_shingles) of warehouses written before band_layouts was kept
UNRECORDED_LAYOUTS = {"article": (16, 8, 60, 0), "paragraph": (32, 4, 0, 0)}
PARAGRAPHS = Level(
    "paragraph",
    "paragraph_hash",
    bands=22,
    rows=3,
    lead_shingles=0,
    pairs_per_chunk=20_000,
    min_shingles=4,
)


def cluster_new_members(
    con: duckdb.DuckDBPyConnection,
    level: Level,
    policy: NearDupPolicy,
    after_quarantine: bool = False,
) -> list[tuple[str, str]]:
    """Cluster the level's new members with each other and the published ones, into
    audit.<level>_matches; returns the merges of existing clusters (kept, merged).

    `after_quarantine`: the batch was clustered before and has since only lost articles, so
    neither the band join nor the verification is run again; the candidate and verified pairs
    of the members that left are dropped instead."""
    if after_quarantine:
        con.execute(level.sql("drop_gone_candidates"))
    else:
        rekey_published(con, level)
        con.execute(f"delete from staging.{level.name}_bands")
        keys = f"staging.{level.name}_band_keys"
        _by_band(con, level, "stage_bands", f"select sum(len(band_keys)) from {keys}")
        # The keys are picked: emptied, their table's metadata leaves memory with it (DuckDB
        # keeps what it loaded of a table's: 360 MB of these at 1M when they were a row per key).
        con.execute(f"create or replace table {keys} as from {keys} limit 0")
        con.execute("create or replace temp table candidate_rows (a varchar, b varchar)")
        _by_band(
            con,
            level,
            "candidates",
            f"select count(*) from staging.{level.name}_bands",
            max_bucket=MAX_BUCKET,
        )
        con.execute(
            f"create or replace table audit.{level.name}_candidates as "
            "select distinct a, b from candidate_rows"
        )
        con.execute("drop table candidate_rows")
        _verify(con, level, policy)
    pairs, best = _verified_pairs(con, level)

    members = sorted({m for pair in pairs for m in pair})
    existing = dict(_lookup(con, level.sql("existing_clusters"), members))
    new = [m for m in members if m not in existing]
    rank = _published_ranks(con, level, {*existing, *existing.values()})
    for member, first_seen, position, size in _lookup(con, level.own_sql("ranks"), new):
        seen = (first_seen, position)
        rank[member] = (1, -size, *seen) if policy.canonical_order == "longest" else (1, *seen)
    assignment = assign_clusters(new, existing, pairs, rank)

    rows = []
    for member in new:
        cluster = assignment.cluster_of[member]
        jaccard, relation = best[member]
        canonical = cluster == member
        rows.append(
            {
                "id": member,
                "cluster_id": cluster,
                "relation": "canonical" if canonical else relation,
                "similarity": 1.0 if canonical else float(jaccard),
            }
        )
    con.execute(level.sql("create_matches"))
    if rows:
        con.register("clustered", pa.Table.from_pylist(rows))
        con.execute(f"insert into audit.{level.name}_matches select * from clustered")
        con.unregister("clustered")
    con.execute(level.sql("singletons"))
    log.info(
        "%s near duplicates: %s candidate pairs, %s verified, %s merges",
        level.name,
        con.sql(f"select count(*) from audit.{level.name}_candidates").fetchall()[0][0],
        len(pairs),
        len(assignment.merges),
    )
    return assignment.merges


def _by_band(
    con: duckdb.DuckDBPyConnection, level: Level, statement: str, key_rows: str, **params
) -> None:
    """Run one of the level's statements over its bands in as few passes ($first_band to
    $end_band) as keep each under BAND_ROWS_PER_PASS of the band keys it reads, which
    `key_rows` counts: the distinct and the self-join hold what one pass reads (2 million
    paragraph keys at 10k files, so some 200 million at a million)."""
    rows = con.execute(key_rows).fetchall()[0][0] or 0
    per_pass = ceil(level.bands / max(1, ceil(rows / BAND_ROWS_PER_PASS)))
    for first in range(0, level.bands, per_pass):
        bands = {"first_band": first, "end_band": min(first + per_pass, level.bands)}
        con.execute(level.sql(statement), bands | params)


def rekey_published(con: duckdb.DuckDBPyConnection, level: Level) -> int:
    """Recompute the level's published band keys from its published texts when they were
    computed with another layout (keys of two layouts never meet); returns the members
    re-keyed, all or nothing."""
    layout = (level.bands, level.rows, level.lead_shingles, level.min_shingles)
    stored = con.execute(
        "select bands, band_rows, lead_shingles, min_shingles "
        "from published.band_layouts where level = ?",
        [level.name],
    ).fetchone()
    rekeyed = 0
    if (tuple(stored) if stored else UNRECORDED_LAYOUTS[level.name]) == layout:
        if stored is None:
            _record_layout(con, level.name, layout)
        return rekeyed
    # One transaction: a run that stops half-way leaves the old keys, never a part of the
    # new ones. The texts are numbered once, then read a page at a time by number (DuckDB
    # skips the row groups outside it), on this connection: a second one reading while this
    # one writes could hold up its commits.
    con.execute("begin transaction")
    try:
        con.execute(f"delete from published.{level.name}_bands")
        con.execute(
            "create or replace temp table rekey_texts as select row_number() over () as n, * "
            f"from ({level.own_sql('published_texts')})"
        )
        page = "select * exclude (n) from rekey_texts where n > $after and n <= $after + $limit"
        while chunk := con.execute(page, {"after": rekeyed, "limit": REKEY_CHUNK}).fetchall():
            ids = [member for member, _ in chunk]
            keys = band_key_table(level, ids, [words_for_hash(text) for _, text in chunk])
            con.register("rekeyed", keys)
            con.execute(level.sql("rekeyed_bands"))
            con.unregister("rekeyed")
            rekeyed += len(chunk)
        con.execute("drop table rekey_texts")
        _record_layout(con, level.name, layout)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    log.info(
        "%s band keys recomputed for %s published members: layout %s", level.name, rekeyed, layout
    )
    return rekeyed


def _record_layout(con: duckdb.DuckDBPyConnection, level: str, layout: tuple) -> None:
    con.execute(
        "insert or replace into published.band_layouts values (?, ?, ?, ?, ?)", [level, *layout]
    )


def band_key_table(
    level: Level, ids: Sequence[str], word_lists: Sequence[Sequence[str]]
) -> pa.Table:
    """Band keys of members given by their words (words_for_hash of their text), as rows of
    staging.<level>_band_keys: computed where a batch is cleaned, not by the single writer.
    A row per member and kind holds its keys in band order, a list: one row per key would be
    `bands` times as many strings to build, send and stage. A member with fewer than the
    level's min_shingles distinct shingles gets none."""
    full, leads = shingle_sets(HASHER, word_lists, level.lead_shingles)
    keyed = [i for i, s in enumerate(full) if len(s) >= level.min_shingles]
    keyed_ids = np.array(ids, dtype=object)[keyed] if keyed else np.empty(0, dtype=object)
    views = [("full", full)] + ([("lead", leads)] if level.lead_shingles else [])
    tables = []
    for kind, sets in views:
        keys = band_keys(HASHER.signatures_of([sets[i] for i in keyed]), level.bands, level.rows)
        tables.append(
            pa.table(
                {
                    level.id_column: pa.array(keyed_ids, pa.string()),
                    "kind": pa.array([kind] * len(keyed), pa.string()),
                    "band_keys": pa.ListArray.from_arrays(
                        np.arange(0, keys.size + 1, level.bands, dtype=np.int32),
                        pa.array(keys.ravel(), pa.uint64()),
                    ),
                }
            )
        )
    return pa.concat_tables(tables)


def _verify(con: duckdb.DuckDBPyConnection, level: Level, policy: NearDupPolicy) -> None:
    """The candidate pairs that hold up on exact shingle sets, into audit.<level>_verified with
    their Jaccard similarity and relation (exact, near or teaser)."""
    con.execute(
        f"create or replace table audit.{level.name}_verified "
        "(a varchar, b varchar, jaccard double, relation varchar)"
    )
    _gather_candidate_texts(con, level)
    # A cursor of its own streams the candidates while `con` looks up each chunk's texts.
    with con.cursor() as candidates:
        candidates.execute(f"select a, b from audit.{level.name}_candidates order by a, b")
        while chunk := candidates.fetchmany(level.pairs_per_chunk):
            shingles = _shingles_of(con, sorted({m for pair in chunk for m in pair}))
            # a published member whose text is gone has no shingles: its pairs are dropped
            found = [(a, b) for a, b in chunk if a in shingles and b in shingles]
            sets_a = [shingles[a] for a, _ in found]
            sets_b = [shingles[b] for _, b in found]
            jaccard, contained = overlaps(sets_a, sets_b)
            near = jaccard >= policy.jaccard
            smaller = np.fromiter(
                map(min, map(len, sets_a), map(len, sets_b)), np.int64, len(found)
            )
            teaser = (
                bool(level.lead_shingles)
                & ~near
                & (smaller >= MIN_CONTAINED)
                & (contained >= policy.containment)
            )
            keep = np.flatnonzero(near | teaser)
            if not len(keep):
                continue
            relation = np.where(
                jaccard[keep] == 1.0, "exact", np.where(near[keep], "near", "teaser")
            )
            table = pa.table(
                {
                    "a": pa.array([found[i][0] for i in keep], pa.string()),
                    "b": pa.array([found[i][1] for i in keep], pa.string()),
                    "jaccard": pa.array(jaccard[keep], pa.float64()),
                    "relation": pa.array(relation.tolist(), pa.string()),
                }
            )
            con.register("verified", table)
            con.execute(f"insert into audit.{level.name}_verified select * from verified")
            con.unregister("verified")
    con.execute("drop table candidate_texts")


def _verified_pairs(
    con: duckdb.DuckDBPyConnection, level: Level
) -> tuple[list[tuple[str, str]], dict[str, tuple[float, str]]]:
    """The verified pairs in order, and each member's best match: its highest Jaccard, the
    first pair in that order on a tie."""
    pairs: list[tuple[str, str]] = []
    best: dict[str, tuple[float, str]] = {}
    verified = f"select * from audit.{level.name}_verified order by a, b"
    for a, b, jaccard, relation in con.execute(verified).fetchall():
        pairs.append((a, b))
        for member in (a, b):
            if jaccard > best.get(member, (-1.0, ""))[0]:
                best[member] = (jaccard, relation)
    return pairs, best


def _gather_candidate_texts(con: duckdb.DuckDBPyConnection, level: Level) -> None:
    """Temp table candidate_texts(id, text) of every member of a candidate pair, found in one
    pass: an article's text is gathered from its staged paragraphs, which each chunk's look-up
    would otherwise scan again."""
    con.execute("create or replace temp table candidate_texts (id varchar, text varchar)")
    con.execute(
        "create or replace temp table wanted as "
        f"select a as id from audit.{level.name}_candidates "
        f"union select b from audit.{level.name}_candidates"
    )
    try:
        con.execute(f"insert into candidate_texts {level.own_sql('texts')}")
    finally:
        con.execute("drop table wanted")


def _shingles_of(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> dict[str, np.ndarray]:
    """The shingle sets of the wanted candidate members, their words made SHINGLE_GROUP texts
    at a time (a word list weighs several times its text)."""
    found = _lookup(con, "select * from candidate_texts semi join wanted using (id)", ids)
    shingles: dict[str, np.ndarray] = {}
    for start in range(0, len(found), SHINGLE_GROUP):
        group = found[start : start + SHINGLE_GROUP]
        sets, _ = shingle_sets(HASHER, [words_for_hash(text) for _, text in group], 0)
        shingles.update(zip([m for m, _ in group], sets, strict=True))
    return shingles


def _lookup(con: duckdb.DuckDBPyConnection, sql: str, ids: Sequence[str]) -> list[tuple]:
    """Rows of `sql` for the ids registered as relation `wanted`."""
    if not ids:
        return []
    con.register("wanted", pa.table({"id": pa.array(list(ids), pa.string())}))
    try:
        return con.execute(sql).fetchall()
    finally:
        con.unregister("wanted")


def _published_ranks(con, level: Level, members: set[str]) -> dict[str, tuple]:
    """Published members before every new one, by the run that published them and the order
    that run saw them in.

    A canonical no longer published still sorts first among its cluster's members."""
    rank = {m: (0, float("-inf"), 0, m) for m in members}
    rows = _lookup(con, level.sql("published_ranks"), sorted(members))
    rank.update((member, (0, started, seen, member)) for member, started, seen in rows)
    return rank


def cluster_near_duplicates(
    con: duckdb.DuckDBPyConnection, policy: NearDupPolicy, after_quarantine: bool = False
) -> None:
    """Cluster the staged articles and their new paragraph texts, into audit.article_matches
    (with duplicate_of), audit.paragraph_matches and audit.new_cluster_merges;
    `after_quarantine`: articles left a batch clustered before (see cluster_new_members)."""
    merges = [("article", *m) for m in cluster_new_members(con, ARTICLES, policy, after_quarantine)]
    con.execute(read_sql("near_duplicates/article_duplicate_of"))
    merges += [
        ("paragraph", *m) for m in cluster_new_members(con, PARAGRAPHS, policy, after_quarantine)
    ]
    con.execute(
        "create or replace table audit.new_cluster_merges "
        "(level varchar, kept_cluster_id varchar, merged_cluster_id varchar)"
    )
    if merges:
        con.executemany("insert into audit.new_cluster_merges values (?, ?, ?)", merges)
