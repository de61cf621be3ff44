"""The run log and the one run a warehouse admits: the lock, staging's owner, abandoned runs,
and the batches a stopped run leaves to the next one."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from copydesk import runlog, staging, warehouse
from copydesk.audit import audit_batch
from copydesk.batch_tables import BatchTables, batch_tables, read_and_clean
from copydesk.publish import publish_batch
from copydesk.scan import scan_inputs
from copydesk.staging import StagingTaken
from copydesk.warehouse import WarehouseBusy
from tests.conftest import (
    cleaned,
    publish_run,
    raw_article,
    run_settings,
    start_run,
    summary_for,
)

STORY = (
    "The county library will open a second reading room on the ground floor next month, "
    "with forty new seats, a quiet corner for students and longer hours on Saturdays."
)


COUNTS = dict.fromkeys(
    ("files_ingested", "articles_read", "published", "duplicates", "quarantined", "removed_spans"),
    1,
)


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def hold_in_another_process(path: Path, seconds: float) -> subprocess.Popen:
    """A process that opens the warehouse for writing and keeps it `seconds`, as a run does."""
    script = (
        "import sys, time, duckdb\n"
        "con = duckdb.connect(sys.argv[1])\n"
        "print('holding', flush=True)\n"
        "time.sleep(float(sys.argv[2]))\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    return holder


def test_a_second_process_is_refused_with_the_pid_that_holds_the_warehouse(tmp_path: Path):
    path = tmp_path / "w.duckdb"
    with warehouse.connect(path):
        pass
    holder = hold_in_another_process(path, 30)
    try:
        started = time.monotonic()
        with pytest.raises(WarehouseBusy, match=rf"in use by process {holder.pid}\b"):
            with warehouse.hold(path, wait_seconds=1.0):
                pass
        assert time.monotonic() - started >= 1.0  # it waited before giving up
    finally:
        holder.kill()
        holder.wait()


def test_a_run_waits_for_the_warehouse_to_be_let_go(tmp_path: Path):
    path = tmp_path / "w.duckdb"
    with warehouse.connect(path):
        pass
    holder = hold_in_another_process(path, 1.0)
    started = time.monotonic()
    try:
        with warehouse.hold(path, wait_seconds=30) as con:
            # It got the file only once the holder let go (the holder may still be tearing
            # down its interpreter on a busy machine, so its exit is not what is asserted).
            assert time.monotonic() - started >= 1.0
            assert rows(con, "select count(*) from audit.runs") == [(0,)]
        assert holder.wait(timeout=30) == 0
    finally:
        holder.kill()
        holder.wait()


def test_staging_belongs_to_the_run_that_cleared_it(tmp_path: Path, packs):
    batch = batch_tables(cleaned([raw_article("a", "a.txt", STORY)], packs))
    with warehouse.hold(tmp_path / "w.duckdb") as con:
        start_run(con, "first")
        staging.stage_batch(con, "first", batch, 0)
        start_run(con, "second")  # as a second run's start would

        with pytest.raises(StagingTaken, match="staging belongs to run second, not first"):
            staging.stage_batch(con, "first", batch, 1)
        with pytest.raises(StagingTaken):
            publish_batch(con, "first", summary_for("first", COUNTS))
        assert rows(con, "select count(*) from published.articles") == [(0,)]


def test_a_run_left_running_by_a_dead_process_is_marked_abandoned(tmp_path: Path, packs):
    with warehouse.hold(tmp_path / "w.duckdb") as con:
        runlog.start_run(con, "killed", Path("input"))  # its process never finishes it

        abandoned = runlog.start_run(con, "next", Path("input"))
        runlog.mark_failed(con, "next", "OSError: disk full")

        assert abandoned == ["killed"]
        assert rows(
            con, "select run_id, status, finished_at is not null, error from audit.runs order by 1"
        ) == [("killed", "abandoned", True, None), ("next", "failed", True, "OSError: disk full")]


def test_publishing_records_the_run_as_published(tmp_path: Path, packs):
    # No separate call records the run: publish_batch does, in its transaction (a publish that
    # fails leaves the run "running": see test_publish_failing_midway_... in test_warehouse).
    with warehouse.hold(tmp_path / "w.duckdb") as con:
        publish_run(con, "r1", [cleaned([raw_article("a", "a.txt", STORY)], packs)])

        assert rows(con, "select run_id, published, status from published.runs") == [
            ("r1", 1, "published")
        ]
        assert rows(con, "select distinct run_id from published.articles") == [("r1",)]


class StopsAfterOneTable(dict):
    """A batch whose staging is cut short by a stop signal after its first table."""

    def items(self):
        yield next(iter(super().items()))
        raise KeyboardInterrupt


def test_a_stop_signal_while_staging_leaves_nothing_staged_and_the_run_marked_failed(
    tmp_path: Path, packs
):
    tables = batch_tables(cleaned([raw_article("a", "a.txt", STORY)], packs)).tables
    path = tmp_path / "w.duckdb"
    with warehouse.hold(path) as con:
        start_run(con, "stopped")
        with pytest.raises(KeyboardInterrupt):
            staging.stage_batch(con, "stopped", BatchTables(StopsAfterOneTable(tables)), 0)
        runlog.mark_failed(con, "stopped", "KeyboardInterrupt: ")

    with warehouse.connect(path, read_only=True) as con:
        assert rows(con, "select count(*) from staging.files") == [(0,)]
        assert rows(con, "select status, error from audit.runs") == [
            ("failed", "KeyboardInterrupt: ")
        ]


# Four stories and a reprint of the first, one file each: a duplicate whose canonical copy
# depends on the order the run saw them in.
STORIES = [
    f"{topic}\n\n" + " ".join([f"The {topic.lower()} was the talk of the town on {day}."] * 4)
    for topic, day in (
        ("Harbour Works", "Monday"),
        ("School Roof", "Tuesday"),
        ("Bridge Repairs", "Wednesday"),
        ("Market Hall", "Thursday"),
    )
]
MAX_BYTES = 1_000_000
KEY = "cleaned the same way"


def write_inputs(folder: Path) -> Path:
    folder.mkdir()
    for n, story in enumerate([*STORIES, STORIES[0]]):
        (folder / f"{n}.txt").write_text(story)
    return folder


def begin(con: duckdb.DuckDBPyConnection, run_id: str, inputs: Path, cleaning: str = KEY):
    """A run's start as the flow makes it: recorded, its files planned, staging taken."""
    runlog.start_run(con, run_id, inputs)
    plan = scan_inputs(con, inputs, exclude=()).plan
    return plan, staging.take_over(con, run_id, plan.to_read, cleaning)


