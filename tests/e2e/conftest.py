"""One Prefect test server for the whole e2e session, and inputs copied into tmp folders."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import flows  # noqa: F401 - sets Prefect and GX defaults before prefect is imported

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO.parent / "shared" / "seeds"
SAMPLE = REPO / "data" / "raw"
COPYDESK = Path(sys.executable).with_name("copydesk")


@pytest.fixture(scope="session", autouse=True)
def prefect_server():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(autouse=True)
def quality_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """GX Data Docs of each test go to its tmp folder, not into the repository."""
    folder = tmp_path / "quality"
    monkeypatch.setenv("COPYDESK_QUALITY_DIR", str(folder))
    return folder


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """The seed articles (not their README or gold labels) in a fresh folder."""
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds not found: the seed articles live beside the repository")
    target = tmp_path / "input" / "seeds"
    target.mkdir(parents=True)
    for path in SEEDS.glob("*.txt"):
        shutil.copy(path, target / path.name)
    return target.parent


def published_state(path: Path) -> dict[str, list[tuple]]:
    """Every row of every published table, sorted, to compare two states exactly."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            table: sorted(con.execute(f"select * from published.{table}").fetchall(), key=repr)
            for table in ("articles", "paragraphs", "removals", "quarantine", "runs")
        }
    finally:
        con.close()


def query(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    """The rows of `sql` on the warehouse at `path`, opened read-only."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def start(input_dir: Path, warehouse: Path, home: Path, **env: str) -> subprocess.Popen:
    """`copydesk run` as a user starts it, in a process of its own."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("COPYDESK_", "PREFECT_"))}
    return subprocess.Popen(
        [str(COPYDESK), "run", "--input", str(input_dir), "--warehouse", str(warehouse)],
        # Each run's own server, stopped with it: no server outlives the test.
        env={**base, "PREFECT_HOME": str(home), "COPYDESK_SERVER_KEEP_SECONDS": "0", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
