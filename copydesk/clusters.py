"""Near duplicates across the warehouse, for articles and for paragraphs: band keys joined in
DuckDB (never a Python index that grows with the corpus), candidates verified on their exact
shingle sets, and clusters whose ids stay put as new members arrive."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from copydesk.neardup import MinHasher, assign_clusters, band_keys, overlap, shingle_sets

log = logging.getLogger(__name__)

HASHER = MinHasher(num_perm=128, ngram=3)
MIN_CONTAINED = 20  # shingles a text needs before containment alone makes it a duplicate


@dataclass(frozen=True, slots=True)
class NearDupPolicy:
    jaccard: float
    containment: float
    canonical_order: str  # "earliest" or "longest"


@dataclass(frozen=True, slots=True)
class Level:
    """What is clustered: articles (by article_id) or distinct paragraph texts (by hash)."""

    name: str
    id_column: str
    bands: int
    rows: int
    lead_shingles: int  # 0: no lead signature (no teaser search)
    texts_sql: str  # published texts of the ids in $ids

    @property
    def band_table(self) -> str:
        return f"{self.name}_bands"

    @property
    def cluster_table(self) -> str:
        return f"{self.name}_clusters"


# Bands chosen with bench/neardup.py: 16 x 8 puts the 50% candidate point at Jaccard 0.71 for
# whole articles (edited copies sit far above it; the lead finds teasers); paragraphs are
# short and one changed word moves them more, so 32 x 4 (0.42) catches their edits.
ARTICLES = Level(
    "article",
    "article_id",
    bands=16,
    rows=8,
    lead_shingles=60,
    texts_sql="select article_id, body from published.articles "
    "where list_contains($ids, article_id)",
)
PARAGRAPHS = Level(
    "paragraph",
    "paragraph_hash",
    bands=32,
    rows=4,
    lead_shingles=0,
    texts_sql="select paragraph_hash, any_value(paragraph_text) from published.paragraphs "
    "where list_contains($ids, paragraph_hash) group by 1",
)


@dataclass(frozen=True, slots=True)
class Clustered:
    """A batch placed in clusters: per member its cluster, relation and best similarity."""

    rows: list[dict]
    merges: list[tuple[str, str]]


def cluster_batch(
    con: duckdb.DuckDBPyConnection,
    level: Level,
    ids: Sequence[str],
    texts: Sequence[str],
    rank: dict[str, tuple],
    policy: NearDupPolicy,
) -> Clustered:
    """Cluster new members with each other and the published ones; their band keys go to
    staging.<level>_bands. `rank` orders the new members (first is canonical)."""
    full, leads = shingle_sets(HASHER, texts, level.lead_shingles)
    _stage_bands(con, level, ids, full, leads)
    candidates = con.execute(f"""
        with staged as (select * from staging.{level.band_table}),
        indexed as (
            select * from published.{level.band_table} anti join staged using ({level.id_column})
        )
        select distinct s.{level.id_column}, i.{level.id_column}
        from staged s join indexed i using (kind, band, band_key)
        union
        select distinct s.{level.id_column}, t.{level.id_column}
        from staged s join staged t using (kind, band, band_key)
        where s.{level.id_column} < t.{level.id_column}
    """).fetchall()

    shingles = dict(zip(ids, full, strict=True))
    published = sorted({b for _, b in candidates} - shingles.keys())
    if published:
        found = dict(con.execute(level.texts_sql, {"ids": published}).fetchall())
        sets, _ = shingle_sets(HASHER, list(found.values()), 0)
        shingles.update(zip(found, sets, strict=True))

    pairs, best = [], {}
    for a, b in candidates:
        if a not in shingles or b not in shingles:
            continue  # a published member whose text is gone
        jaccard, contained = overlap(shingles[a], shingles[b])
        if jaccard >= policy.jaccard:
            relation = "exact" if jaccard == 1.0 else "near"
        elif (
            level.lead_shingles
            and min(len(shingles[a]), len(shingles[b])) >= MIN_CONTAINED
            and contained >= policy.containment
        ):
            relation = "teaser"
        else:
            continue
        pairs.append((a, b))
        for member in (a, b):
            if jaccard > best.get(member, (-1.0, ""))[0]:
                best[member] = (jaccard, relation)

    existing = {}
    if published:
        existing = dict(
            con.execute(
                f"select {level.id_column}, cluster_id from published.{level.cluster_table} "
                f"where list_contains($ids, {level.id_column})",
                {"ids": published},
            ).fetchall()
        )
        rank = {**rank, **_published_ranks(con, level, {*existing, *existing.values()})}
    assignment = assign_clusters(ids, existing, pairs, rank)
    rows = []
    for member in ids:
        cluster = assignment.cluster_of[member]
        jaccard, relation = best.get(member, (1.0, "canonical"))
        canonical = cluster == member
        rows.append(
            {
                f"{level.id_column}": member,
                "cluster_id": cluster,
                "relation": "canonical" if canonical else relation,
                "similarity": 1.0 if canonical else float(jaccard),
            }
        )
    log.info(
        "%s near duplicates: %s new, %s candidate pairs, %s verified, %s merges",
        level.name,
        len(ids),
        len(candidates),
        len(pairs),
        len(assignment.merges),
    )
    return Clustered(rows, assignment.merges)


def _stage_bands(con, level: Level, ids, full, leads) -> None:
    if not len(ids):
        return
    views = [("full", full)] + ([("lead", leads)] if level.lead_shingles else [])
    tables = []
    for kind, sets in views:
        keys = band_keys(HASHER.signatures_of(sets), level.bands, level.rows)
        tables.append(
            pa.table(
                {
                    f"{level.id_column}": np.repeat(np.array(ids, dtype=object), level.bands),
                    "kind": [kind] * (len(ids) * level.bands),
                    "band": pa.array(np.tile(np.arange(level.bands, dtype=np.uint8), len(ids))),
                    "band_key": pa.array(keys.ravel()),
                }
            )
        )
    con.register("new_bands", pa.concat_tables(tables))
    con.execute(f"insert into staging.{level.band_table} select * from new_bands")
    con.unregister("new_bands")


def stage_clusters(con: duckdb.DuckDBPyConnection, policy: NearDupPolicy) -> None:
    """Cluster the staged articles and their new paragraph texts, into audit.article_matches,
    audit.paragraph_matches and audit.new_cluster_merges."""
    articles = con.execute("""
        select a.article_id, o.first_seen_rank,
               string_agg(p.paragraph_text, chr(10) order by p.position) as body
        from staging.articles a
        join audit.int_article_order o using (article_id)
        join staging.paragraphs p using (article_id)
        group by all
        order by o.first_seen_rank
    """).fetchall()
    rank = {}
    for article_id, first_seen, body in articles:
        words = len(body.split())
        rank[article_id] = (
            (1, -words, first_seen) if policy.canonical_order == "longest" else (1, first_seen)
        )
    article_result = cluster_batch(
        con, ARTICLES, [a[0] for a in articles], [a[2] for a in articles], rank, policy
    )
    article_rows = [
        {**row, "duplicate_of": None if row["relation"] == "canonical" else row["cluster_id"]}
        for row in article_result.rows
    ]

    # Paragraph texts seen for the first time; one seen before already has its cluster.
    paragraphs = con.execute("""
        select p.paragraph_hash, any_value(p.paragraph_text), min(o.first_seen_rank),
               min(p.position)
        from staging.paragraphs p
        join audit.int_article_order o using (article_id)
        anti join published.paragraph_clusters c using (paragraph_hash)
        group by 1
        order by 3, 4
    """).fetchall()
    paragraph_rank = {h: (1, first, pos) for h, _, first, pos in paragraphs}
    paragraph_result = cluster_batch(
        con,
        PARAGRAPHS,
        [p[0] for p in paragraphs],
        [p[1] for p in paragraphs],
        paragraph_rank,
        policy,
    )

    _replace(
        con,
        "audit.article_matches",
        article_rows,
        "article_id varchar, cluster_id varchar, relation varchar, similarity double, "
        "duplicate_of varchar",
    )
    _replace(
        con,
        "audit.paragraph_matches",
        paragraph_result.rows,
        "paragraph_hash varchar, cluster_id varchar, relation varchar, similarity double",
    )
    merges = [
        {"level": "article", "kept_cluster_id": k, "merged_cluster_id": m}
        for k, m in article_result.merges
    ]
    merges += [
        {"level": "paragraph", "kept_cluster_id": k, "merged_cluster_id": m}
        for k, m in paragraph_result.merges
    ]
    _replace(
        con,
        "audit.new_cluster_merges",
        merges,
        "level varchar, kept_cluster_id varchar, merged_cluster_id varchar",
    )


def _published_ranks(con, level: Level, members: set[str]) -> dict[str, tuple]:
    """Published members before every new one, by the start of the run that published them.

    A canonical no longer published still sorts first among its cluster's members."""
    rank = {m: (0, float("-inf"), m) for m in members}
    for member, started in con.execute(
        f"select c.{level.id_column}, epoch(r.started_at) "
        f"from published.{level.cluster_table} c join audit.runs r using (run_id) "
        f"where list_contains($ids, c.{level.id_column})",
        {"ids": sorted(members)},
    ).fetchall():
        rank[member] = (0, started, member)
    return rank


def _replace(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict], columns: str) -> None:
    con.execute(f"create or replace table {table} ({columns})")
    if rows:
        names = [c.split()[0] for c in columns.split(", ")]
        con.register("new_rows", pa.Table.from_pylist(rows).select(names))
        con.execute(f"insert into {table} select * from new_rows")
        con.unregister("new_rows")