def stage_files(con, run_id: str, files, packs, first_seq: int) -> int:
    tables = read_and_clean(files, packs, MAX_BYTES)
    return staging.stage_batch(con, run_id, tables, first_seq).articles


def finish(con, run_id: str, plan) -> None:
    audited = audit_batch(con, run_id, run_settings())
    ingested = len(plan.to_read)
    publish_batch(con, run_id, summary_for(run_id, audited.counts, files_ingested=ingested))


PUBLISHED = (
    "select source_file, article_id, title, body, duplicate_of from published.articles "
    "order by source_file"
)


def test_a_run_stopped_while_staging_leaves_its_batches_to_the_next_one(tmp_path: Path, packs):
    """The next run reads only the files not staged yet, goes on with the article order, and
    publishes what one uninterrupted run publishes."""
    inputs = write_inputs(tmp_path / "in")
    with warehouse.hold(tmp_path / "once.duckdb") as con:
        plan, taken = begin(con, "once", inputs)
        stage_files(con, "once", taken.to_read, packs, 0)
        finish(con, "once", plan)
        once = rows(con, PUBLISHED)

    with warehouse.hold(tmp_path / "w.duckdb") as con:
        plan, taken = begin(con, "killed", inputs)
        stage_files(con, "killed", taken.to_read[:3], packs, 0)  # then its process died

    with warehouse.hold(tmp_path / "w.duckdb") as con:
        plan, taken = begin(con, "next", inputs)
        assert (taken.kept_from, taken.kept_files, taken.kept_articles) == ("killed", 3, 3)
        assert [f.file.source_file for f in taken.to_read] == ["3.txt", "4.txt"]
        stage_files(con, "next", taken.to_read, packs, taken.kept_articles)
        finish(con, "next", plan)

        assert rows(con, PUBLISHED) == once
        assert rows(con, "select run_id, status from audit.runs order by run_id") == [
            ("killed", "abandoned"),
            ("next", "published"),
        ]


def _rewrite_a_staged_file(inputs: Path, con) -> str:
    (inputs / "0.txt").write_text(STORIES[0] + "\n\nA correction was added later.")
    return KEY


def _stage_as_before_runs_kept_it(inputs: Path, con) -> str:
    con.execute("create or replace table staging.run as select run_id from staging.run")
    return KEY


@pytest.mark.parametrize(
    "stopped_how, then",
    [
        ("before its audit", lambda inputs, con: "cleaned with other rules or code"),
        ("before its audit", _rewrite_a_staged_file),
        ("in its audit", lambda inputs, con: KEY),
        ("published", lambda inputs, con: KEY),
        ("before its audit", _stage_as_before_runs_kept_it),
    ],
    ids=["other cleaning", "a staged file changed", "audit started", "published", "older staging"],
)
def test_staging_is_emptied_when_what_it_holds_cannot_be_kept(
    tmp_path: Path, packs, stopped_how, then
):
    inputs = write_inputs(tmp_path / "in")
    with warehouse.hold(tmp_path / "w.duckdb") as con:
        plan, taken = begin(con, "first", inputs)
        stage_files(con, "first", taken.to_read[:3], packs, 0)
        if stopped_how == "in its audit":
            audit_batch(con, "first", run_settings())
        if stopped_how == "published":
            stage_files(con, "first", taken.to_read[3:], packs, 3)
            finish(con, "first", plan)
        cleaning = then(inputs, con)

        plan, taken = begin(con, "second", inputs, cleaning)

        assert taken.kept_from is None and len(taken.to_read) == len(plan.to_read)
        assert rows(con, "select count(*) from staging.files") == [(0,)]
        assert rows(con, "select run_id, audit_started from staging.run") == [("second", False)]
