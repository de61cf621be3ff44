"""The audit step: the staged batch built as it would publish, into schema audit (near-duplicate
clusters, then the intermediate and mart relations of sql/), its counts, and articles that
failed a check moved out of it into quarantine."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from copydesk.near_duplicates import NearDupPolicy, cluster_near_duplicates
from copydesk.settings import Settings
from copydesk.staging import check_owner, start_audit
from copydesk.warehouse import read_sql

log = logging.getLogger(__name__)

NEAR_DUPLICATES = "near duplicates"  # the one step of the build written in Python
# The build, in order: each name is a file under sql/ materialized as audit.<its file name>.
BUILD = (
    "intermediate/int_article_order",
    NEAR_DUPLICATES,
    "intermediate/int_article_duplicates",
    "intermediate/int_paragraph_first_seen",
    "marts/paragraphs",
    "marts/removals",
    "marts/articles",
)
MARTS = tuple(name for name in BUILD if name.startswith("marts/"))
# What the marts read beside staging: an article whose rows in these change after a quarantine
# has its mart rows built again (sql/audit/changed_articles.sql)
MARTS_READ = ("int_article_duplicates", "int_paragraph_first_seen")
STAGED_BY_ARTICLE = ("paragraphs", "removals", "articles")  # rows a failed article leaves
# The marts are built for this many staged articles at a time, so their memory does not grow with
# the run: an article's body is an ordered string_agg and its cut a window, which DuckDB holds in
# memory (100k articles with DuckDB limited to 1 GB failed in one statement).
ARTICLES_PER_CHUNK = 50_000
# The staged articles a mart is built for ({chunk} in sql/marts/): a range of seq, or after a
# quarantine those of the range whose inputs changed (a build of every mart again took a
# 300k-file run's flow process to its peak of memory); a range still, since a failed first
# carrier of a common line changes every article that repeats it.
SEQ_RANGE = "(select * from staging.articles where seq between $first_seq and $last_seq)"
CHANGED_ARTICLES = (
    "(select * from staging.articles semi join changed_articles using (article_id) "
    "where seq between $first_seq and $last_seq)"
)


@dataclass(frozen=True, slots=True)
class AuditResult:
    """The audit batch's counts: every item read is published, a duplicate or quarantined."""

    counts: dict[str, object] = field(default_factory=dict)
    quarantined_now: int = 0  # articles this call moved to quarantine
    seconds: float = 0.0


def audit_batch(con: duckdb.DuckDBPyConnection, run_id: str, cfg: Settings) -> AuditResult:
    """Build the audit batch from staging; with near_policy "hold", near copies go to
    quarantine and the batch is built again without them."""
    start = time.perf_counter()
    start_audit(con, run_id)
    _build(con, run_id, cfg)
    held = 0
    if cfg.near_policy == "hold":
        near = con.execute(read_sql("audit/near_copies")).fetchall()
        failures = {
            article_id: (
                "duplicate_near",
                f"{relation} copy in the cluster of {canonical} (closest member: Jaccard "
                f"{similarity:.2f})",
            )
            for article_id, relation, canonical, similarity in near
        }
        held = _quarantine_and_rebuild(con, run_id, failures, cfg)
    return AuditResult(_counts(con), held, time.perf_counter() - start)


def quarantine_articles(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    failures: Mapping[str, tuple[str, str]],
    cfg: Settings,
) -> AuditResult:
    """Move the articles that failed a check (id -> (reason, detail)) out of the batch into
    quarantine, and build the batch again: without them, clusters, canonical copies and first
    carriers of paragraphs may change."""
    start = time.perf_counter()
    check_owner(con, run_id)
    moved = _quarantine_and_rebuild(con, run_id, failures, cfg)
    return AuditResult(_counts(con), moved, time.perf_counter() - start)


