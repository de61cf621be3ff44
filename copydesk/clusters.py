"""Near-duplicate articles across the warehouse: band keys joined in DuckDB, candidates
verified on exact shingle sets, clusters with stable ids."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from copydesk.neardup import MinHasher, assign_clusters, band_keys, overlap, shingle_sets

log = logging.getLogger(__name__)

BANDS, ROWS = 16, 8  # LSH: a pair with Jaccard 0.7 is a candidate half of the time
LEAD_SHINGLES = 60  # a teaser's lead: its first 60 word 3-grams
MIN_CONTAINED = 20  # shingles a text needs before containment alone can make it a duplicate
HASHER = MinHasher(num_perm=128, ngram=3)


@dataclass(frozen=True, slots=True)
class NearDupPolicy:
    jaccard: float
    containment: float
    canonical_order: str  # "earliest" or "longest"


def stage_article_clusters(con: duckdb.DuckDBPyConnection, policy: NearDupPolicy) -> None:
    """Cluster the staged articles with each other and with published ones, into
    audit.article_matches (one row per staged article) and audit.new_cluster_merges."""
    batch = con.execute("""
        select a.article_id, o.first_seen_rank,
               string_agg(p.paragraph_text, chr(10) order by p.position) as body
        from staging.articles a
        join audit.int_article_order o using (article_id)
        join staging.paragraphs p using (article_id)
        group by all
    """).fetchall()
    ids = [row[0] for row in batch]
    full, leads = shingle_sets(HASHER, [row[2] for row in batch], LEAD_SHINGLES)
    _stage_bands(con, ids, full, leads)

    candidates = con.execute("""
        with staged as (select * from staging.article_bands),
        indexed as (
            select * from published.article_bands
            where article_id not in (select article_id from staging.articles)
        )
        select distinct s.article_id, i.article_id
        from staged s join indexed i using (kind, band, band_key)
        union
        select distinct s.article_id, t.article_id
        from staged s join staged t using (kind, band, band_key)
        where s.article_id < t.article_id
    """).fetchall()
    known = dict(zip(ids, full, strict=True))
    others = sorted({b for _, b in candidates} - known.keys())
    if others:
        bodies = con.execute(
            "select article_id, body from published.articles where list_contains($ids, article_id)",
            {"ids": others},
        ).fetchall()
        texts = dict(bodies)
        known.update(zip(texts, shingle_sets(HASHER, list(texts.values()), 0)[0], strict=True))

    pairs, best = [], {}
    for a, b in candidates:
        jaccard, contained = overlap(known[a], known[b])
        smaller = min(len(known[a]), len(known[b]))
        if jaccard >= policy.jaccard:
            relation = "exact" if jaccard == 1.0 else "near"
        elif smaller >= MIN_CONTAINED and contained >= policy.containment:
            relation = "teaser"
        else:
            continue
        pairs.append((a, b))
        for m in (a, b):
            if jaccard > best.get(m, (-1.0, ""))[0]:
                best[m] = (jaccard, relation)

    existing = dict(
        con.execute(
            "select article_id, cluster_id from published.article_clusters "
            "where list_contains($ids, article_id)",
            {"ids": others or [""]},
        ).fetchall()
    )
    rank = _ranks(con, batch, existing, policy.canonical_order)
    assignment = assign_clusters(ids, existing, pairs, rank)
    rows = []
    for article_id in ids:
        cluster = assignment.cluster_of[article_id]
        canonical = cluster == article_id
        jaccard, relation = best.get(article_id, (1.0, "canonical"))
        rows.append(
            {
                "article_id": article_id,
                "cluster_id": cluster,
                "duplicate_of": None if canonical else cluster,
                "relation": "canonical" if canonical else relation,
                "similarity": 1.0 if canonical else float(jaccard),
            }
        )
    con.execute(
        "create or replace table audit.article_matches ("
        "article_id varchar, cluster_id varchar, duplicate_of varchar, "
        "relation varchar, similarity double)"
    )
    if rows:
        con.register("matches", pa.Table.from_pylist(rows))
        con.execute("insert into audit.article_matches select * from matches")
        con.unregister("matches")
    con.execute(
        "create or replace table audit.new_cluster_merges "
        "(kept_cluster_id varchar, merged_cluster_id varchar)"
    )
    if assignment.merges:
        con.executemany("insert into audit.new_cluster_merges values (?, ?)", assignment.merges)
    log.info(
        "near duplicates: %s staged articles, %s candidate pairs, %s verified, %s merges",
        len(ids),
        len(candidates),
        len(pairs),
        len(assignment.merges),
    )


def _stage_bands(con, ids, full, leads) -> None:
    if not ids:
        return
    tables = []
    for kind, sets in (("full", full), ("lead", leads)):
        keys = band_keys(HASHER.signatures_of(sets), BANDS, ROWS)
        tables.append(
            pa.table(
                {
                    "article_id": np.repeat(np.array(ids, dtype=object), BANDS),
                    "kind": [kind] * (len(ids) * BANDS),
                    "band": pa.array(np.tile(np.arange(BANDS, dtype=np.uint8), len(ids))),
                    "band_key": pa.array(keys.ravel()),
                }
            )
        )
    con.register("new_bands", pa.concat_tables(tables))
    con.execute("insert into staging.article_bands select * from new_bands")
    con.unregister("new_bands")


def _ranks(con, batch, existing, canonical_order) -> dict[str, tuple]:
    """Sort keys: published articles first, by their run's start; then the batch, by policy."""
    published = set(existing) | set(existing.values())
    # A canonical no longer in published.articles still sorts first among its members.
    rank: dict[str, tuple] = {a: (0, float("-inf"), a) for a in published}
    if published:
        for article_id, started in con.execute(
            """
            select a.article_id, epoch(r.started_at)
            from published.articles a join audit.runs r using (run_id)
            where list_contains($ids, a.article_id)
        """,
            {"ids": sorted(published)},
        ).fetchall():
            rank[article_id] = (0, started, article_id)
    for article_id, first_seen, body in batch:
        words = len(body.split())
        key = (-words, first_seen) if canonical_order == "longest" else (first_seen,)
        rank[article_id] = (1, *key)
    return rank
