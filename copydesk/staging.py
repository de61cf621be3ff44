"""The stage step: a cleaned batch's tables appended to the staging schema, which belongs to
one run from the moment that run clears it, or takes over what a run that stopped before its
audit staged."""

from __future__ import annotations

import time
from dataclasses import dataclass

import duckdb

from copydesk.batch import PlannedFiles
from copydesk.batch_tables import BatchTables
from copydesk.warehouse import read_sql


class StagingTaken(RuntimeError):
    """Staging holds another run's batch: this run must not build on it or publish it."""


@dataclass(frozen=True, slots=True)
class StageResult:
    """One batch appended to staging."""

    files: int
    articles: int
    rejected: int
    seconds: float


@dataclass(frozen=True, slots=True)
class TakeOver:
    """Staging made a run's: the planned files it has left to read, and what it kept of an
    earlier run's staging (nothing when kept_from is None)."""

    to_read: PlannedFiles
    kept_from: str | None = None  # the run that staged the kept batches
    kept_files: int = 0
    kept_articles: int = 0  # the run's article sequence goes on after them


def take_over(
    con: duckdb.DuckDBPyConnection, run_id: str, planned: PlannedFiles, cleaning: str
) -> TakeOver:
    """Make staging this run's. What an earlier run staged is kept, and its files are not read
    again, when that run stopped before its audit (killed, or failed), cleaned the same way
    (`cleaning`, batch_tables.cleaning_key), and staged only files this run plans to read as
    they were: a backfill stopped after hours goes on where it stopped. Otherwise staging is
    emptied."""
    earlier = _resumable(con, planned, cleaning)
    if earlier is None:
        clear_staging(con, run_id, cleaning)
        return TakeOver(planned)
    con.execute("update staging.run set run_id = ?", [run_id])
    staged = con.execute("select source_file from staging.files").to_arrow_table()
    (articles,) = con.execute("select count(*) from staging.articles").fetchone() or (0,)
    return TakeOver(planned.without(staged["source_file"]), earlier, staged.num_rows, articles)


def _resumable(con: duckdb.DuckDBPyConnection, planned: PlannedFiles, cleaning: str) -> str | None:
    """The run whose staged batches take_over may keep, or None."""
    try:
        owners = con.execute("select run_id, cleaning, audit_started from staging.run").fetchall()
    except (duckdb.CatalogException, duckdb.BinderException):
        return None  # a new warehouse, or staging made by a copydesk that never kept it
    # One owner, which cleaned the same way and stopped before its audit (a run that
    # published or was blocked got past it).
    if len(owners) != 1 or owners[0][1] != cleaning or owners[0][2]:
        return None
    con.register("planned_files", planned.table)
    try:
        staged, unplanned = con.execute(read_sql("staging/unplanned_files")).fetchone() or (0, 0)
    finally:
        con.unregister("planned_files")
    return owners[0][0] if staged and not unplanned else None


def clear_staging(con: duckdb.DuckDBPyConnection, run_id: str, cleaning: str | None = None) -> None:
    """Empty the staging tables and make them this run's; batches it stages under `cleaning`
    may be kept by the next run if this one stops before its audit (take_over)."""
    con.execute(read_sql("staging/stg_tables"))
    con.execute("insert into staging.run values (?, ?, false)", [run_id, cleaning])


def start_audit(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Mark staging as being audited: the audit rewrites it, so no later run may keep it."""
    check_owner(con, run_id)
    con.execute("update staging.run set audit_started = true")


def check_owner(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Raise StagingTaken unless staging belongs to this run."""
    owners = [r[0] for r in con.execute("select run_id from staging.run").fetchall()]
    if owners != [run_id]:
        raise StagingTaken(
            f"staging belongs to run {', '.join(owners) or '(none)'}, not {run_id}: another run "
            "started on this warehouse; this run stops without publishing"
        )


def stage_batch(
    con: duckdb.DuckDBPyConnection, run_id: str, batch: BatchTables, first_seq: int
) -> StageResult:
    """Append one batch to staging, all or nothing (a retried batch must not be staged twice);
    `first_seq` is the place of its first article in the order the run saw them."""
    start = time.perf_counter()
    check_owner(con, run_id)
    con.execute("begin transaction")
    try:
        for name, table in batch.tables.items():
            con.register("batch_rows", table)
            if name == "articles":
                con.execute(read_sql("staging/append_articles"), {"first_seq": first_seq})
            else:
                con.execute(read_sql("staging/append", table=name))
            con.unregister("batch_rows")
        con.execute("commit")
    except BaseException:  # a stop signal too: the run's row must be written outside it
        con.execute("rollback")
        raise
    return StageResult(
        files=batch.rows("files"),
        articles=batch.rows("articles"),
        rejected=batch.rows("quarantine"),
        seconds=time.perf_counter() - start,
    )
