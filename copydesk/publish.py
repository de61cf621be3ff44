"""The publish step: the audit batch swapped into the published tables and the run recorded
as published, in one transaction, so published rows always belong to a recorded run."""

from __future__ import annotations

import logging
import time

import duckdb

from copydesk import runlog, site_boilerplate
from copydesk.site_boilerplate import Learning
from copydesk.staging import check_owner
from copydesk.summary import RunSummary
from copydesk.warehouse import read_sql

log = logging.getLogger(__name__)

# What publishing does, in order: sql/publish/<name>.sql, each run once, or once per table
# for the deletes. The cluster merges run between the clusters and the paragraphs; the site
# line counts are updated last, once the published originals are known (a warehouse counted
# before they were kept per article takes its published lines first, before any delete).
REPLACED_BY_ARTICLE = ("paragraphs", "removals", "articles", "article_bands", "article_clusters")
MERGES = "merges"
COUNTED_BEFORE = "counted_before"
SITE_COUNTS = "site_counts"
STEPS = (
    "replaced",
    COUNTED_BEFORE,
    "delete_replaced",
    "delete_quarantine",
    "articles",
    "article_bands",
    "article_clusters",
    "paragraph_bands",
    "paragraph_clusters",
    MERGES,
    "paragraphs",
    "removals",
    "quarantine",
    "files",
    "documents",
    SITE_COUNTS,
)


def publish_batch(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    summary: RunSummary,
    learning: Learning | None = None,
) -> RunSummary:
    """Replace the published rows of every file this run ingested with the audit batch and
    record the run as published, all at once; returns the summary with the publish seconds.
    With `learning`, the run's lines also count towards learned site boilerplate; articles
    counted before that stop being published originals leave the counts in any case."""
    start = time.perf_counter()
    check_owner(con, run_id)
    con.execute("begin transaction")
    try:
        for step in STEPS:
            step_start = time.perf_counter()
            if step == MERGES:
                _merge_clusters(con, run_id)
            elif step == COUNTED_BEFORE:
                site_boilerplate.take_counted_before(con)
            elif step == SITE_COUNTS:
                learned = site_boilerplate.update_counts(con, run_id, learning)
                if learning is not None:
                    log.info("learned %d lines of site boilerplate", learned)
            elif step == "delete_replaced":
                for table in REPLACED_BY_ARTICLE:
                    con.execute(read_sql("publish/delete_replaced", table=table))
            else:
                sql = read_sql(f"publish/{step}")
                con.execute(sql, {"run_id": run_id} if "$run_id" in sql else None)
            log.info("publish: %s in %.1f s", step, time.perf_counter() - step_start)
        summary = summary.with_stage_seconds(publish=time.perf_counter() - start)
        runlog.finish_run(con, run_id, "published", summary)
        con.execute("commit")
    except BaseException:  # a stop signal too: the run's row must be written outside it
        con.execute("rollback")
        raise
    return summary


def _merge_clusters(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Fold each merged cluster into the kept one, in the order the merges happened."""
    merges = con.execute("select * from audit.new_cluster_merges").fetchall()
    for level, kept, merged in merges:
        params = {"kept": kept, "merged": merged}
        if level == "article":
            con.execute(read_sql("publish/merge_article_copies"), params)
        con.execute(read_sql("publish/merge_clusters", level=level), params)
        con.execute(
            "insert into audit.cluster_merges values (?, ?, ?, ?)", [run_id, level, kept, merged]
        )
