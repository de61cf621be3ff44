"""DuckDB I/O: layers raw -> staging -> audit -> published, written as write-audit-publish."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from copydesk.clusters import ARTICLES, PARAGRAPHS, NearDupPolicy, band_key_table, stage_clusters
from copydesk.dedup import body_hash, key_hash, normalize_for_hash
from copydesk.records import CleanArticle, InputFile, KnownFile, RawArticle, Rejected

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
# Built in this order into schema audit, each from its SQL file: the batch as it would publish.
ARTICLE_ORDER = "intermediate/int_article_order"
# Built after ARTICLE_ORDER and the near-duplicate clusters, in this order, each from its file.
AUDIT_RELATIONS = (
    "intermediate/int_article_duplicates",
    "intermediate/int_paragraph_first_seen",
    "marts/paragraphs",
    "marts/removals",
    "marts/articles",
)
PUBLISHED_TABLES = ("articles", "paragraphs", "removals", "quarantine")
LAYERS = ("raw", "staging", "audit", "published")  # the schemas of sql/schema.sql


def read_sql(name: str) -> str:
    """The text of sql/<name>.sql."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def check_name(path: Path) -> None:
    """Raise ValueError for a warehouse file named like one of its layers: DuckDB names the
    database after the file, and "audit.articles" would then be ambiguous."""
    if path.stem.lower() in LAYERS:
        raise ValueError(
            f"warehouse file {path.name!r} is named like one of its layers "
            f"({', '.join(LAYERS)}): choose another name, such as warehouse.duckdb"
        )


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse file, closed on exit; the schema exists when writable."""
    if read_only and not path.exists():
        raise FileNotFoundError(f"warehouse not found: {path}")
    check_name(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        if not read_only:
            con.execute(read_sql("schema"))
        yield con
    finally:
        con.close()


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, input_dir: Path) -> None:
    """Empty the staging tables and record the run as running."""
    con.execute(read_sql("staging/stg_tables"))
    con.execute(
        "insert into audit.runs (run_id, started_at, status, input_dir) "
        "values (?, now(), 'running', ?)",
        [run_id, str(input_dir)],
    )


def known_versions(con: duckdb.DuckDBPyConnection) -> dict[str, KnownFile]:
    """The latest version of every file path the warehouse has ingested."""
    rows = con.execute("""
        select source_file, arg_max(sha256, version), max(version),
               arg_max(size_bytes, version), arg_max(mtime_ns, version)
        from raw.files group by 1
    """).fetchall()
    return {path: KnownFile(*known) for path, *known in rows}


@dataclass(frozen=True, slots=True)
class StagedBatch:
    """Everything one batch produced, ready to be loaded into staging."""

    files: Sequence[InputFile]
    documents: Sequence[RawArticle]
    articles: Sequence[CleanArticle]
    rejected: Sequence[Rejected]


@dataclass(frozen=True, slots=True)
class BatchTables:
    """A cleaned batch as Arrow tables named and shaped like the staging tables, hashes and
    near-duplicate band keys included. Built where the batch was cleaned (a worker process),
    so the warehouse's single writer only appends them; empty tables are left out."""

    tables: dict[str, pa.Table]

    def rows(self, table: str) -> int:
        return self.tables[table].num_rows if table in self.tables else 0


def batch_tables(batch: StagedBatch) -> BatchTables:
    """The batch's staging rows; an article's seq counts from 0 within the batch."""
    versions = {f.source_file: f.version for f in batch.files}
    articles, paragraphs, removals = [], [], []
    article_words, paragraph_words = [], {}
    for seq, a in enumerate(batch.articles):
        keys = [normalize_for_hash(text) for text in a.paragraphs]  # hashed and shingled
        article_id = a.raw.article_id
        articles.append(
            {
                "article_id": article_id,
                "source_file": a.raw.source_file,
                "item": a.raw.item,
                "version": a.raw.version,
                "seq": seq,
                "source": a.source,
                "url": a.url,
                "title": a.title,
                "authors": a.authors,
                "published_at": a.published_at,
                "language": a.language,
                "captions": list(a.captions),
                "truncated": a.truncated,
                "body_hash": body_hash(keys),
            }
        )
        words = [key.split() for key in keys]
        article_words.append(list(chain.from_iterable(words)))
        paired = zip(a.positions, a.paragraphs, keys, words, strict=True)
        for position, text, key, key_words in paired:
            paragraph_hash = key_hash(key)
            paragraph_words.setdefault(paragraph_hash, key_words)
            paragraphs.append(
                {
                    "article_id": article_id,
                    "position": position,
                    "paragraph_text": text,
                    "paragraph_hash": paragraph_hash,
                }
            )
        removals.extend(
            {
                "article_id": article_id,
                "position": r.position,
                "removed_text": r.text,
                "reason": r.reason,
                "rule_id": r.rule_id,
            }
            for r in a.removals
        )
    rows = {
        "files": [
            {
                "source_file": f.source_file,
                "version": f.version,
                "sha256": f.sha256,
                "size_bytes": f.size_bytes,
                "mtime_ns": f.mtime_ns,
            }
            for f in batch.files
        ],
        "documents": [
            {
                "article_id": d.article_id,
                "version": d.version,
                "source_file": d.source_file,
                "item": d.item,
                "format": d.format,
                "encoding": d.encoding,
                "content": d.content,
                "url": d.url,
                "source": d.source,
                "title": d.title,
                "published": d.published,
            }
            for d in batch.documents
        ],
        "articles": articles,
        "paragraphs": paragraphs,
        "removals": removals,
        "quarantine": [
            {
                "source_file": r.source_file,
                "item": r.item,
                "article_id": r.article_id,
                "version": versions[r.source_file],
                "step": r.step,
                "reason": r.reason,
                "detail": r.detail,
                "original_text": r.original_text,
            }
            for r in batch.rejected
        ],
    }
    tables = {name: pa.Table.from_pylist(r) for name, r in rows.items() if r}
    ids = [a["article_id"] for a in articles]
    tables["article_band_keys"] = band_key_table(ARTICLES, ids, article_words)
    tables["paragraph_band_keys"] = band_key_table(
        PARAGRAPHS, list(paragraph_words), list(paragraph_words.values())
    )
    return BatchTables({name: t for name, t in tables.items() if t.num_rows})


