"""The run summary: stage timings, their line and table, and their column in audit.runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from copydesk import runlog, warehouse
from copydesk.batch import Plan
from copydesk.quality import ValidationReport
from copydesk.summary import (
    CRITICAL_PATH,
    STAGES,
    RunSummary,
    covered_seconds,
    critical_path_seconds,
)

COUNTS = {
    "files_ingested": 3,
    "articles_read": 4,
    "published": 2,
    "duplicates": 1,
    "quarantined": 1,
    "removed_spans": 5,
    "quarantine_by_reason": {"empty": 1},
    "removals_by_reason": {"cta": 5},
}
SECONDS = {
    "scan": 0.25,
    "read_clean": 6.0,
    "read_clean_wait": 2.5,
    "stage": 1.0,
    "audit": 3.0,
    "validate": 10.0,
}


def summary(seconds: dict[str, float] | None = None) -> RunSummary:
    report = ValidationReport(suite="articles", outcomes=())
    return RunSummary.from_counts("r1", Plan((), unchanged=1), COUNTS, report, seconds)


def test_critical_path_leaves_out_the_cleaning_that_overlaps_staging():
    assert set(STAGES) - set(CRITICAL_PATH) == {"read_clean"}
    ran = summary(SECONDS).with_stage_seconds(publish=0.5)

    assert critical_path_seconds(ran.stage_seconds) == pytest.approx(
        0.25 + 2.5 + 1.0 + 3.0 + 10.0 + 0.5
    )
    assert ran.stage_seconds["publish"] == 0.5
    assert summary(SECONDS).stage_seconds.get("publish") is None  # the copy is new


def test_stage_line_and_markdown_show_stages_in_run_order():
    ran = summary(SECONDS).with_stage_seconds(publish=0.456)

    assert ran.stage_line() == (
        "seconds: scan 0.2, read+clean 6.0 (waited 2.5), stage 1.0, audit 3.0, validate 10.0, "
        "publish 0.5"
    )
    text = ran.markdown()
    assert "| waiting for read+clean | 2.50 |" in text
    assert text.index("| scan |") < text.index("| publish | 0.46 |")
    # Counts stay the only rows of the count table.
    assert all(isinstance(r["count"], int) for r in ran.table_rows())


def test_a_summary_without_timings_has_no_stage_table():
    assert "wall seconds" not in summary().markdown()
    assert summary().stage_line() == "seconds: "


def test_finish_run_stores_stage_seconds_as_json(tmp_path: Path):
    ran = summary(SECONDS).with_stage_seconds(publish=0.5)
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        runlog.start_run(con, "r1", Path("input"))
        runlog.finish_run(con, "r1", "published", ran)
        stored, files_seen = con.execute(
            "select stage_seconds, files_seen from audit.runs where run_id = 'r1'"
        ).fetchone()

    assert json.loads(stored) == {**SECONDS, "publish": 0.5}
    assert files_seen == 1


def test_a_warehouse_made_before_stage_seconds_gets_the_column(tmp_path: Path):
    path = tmp_path / "old.duckdb"
    with warehouse.connect(path) as con:
        runlog.start_run(con, "old", Path("input"))
        con.execute("alter table audit.runs drop column stage_seconds")

    with warehouse.connect(path) as con:
        rows = con.execute("select run_id, stage_seconds from published.runs").fetchall()
        runlog.start_run(con, "new", Path("input"))
        runlog.finish_run(con, "new", "published", summary(SECONDS))
        stored = con.execute("select stage_seconds from published.runs").fetchall()

    assert rows == []  # the old run is still running: not in published.runs
    assert [json.loads(s) for (s,) in stored] == [SECONDS]


@pytest.mark.parametrize(
    ("waits", "busy", "covered"),
    [
        ([(0, 10)], [], 0),  # waiting for a worker that never started cleaning
        ([(0, 10)], [(2, 4), (3, 6)], 4),  # overlapping tasks count once
        ([(0, 2), (5, 9)], [(1, 6), (8, 20)], 1 + 1 + 1),
        ([(5, 6)], [(0, 2)], 0),  # cleaning done before the flow asked for it
    ],
)
def test_covered_seconds_counts_waiting_only_while_a_batch_was_cleaned(waits, busy, covered):
    assert covered_seconds(waits, busy) == pytest.approx(covered)
