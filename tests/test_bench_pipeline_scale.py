"""The million-file benchmark's bookkeeping (bench/pipeline_scale.py)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

pytest.importorskip("psutil")  # in the bench dependency group

from bench.common import git  # noqa: E402 - after the skip
from bench.pipeline_scale import (  # noqa: E402
    _cpu_split,
    _newest,
    keep_failed_logs,
    peak_after,
    targets,
)


def test_a_failed_runs_log_is_kept_beside_the_output_and_a_passed_ones_is_not(tmp_path: Path):
    work, out = tmp_path / "work", tmp_path / "out"
    work.mkdir()
    failed, passed = work / "text-1000000-w2.log", work / "text-10000-w2.log"
    failed.write_text("Out of Memory Error\n")
    passed.write_text("published\n")
    reports = [
        {"runs": [{"label": "text-1000000-w2", "exit": 1, "log": str(failed)}]},
        {"runs": [{"label": "text-10000-w2", "exit": 0, "log": str(passed)}]},
    ]

    keep_failed_logs(reports, out)

    assert [p.name for p in out.iterdir()] == [failed.name]
    assert (out / failed.name).read_text() == "Out of Memory Error\n"
    assert reports[0]["runs"][0]["log"] == str(out / failed.name)
    assert reports[1]["runs"][0]["log"] == str(passed)


LOG = """starting a temporary Prefect server for this run
23:59:58.000 | INFO    | copydesk.audit - audit: marts/articles built in 2.8 s
23:59:59.500 | INFO    | copydesk.publish - publish: articles in 0.4 s
00:00:01.000 | INFO    | copydesk.publish - publish: paragraph_bands in 3.5 s
"""


@pytest.mark.parametrize(
    "peak_at, expected",
    [
        (1.0, "copydesk.audit - audit: marts/articles built in 2.8 s"),
        (3.6, "copydesk.publish - publish: paragraph_bands in 3.5 s"),  # past midnight
        (0.3, None),  # before the first line
    ],
)
def test_the_peak_is_placed_after_the_last_log_line_before_it(peak_at, expected):
    started = datetime(2026, 11, 30, 23, 59, 57, 500000)
    trace = [(0.1, 100), (peak_at, 900), (4.0, 200)]

    assert peak_after(LOG, started, trace) == expected


def test_the_targets_read_the_report_of_the_newest_code():
    head, parent = git("rev-parse", "--short", "HEAD"), git("rev-parse", "--short", "HEAD~1")
    if not parent:
        pytest.skip("no git history here to tell an older commit from a newer one")

    def report(commit: str) -> dict:
        return {"mix": "text", "size": 100_000, "commit": commit, "runs": []}

    assert _newest([report(head), report(parent)])["commit"] == head  # made later, older code
    assert _newest([report(parent), report(head + "+")])["commit"] == head + "+"
    assert _newest([report("0000000"), report("1111111")])["commit"] == "1111111"  # unknown


def test_the_10k_target_reads_a_warm_run_when_there_is_one():
    """The target is from a command start on a warm machine: a --warm run of the same code
    counts over a cold one made later."""

    def report(wall: float, warm: bool) -> dict:
        run = {"workers": 2, "exit": 0, "wall_s": wall, "peak_rss_mb": 1500, "warm": warm}
        return {"mix": "text", "size": 10_000, "commit": "0000000", "runs": [run]}

    def ten_k(reports: list[dict]) -> str:
        return next(row for row in targets(reports) if row.startswith("| 10k"))

    assert "80 s, 1,500 MB |" in ten_k([report(80, True), report(120, False)])
    assert "| met |" in ten_k([report(80, True), report(120, False)])
    cold = ten_k([report(120, False)])
    assert "120 s, 1,500 MB (cold: a new Prefect home)" in cold and "**not met**" in cold


def test_the_cpu_split_has_a_row_per_run_that_recorded_one():
    split = {"root": 40.0, "descendants": 111.5, "also": 4.2}
    recorded = {"label": "text-10000-w2", "exit": 0, "wall_s": 94.3, "cpu_s": 155.7}
    recorded |= {"cpu_split_s": split, "run": {"stage_seconds": {"read_clean": 105.0}}}
    older = {"label": "text-100000-w2", "exit": 0, "wall_s": 500.0, "cpu_s": 900.0}
    reports = [
        {"mix": "text", "size": 10_000, "commit": "abc1234", "runs": [recorded]},
        {"mix": "text", "size": 100_000, "commit": "abc1234", "runs": [older]},
    ]
    rows = [line for line in _cpu_split(reports) if line.startswith("| 1")]
    cells = "| 10,000 text (abc1234) | text-10000-w2 | 94.3 | 156 | 40.0 | 112 | 4.2 | 105 |"
    assert rows == [cells]
    assert _cpu_split(reports[1:]) == []


def test_the_speed_up_reads_the_newest_code_measured_with_one_and_two_workers():
    def report(commit: str, walls: dict[int, float]) -> dict:
        run = {"exit": 0, "peak_rss_mb": 9, "run": {"stage_seconds": {}}}
        runs = [run | {"workers": w, "wall_s": s} for w, s in walls.items()]
        return {"mix": "text", "size": 100_000, "commit": commit, "runs": runs}

    def speed_up(reports: list[dict]) -> str:
        return next(row for row in targets(reports) if row.startswith("| 1 → 2"))

    older, newer = report("0000000", {1: 1000.0, 2: 800.0}), report("1111111", {2: 600.0})
    assert "1.25× (wall, at 0000000)" in speed_up([older, newer])
    assert "| – | not measured |" in speed_up([newer])


def test_the_increment_reads_the_newest_code_measured_with_one():
    incremental = {"of_full_wall_pct": 7.2, "of_full_flow_pct": 5.8}
    older = {"mix": "text", "size": 100_000, "commit": "0000000", "runs": []}
    older |= {"incremental": incremental}
    newer = {"mix": "text", "size": 100_000, "commit": "1111111", "runs": []}
    row = next(r for r in targets([older, newer]) if r.startswith("| the +1% run"))
    assert "5.8% of the flow run, on the 100,000-file warehouse (at 0000000)" in row
    assert row.endswith("| **not met** at 100,000 |")
