"""The million-file benchmark's bookkeeping (bench/pipeline_scale.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("psutil")  # in the bench dependency group

from bench.pipeline_scale import keep_failed_logs  # noqa: E402 - after the skip above


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