def _build(
    con: duckdb.DuckDBPyConnection, run_id: str, cfg: Settings, after_quarantine: bool = False
) -> None:
    """Build the audit tables from staging; `after_quarantine` when the batch was built before
    and has since only lost articles: the near-duplicate candidates are then kept, less
    theirs, and the marts keep the rows of every article whose inputs did not change."""
    params = {"run_id": run_id, "cut": cfg.cross_article_paragraphs == "cut"}
    policy = NearDupPolicy(cfg.near_jaccard, cfg.near_containment, cfg.canonical_order)
    for table in MARTS_READ:  # a rebuild that failed half-way may have left its copy
        con.execute(f"drop table if exists audit.{table}_built")
        if after_quarantine:  # what the marts were built from, to tell which articles change
            con.execute(f"alter table audit.{table} rename to {table}_built")
    for name in BUILD:
        # A line a step: at a million articles the audit takes many minutes.
        start = time.perf_counter()
        if name == NEAR_DUPLICATES:
            cluster_near_duplicates(con, policy, after_quarantine)
        elif name not in MARTS:
            sql = read_sql(name)
            used = {k: v for k, v in params.items() if f"${k}" in sql}
            con.execute(f"create or replace table audit.{name.rsplit('/', 1)[1]} as {sql}", used)
        elif after_quarantine:
            if name == MARTS[0]:  # the intermediates are built again
                _drop_changed_mart_rows(con)
            _build_by_article_chunks(con, name, params, CHANGED_ARTICLES)
        else:
            _build_by_article_chunks(con, name, params, SEQ_RANGE)
        log.info("audit: %s built in %.1f s", name, time.perf_counter() - start)
    if after_quarantine:
        for table in MARTS_READ:
            con.execute(f"drop table audit.{table}_built")
        con.execute("drop table changed_articles")
    ((built, staged),) = con.execute(
        "select (select count(*) from audit.articles), (select count(*) from staging.articles)"
    ).fetchall()
    if built != staged:  # a chunk missed articles: never publish such a batch
        raise RuntimeError(f"audit.articles holds {built} articles of {staged} staged")


def _insert_mart(
    con: duckdb.DuckDBPyConnection,
    name: str,
    chunk: str,
    params: dict[str, object],
    create: bool = False,
) -> None:
    """Materialize mart `name` (marts/<table>) for the staged articles of `chunk`, a relation
    over staging.articles, as audit.<table>: `create` makes it, else its rows are added."""
    sql = read_sql(name, chunk=chunk)
    table = f"audit.{name.rsplit('/', 1)[1]}"
    used = {k: v for k, v in params.items() if f"${k}" in sql}
    con.execute(
        f"create or replace table {table} as {sql}" if create else f"insert into {table} {sql}",
        used,
    )


def _build_by_article_chunks(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, object], chunk: str
) -> None:
    """Materialize mart `name` one range of staging.articles' seq at a time: the table made
    anew (SEQ_RANGE), or the rows of the articles that changed added (CHANGED_ARTICLES). Not
    rowids: a checkpoint between two chunks may renumber the rows that quarantined articles
    left, and a range of rowids would then miss some."""
    ((low, high),) = con.execute(
        "select coalesce(min(seq), 0), coalesce(max(seq), -1) from staging.articles"
    ).fetchall()
    for first in range(low, max(low, high) + 1, ARTICLES_PER_CHUNK):
        rows = {**params, "first_seq": first, "last_seq": first + ARTICLES_PER_CHUNK - 1}
        # made anew: the first chunk makes the table, even when there are no articles
        _insert_mart(con, name, chunk, rows, create=chunk == SEQ_RANGE and first == low)


def _drop_changed_mart_rows(con: duckdb.DuckDBPyConnection) -> None:
    """After a quarantine, once the intermediates are built again: the articles whose mart
    inputs changed (a canonical copy or a first carrier that left) into temp table
    changed_articles, and their rows and those of the articles gone out of the marts."""
    con.execute(read_sql("audit/changed_articles"))
    for table in STAGED_BY_ARTICLE:
        con.execute(
            f"delete from audit.{table} where article_id in (select article_id from "
            "changed_articles) or article_id not in (select article_id from staging.articles)"
        )


def _quarantine_and_rebuild(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    failures: Mapping[str, tuple[str, str]],
    cfg: Settings,
) -> int:
    if not failures:
        return 0
    failed = pa.table(
        {
            "article_id": list(failures),
            "reason": [reason for reason, _ in failures.values()],
            "detail": [detail for _, detail in failures.values()],
        }
    )
    con.register("failed", failed)
    try:
        con.execute(read_sql("audit/quarantine_failed"))
        for table in STAGED_BY_ARTICLE:
            con.execute(read_sql("audit/drop_failed", table=table))
    finally:
        con.unregister("failed")
    _build(con, run_id, cfg, after_quarantine=True)
    return len(failures)


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    relation = con.sql(read_sql("audit/run_counts"))
    counts: dict[str, object] = dict(zip(relation.columns, relation.fetchall()[0], strict=True))
    for name in ("quarantine_by_reason", "removals_by_reason"):
        counts[name] = dict(con.execute(read_sql(f"audit/{name}")).fetchall())
    return counts
