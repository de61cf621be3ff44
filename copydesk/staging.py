"""The stage step: a cleaned batch's tables appended to the staging schema, which belongs to
one run from the moment that run clears it."""

from __future__ import annotations

import time
from dataclasses import dataclass

import duckdb

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


def clear_staging(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Empty the staging tables and make them this run's."""
    con.execute(read_sql("staging/stg_tables"))
    con.execute("insert into staging.run values (?)", [run_id])


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