def stage_batch(con: duckdb.DuckDBPyConnection, batch: BatchTables, first_seq: int) -> None:
    """Append one batch to the staging tables, all or nothing (a retried batch must not be
    staged twice); `first_seq` is the place of its first article in the order the run saw them."""
    con.execute("begin transaction")
    try:
        for name, table in batch.tables.items():
            con.register("batch_rows", table)
            if name == "articles":
                con.execute(
                    "insert into staging.articles by name "
                    "select * replace (seq + $first_seq as seq) from batch_rows",
                    {"first_seq": first_seq},
                )
            else:
                con.execute(f"insert into staging.{name} by name select * from batch_rows")
            con.unregister("batch_rows")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def _append(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    if not rows:
        return
    con.register("batch_rows", pa.Table.from_pylist(rows))
    con.execute(f"insert into {table} by name select * from batch_rows")
    con.unregister("batch_rows")


def build_audit(
    con: duckdb.DuckDBPyConnection, run_id: str, cut_repeated: bool, near: NearDupPolicy
) -> None:
    """Materialize the batch as it would publish, into schema audit, from the sql/ files."""
    params = {"run_id": run_id, "cut": cut_repeated}
    _create_audit_table(con, ARTICLE_ORDER, params)
    stage_clusters(con, near)
    for name in AUDIT_RELATIONS:
        _create_audit_table(con, name, params)


def _create_audit_table(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> None:
    sql = read_sql(name)
    used = {k: v for k, v in params.items() if f"${k}" in sql}
    table = "audit." + name.rsplit("/", 1)[1]
    con.execute(f"create or replace table {table} as {sql}", used)


def audit_articles(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The audit batch of articles as a DataFrame, for validation."""
    return con.sql("select * from audit.articles order by article_id").df()


def quarantine_articles(
    con: duckdb.DuckDBPyConnection, failures: Mapping[str, tuple[str, str]]
) -> None:
    """Move articles out of staging into staging quarantine: id -> (reason, detail).

    Build the audit batch again afterwards: without them, clusters, canonical copies and
    first carriers of paragraphs may change."""
    if not failures:
        return
    failed = pa.table(
        {
            "article_id": list(failures),
            "reason": [reason for reason, _ in failures.values()],
            "detail": [detail for _, detail in failures.values()],
        }
    )
    con.register("failed", failed)
    con.execute("""
        insert into staging.quarantine
        select d.source_file, d.item, d.article_id, d.version, 'validate', f.reason, f.detail,
               d.content
        from failed f join staging.documents d using (article_id)
    """)
    for table in ("paragraphs", "removals", "articles"):
        con.execute(
            f"delete from staging.{table} where article_id in (select article_id from failed)"
        )
    con.unregister("failed")


def hold_near_duplicates(con: duckdb.DuckDBPyConnection) -> int:
    """Move near (not exact) copies of another article to quarantine; returns how many."""
    held = con.execute("""
        select article_id, relation, cluster_id, similarity from audit.article_matches
        where relation in ('near', 'teaser')
    """).fetchall()
    quarantine_articles(
        con,
        {
            article_id: (
                "duplicate_near",
                f"{relation} copy in the cluster of {canonical} (closest member: Jaccard "
                f"{sim:.2f})",
            )
            for article_id, relation, canonical, sim in held
        },
    )
    return len(held)


def record_validations(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    """Store the outcome of every expectation of a run."""
    _append(con, "audit.validations", rows)


def run_counts(con: duckdb.DuckDBPyConnection) -> dict:
    """Counts of the audit batch: what would publish, and every item's one outcome."""
    one = con.execute("""
        select
            (select count(*) from staging.files) as files_ingested,
            (select count(*) from (
                select source_file, item from staging.documents
                union select source_file, item from staging.quarantine)) as articles_read,
            (select count(*) from audit.articles where duplicate_of is null) as published,
            (select count(*) from audit.articles where duplicate_of is not null) as duplicates,
            (select count(*) from staging.quarantine) as quarantined,
            (select count(*) from audit.removals) as removed_spans
    """).fetchone()
    names = (
        "files_ingested",
        "articles_read",
        "published",
        "duplicates",
        "quarantined",
        "removed_spans",
    )
    counts = dict(zip(names, one, strict=True))
    counts["quarantine_by_reason"] = dict(
        con.execute(
            "select reason, count(*)::integer from staging.quarantine group by 1 order by 1"
        ).fetchall()
    )
    counts["removals_by_reason"] = dict(
        con.execute(
            "select reason, count(*)::integer from audit.removals group by 1 order by 1"
        ).fetchall()
    )
    return counts


def publish(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Replace the published rows of every file this run ingested with the audit batch, at once."""
    con.execute("begin transaction")
    try:
        con.execute("""
            create or replace temp table replaced as
            select article_id from published.articles
            where source_file in (select source_file from staging.files)
        """)
        for table in ("paragraphs", "removals", "articles", "article_bands", "article_clusters"):
            con.execute(
                f"delete from published.{table} where article_id in (select * from replaced)"
            )
        con.execute(
            "delete from published.quarantine "
            "where source_file in (select source_file from staging.files)"
        )
        con.execute("insert into published.articles select * from audit.articles")
        con.execute(
            "insert into published.article_bands select * from staging.article_bands "
            "where article_id in (select article_id from audit.articles)"
        )
        con.execute(
            "insert into published.article_clusters select m.article_id, m.cluster_id, "
            "m.relation, m.similarity, o.first_seen_rank, $run_id from audit.article_matches m "
            "join audit.int_article_order o using (article_id)",
            {"run_id": run_id},
        )
        con.execute(
            "insert into published.paragraph_bands select * from staging.paragraph_bands "
            "where paragraph_hash in (select paragraph_hash from audit.paragraphs)"
        )
        con.execute(
            """
            insert into published.paragraph_clusters
            select m.*, seen.seen_order, $run_id
            from audit.paragraph_matches m
            join (
                select paragraph_hash, row_number() over (
                    order by min(o.first_seen_rank), min(p.position), paragraph_hash
                ) as seen_order
                from staging.paragraphs p join audit.int_article_order o using (article_id)
                group by paragraph_hash
            ) as seen using (paragraph_hash)
            semi join audit.paragraphs p using (paragraph_hash)
            """,
            {"run_id": run_id},
        )
        _merge_clusters(con, run_id)
        con.execute(
            "insert into published.paragraphs select article_id, position, "
            "paragraph_text, paragraph_hash, first_article_id, $run_id from audit.paragraphs",
            {"run_id": run_id},
        )
        con.execute(
            "insert into published.removals select *, $run_id from audit.removals",
            {"run_id": run_id},
        )
        con.execute(
            "insert into published.quarantine select *, $run_id from staging.quarantine",
            {"run_id": run_id},
        )
        con.execute(
            "insert into raw.files by name select *, $run_id as run_id, now() as seen_at "
            "from staging.files",
            {"run_id": run_id},
        )
        con.execute(
            "insert into raw.documents select *, $run_id from staging.documents", {"run_id": run_id}
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def _merge_clusters(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Fold each merged cluster into the kept one; merged articles now copy its canonical."""
    merges = con.execute("select * from audit.new_cluster_merges").fetchall()
    for level, kept, merged in merges:
        params = {"kept": kept, "merged": merged}
        if level == "article":
            con.execute(
                "update published.articles set duplicate_of = $kept where article_id in "
                "(select article_id from published.article_clusters where cluster_id = $merged)",
                params,
            )
        con.execute(
            f"update published.{level}_clusters set cluster_id = $kept, "
            "relation = if(relation = 'canonical', 'merged', relation), "
            "similarity = if(relation = 'canonical', null, similarity) "
            "where cluster_id = $merged",
            params,
        )
        con.execute(
            "insert into audit.cluster_merges values (?, ?, ?, ?)", [run_id, level, kept, merged]
        )


def finish_run(
    con: duckdb.DuckDBPyConnection, run_id: str, status: str, summary: Mapping[str, object]
) -> None:
    """Record how a run ended, with its counts and any failed expectations."""
    columns = [c for c in summary if c != "run_id"]
    sets = ", ".join(f"{c} = ${c}" for c in columns)
    values = {c: summary.get(c) for c in columns}
    for c in {"quarantine_by_reason", "removals_by_reason"} & values.keys():
        values[c] = json.dumps(values[c])
    con.execute(
        f"update audit.runs set status = $status, finished_at = now(), {sets} "
        "where run_id = $run_id",
        {**values, "status": status, "run_id": run_id},
    )


def mark_failed(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Record that a run stopped on an error before it could publish or be blocked."""
    con.execute(
        "update audit.runs set status = 'failed', finished_at = now() "
        "where run_id = ? and status = 'running'",
        [run_id],
    )
