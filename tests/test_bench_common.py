"""The benchmarks' shared helpers (bench/common.py): JSON results and watched child processes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("psutil")  # in the bench dependency group

from bench.common import run_watched, write_json  # noqa: E402 - after the skip above

HOLD_MB = "x = bytearray({mb} * 2**20); x[::4096] = b'1' * len(x[::4096]); time.sleep({s})"


def python(code: str) -> list[str]:
    return [sys.executable, "-c", f"import subprocess, sys, time; {code}"]


def test_write_json_makes_the_folder_and_writes_paths_as_text(tmp_path: Path):
    path = tmp_path / "out" / "result.json"
    write_json(path, {"where": tmp_path, "n": 1})
    assert json.loads(path.read_text()) == {"where": str(tmp_path), "n": 1}


def test_a_finished_child_reports_exit_time_and_peak_memory():
    run = run_watched(python(HOLD_MB.format(mb=80, s=0.6)), every=0.05)
    assert run.exit == 0 and run.killed is None
    assert run.max_rss_mb >= 80
    assert run.tree["peak_rss_mb"] >= 80
    assert run.trace and run.wall_s >= 0.6


def test_the_peak_sums_the_whole_process_tree():
    grandchild = python(HOLD_MB.format(mb=80, s=0.8))
    run = run_watched(python(f"subprocess.run({grandchild!r})"), every=0.05)
    assert run.exit == 0
    assert run.tree["peak_rss_mb"] - run.tree["peak_main_rss_mb"] >= 70


def test_a_child_past_its_time_is_killed():
    run = run_watched(python("time.sleep(30)"), every=0.05, timeout=0.3)
    assert run.killed == "timeout"
    assert run.exit != 0 and run.wall_s < 10


def test_a_child_past_its_memory_limit_is_killed():
    run = run_watched(python(HOLD_MB.format(mb=150, s=30)), every=0.05, limit_mb=100)
    assert run.killed == "memory"
    assert run.exit != 0 and run.wall_s < 10


def test_a_process_outside_the_tree_counts_with_it_when_named():
    """A kept server is not the run's child: named in `also`, its memory is summed and only
    the CPU seconds it spends during the watch count."""
    spin = "t = time.process_time()\nwhile time.process_time() - t < 0.5: pass\n"
    server = subprocess.Popen(python(spin + HOLD_MB.format(mb=80, s=30)))
    try:
        time.sleep(1.0)  # its 0.5 CPU seconds of start-up are spent before the watch
        run = run_watched(python("time.sleep(0.6)"), every=0.05, also=[server.pid])
        alone = run_watched(python("time.sleep(0.6)"), every=0.05)
    finally:
        server.kill()
        server.wait()
    assert run.tree["peak_rss_mb"] - alone.tree["peak_rss_mb"] >= 70
    assert run.tree["cpu_s"] < 0.3


def test_the_cpu_seconds_are_split_between_the_root_its_descendants_and_the_others():
    spin = "t = time.process_time()\nwhile time.process_time() - t < {s}: pass\n"
    server = subprocess.Popen(python("time.sleep(1.0)\n" + spin.format(s=0.6) + "time.sleep(30)"))
    grandchild = python(spin.format(s=0.4) + "time.sleep(0.3)")
    try:
        run = run_watched(
            python(f"subprocess.run({grandchild!r})\n" + spin.format(s=0.2) + "time.sleep(2.5)"),
            every=0.05,
            also=[server.pid],
        )
    finally:
        server.kill()
        server.wait()
    split = run.tree["cpu_split_s"]
    assert 0.2 <= split["root"] < 0.4  # its own spin and its start
    assert 0.4 <= split["descendants"] < 0.6
    assert 0.5 <= split["also"] < 0.8
    assert run.tree["cpu_s"] == pytest.approx(sum(split.values()), abs=0.15)
