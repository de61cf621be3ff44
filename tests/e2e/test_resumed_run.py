"""A `copydesk run` killed while it cleans: the next run keeps the batches it staged, reads only
the other files, and publishes what one run that was never stopped publishes."""

from __future__ import annotations

import re
import shutil
import signal
from pathlib import Path

import pytest

from tests.e2e.conftest import SAMPLE, query, start

pytestmark = pytest.mark.e2e

# The log line of batches staged, "batch 3 of 22:" or "batches 2-3 of 22:": the last and the
# number of batches.
STAGED = re.compile(r"\bbatch(?:es \d+-| )(\d+) of (\d+):")
# Every table a run writes but the run log, without the run that wrote each row.
TABLES = ("published.articles", "published.paragraphs", "published.removals")
TABLES += ("published.quarantine", "raw.documents")


def published(path: Path) -> dict[str, list[tuple]]:
    return {
        table: sorted(query(path, f"select * exclude (run_id) from {table}"), key=repr)
        for table in TABLES
    }


def test_a_killed_run_is_taken_up_where_it_stopped(tmp_path: Path):
    inputs = tmp_path / "input"
    shutil.copytree(SAMPLE, inputs)
    warehouse, once = tmp_path / "corpus.duckdb", tmp_path / "once.duckdb"

    killed = start(inputs, warehouse, tmp_path / "home-1", COPYDESK_BATCH_SIZE="1")
    assert killed.stderr is not None
    for line in killed.stderr:
        staged = STAGED.search(line)
        if staged and int(staged.group(1)) >= 3:  # at least three files staged
            killed.send_signal(signal.SIGKILL)
            break
    killed.communicate(timeout=60)
    assert killed.returncode == -signal.SIGKILL

    resumed = start(inputs, warehouse, tmp_path / "home-2", COPYDESK_BATCH_SIZE="1")
    _, resumed_err = resumed.communicate(timeout=600)
    uninterrupted = start(inputs, once, tmp_path / "home-3", COPYDESK_BATCH_SIZE="1")
    _, once_err = uninterrupted.communicate(timeout=600)

    assert resumed.returncode == 0, resumed_err
    assert uninterrupted.returncode == 0, once_err
    kept = re.search(r"kept (\d+) files \(\d+ articles\) that run \S+ staged", resumed_err)
    assert kept and int(kept.group(1)) >= 3, resumed_err
    files = len([p for p in inputs.rglob("*") if p.is_file()])
    first = STAGED.search(resumed_err)
    assert first and first.group(2) == str(files - int(kept.group(1)))  # only the rest read
    assert published(warehouse) == published(once)
    runs = query(warehouse, "select status, files_ingested from audit.runs order by started_at")
    assert runs == [("abandoned", None), ("published", files)]
