"""The scan step: the input files found, and which of them the warehouse does not hold yet."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from copydesk.batch import Plan, plan_files
from copydesk.ingest import find_input_files
from copydesk.records import KnownFile
from copydesk.warehouse import read_sql


@dataclass(frozen=True, slots=True)
class ScanResult:
    plan: Plan
    seconds: float


def known_versions(con: duckdb.DuckDBPyConnection) -> dict[str, KnownFile]:
    """The latest version of every file path the warehouse has ingested."""
    rows = con.execute(read_sql("scan/known_versions")).fetchall()
    return {path: KnownFile(*known) for path, *known in rows}


def scan_inputs(
    con: duckdb.DuckDBPyConnection,
    input_dir: Path,
    exclude: Sequence[str],
    follow_symlinks: bool = False,
) -> ScanResult:
    """The files under `input_dir` to read: new ones, and known paths whose content changed."""
    start = time.perf_counter()
    found = find_input_files(input_dir, exclude, follow_symlinks=follow_symlinks)
    plan = plan_files(found, known_versions(con))
    return ScanResult(plan, time.perf_counter() - start)
