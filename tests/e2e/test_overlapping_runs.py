"""Two `copydesk run`s on one warehouse at once: the second is refused with one line, or waits
for the first when told to; either way every article of both inputs ends accounted for."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from tests.e2e.conftest import SAMPLE, start

pytestmark = pytest.mark.e2e


def wait_until_held(path: Path, run: subprocess.Popen, timeout: float = 120) -> None:
    """Return once another process holds the warehouse file for writing."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert run.poll() is None, run.communicate()
        try:
            duckdb.connect(str(path), read_only=True).close()
        except duckdb.IOException as exc:
            if "lock" in str(exc):
                return
        time.sleep(0.2)
    raise AssertionError("the first run never held the warehouse")


def test_a_second_run_is_refused_or_waits_and_both_inputs_are_accounted_for(tmp_path: Path):
    first_input, second_input = tmp_path / "first", tmp_path / "second"
    shutil.copytree(SAMPLE, first_input)
    # The same articles under other names: the second run's copies must be found as duplicates
    # of the first run's, which a run that built on another's staging would miss.
    shutil.copytree(SAMPLE / "text", second_input / "reprints")
    warehouse = tmp_path / "corpus.duckdb"

    first = start(first_input, warehouse, tmp_path / "home-1", COPYDESK_BATCH_SIZE="1")
    wait_until_held(warehouse, first)
    refused = start(second_input, warehouse, tmp_path / "home-2")
    waiting = start(second_input, warehouse, tmp_path / "home-3", COPYDESK_LOCK_WAIT_SECONDS="600")

    _, refused_err = refused.communicate(timeout=120)
    _, first_err = first.communicate(timeout=600)
    _, waiting_err = waiting.communicate(timeout=600)

    assert refused.returncode == 75, refused_err
    [line] = refused_err.splitlines()
    assert line.startswith(
        f"copydesk: error: warehouse {warehouse} is in use by process {first.pid} ("
    )
    assert line.endswith("wait for it to finish (DuckDB allows one writer), or stop it")
    assert first.returncode == 0, first_err
    assert waiting.returncode == 0, waiting_err
    assert "INFO    | copydesk.near_duplicates - article near duplicates:" in waiting_err

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        runs = con.execute(
            "select status, articles_read, published, duplicates, quarantined, input_dir "
            "from audit.runs order by started_at"
        ).fetchall()
        articles = con.execute(
            "select count(*), count(duplicate_of) from published.articles"
        ).fetchone()
        quarantined = con.execute("select count(*) from published.quarantine").fetchone()[0]
        reprints = con.execute(
            "select count(*), count(duplicate_of) from published.articles "
            "where source_file like 'reprints/%'"
        ).fetchone()
    finally:
        con.close()

    # The refused run never reached the warehouse: two runs, both published, in turn.
    assert [(r[0], r[5]) for r in runs] == [
        ("published", str(first_input)),
        ("published", str(second_input)),
    ]
    read = sum(r[1] for r in runs)
    assert read == articles[0] + quarantined  # every article of both inputs, once
    assert sum(r[2] + r[3] for r in runs) == articles[0]
    # Every reprint found as a copy of what the first run published.
    assert reprints[0] > 0 and reprints[1] == reprints[0]
