"""The run log, audit.runs: a run recorded as running when it starts, and how it ended."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb

from copydesk.summary import RunSummary
from copydesk.warehouse import read_sql


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, input_dir: Path) -> list[str]:
    """Record the run as running; returns the runs an earlier process left running, now
    marked abandoned. Call it holding the warehouse (hold()): no other process can then be
    running on it. Staging is still the last run's: the run takes it once it knows its files
    (staging.take_over)."""
    abandoned = [r[0] for r in con.execute(read_sql("runlog/abandon_runs")).fetchall()]
    con.execute(
        read_sql("runlog/start_run"),
        {"run_id": run_id, "input_dir": str(input_dir), "pid": os.getpid()},
    )
    return abandoned


def finish_run(
    con: duckdb.DuckDBPyConnection, run_id: str, status: str, summary: RunSummary
) -> None:
    """Record how a run ended ("published" or "blocked"), with its counts."""
    row = summary.as_row()
    for column in ("quarantine_by_reason", "removals_by_reason", "stage_seconds"):
        row[column] = json.dumps(row[column])
    con.execute(read_sql("runlog/finish_run"), {**row, "status": status, "run_id": run_id})


def mark_failed(con: duckdb.DuckDBPyConnection, run_id: str, error: str) -> None:
    """Record that a run stopped on an error before it could publish or be blocked."""
    con.execute(read_sql("runlog/mark_failed"), {"run_id": run_id, "error": error})
