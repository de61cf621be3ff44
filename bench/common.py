"""What every benchmark needs besides its own measurement: progress lines, the commit measured,
JSON results, and a child process watched for memory, CPU and time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"  # git-ignored


def say(message: str) -> None:
    """Print a timestamped progress line to stderr (stdout is for results)."""
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def git(*args: str) -> str:
    """The output of a git command in the repository, "" when git fails or is missing."""
    try:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def commit() -> str:
    """The short hash of the checked-out commit."""
    return git("rev-parse", "--short", "HEAD")


def changed(*paths: str) -> list[str]:
    """The files under `paths` with uncommitted changes, so a result can say it was measured on
    more than its commit."""
    lines = git("status", "--porcelain", "--", *paths).splitlines()
    return [line.split(maxsplit=1)[-1] for line in lines]


def write_json(path: Path, data: object) -> None:
    """Write `data` as indented JSON, creating the folder (sets as lists, the rest of what
    JSON lacks as text)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, ensure_ascii=False, default=_jsonable)
    path.write_text(text, encoding="utf-8")


def _jsonable(value: object) -> object:
    return sorted(value) if isinstance(value, set | frozenset) else str(value)


def rss_mb(pid: int | None = None) -> float:
    """The resident memory of one process (this one by default), in MB; 0 once it is gone."""
    try:
        return psutil.Process(pid).memory_info().rss / 2**20
    except psutil.Error:
        return 0.0


class TreeWatcher(threading.Thread):
    """Samples a process and all its descendants every `every` seconds: the peak of their
    summed RSS, the root's own peak, their CPU seconds and a trace of the summed RSS. It kills
    the root's process group when the sum goes above `limit_mb` or after `timeout` seconds.

    `also`: processes outside the tree that work for it (a server kept between runs), summed
    with it; only the CPU seconds they spend while watched count."""

    def __init__(
        self,
        pid: int,
        every: float = 0.2,
        limit_mb: float | None = None,
        timeout: float | None = None,
        also: Sequence[int] = (),
    ) -> None:
        super().__init__(daemon=True)
        self.root, self.every = psutil.Process(pid), every
        self.limit_mb, self.timeout = limit_mb, timeout
        self.peak_rss = self.peak_root_rss = 0
        self.cpu: dict[int, float] = {}  # last CPU seconds seen per process
        self.also: list[psutil.Process] = []
        self._cpu_before: dict[int, float] = {}  # what `also` had spent before the watch
        for other in also:
            try:
                proc = psutil.Process(other)
                times = proc.cpu_times()
            except psutil.Error:
                continue
            self.also.append(proc)
            self._cpu_before[other] = times.user + times.system
        self.trace: list[tuple[float, int]] = []  # (seconds since start, summed RSS in MB)
        self.killed: str | None = None  # "memory" or "timeout"
        self.started = time.perf_counter()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.every):
            try:
                procs = [self.root, *self.root.children(recursive=True), *self.also]
            except psutil.NoSuchProcess:
                return
            total = 0
            for proc in procs:
                try:
                    rss = proc.memory_info().rss
                    times = proc.cpu_times()
                except psutil.Error:
                    continue
                total += rss
                if proc.pid == self.root.pid:
                    self.peak_root_rss = max(self.peak_root_rss, rss)
                self.cpu[proc.pid] = times.user + times.system - self._cpu_before.get(proc.pid, 0.0)
            self.peak_rss = max(self.peak_rss, total)
            elapsed = time.perf_counter() - self.started
            self.trace.append((round(elapsed, 1), round(total / 2**20)))
            if self.killed is None:
                if self.limit_mb is not None and total > self.limit_mb * 2**20:
                    self.kill("memory")
                elif self.timeout is not None and elapsed > self.timeout:
                    self.kill("timeout")

    def kill(self, reason: str) -> None:
        self.killed = reason
        try:
            os.killpg(self.root.pid, signal.SIGKILL)  # the group the child was started in
        except ProcessLookupError:
            pass

    def stop(self) -> dict:
        """Stop sampling; the peaks (MB) and CPU seconds seen, in all and split between the
        root, its descendants (such as Dask workers) and the processes `also`. A process's
        seconds are those of its last sample: what it spent in its last `every` is missed."""
        self.done.set()
        self.join()
        also = {p.pid for p in self.also}
        split = {"root": 0.0, "descendants": 0.0, "also": 0.0}
        for pid, seconds in self.cpu.items():
            role = "root" if pid == self.root.pid else "also" if pid in also else "descendants"
            split[role] += seconds
        return {
            "peak_rss_mb": round(self.peak_rss / 2**20),
            "peak_main_rss_mb": round(self.peak_root_rss / 2**20),
            "cpu_s": round(sum(self.cpu.values()), 1),
            "cpu_split_s": {role: round(seconds, 1) for role, seconds in split.items()},
        }


@dataclass
class Watched:
    """How a watched child process ended and what it used."""

    exit: int
    wall_s: float
    killed: str | None  # "memory", "timeout" or None
    max_rss_mb: float  # the kernel's peak RSS of the child (wait4), its largest process
    cpu_s: float  # the kernel's CPU seconds of the child and the children it waited for
    tree: dict = field(default_factory=dict)  # TreeWatcher.stop(): summed RSS, polled
    trace: list[tuple[float, int]] = field(default_factory=list)


def run_watched(
    cmd: Sequence[str],
    every: float = 0.2,
    limit_mb: float | None = None,
    timeout: float | None = None,
    also: Sequence[int] = (),
    **popen: object,
) -> Watched:
    """Run `cmd` in a new session, watched by a TreeWatcher (with the processes `also`), and
    wait for it; `popen` goes to subprocess.Popen (cwd, env, stdout...)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, start_new_session=True, **popen)
    watcher = TreeWatcher(proc.pid, every, limit_mb, timeout, also)
    watcher.start()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    tree = watcher.stop()
    return Watched(
        exit=proc.returncode,
        wall_s=round(wall, 2),
        killed=watcher.killed,
        max_rss_mb=round(usage.ru_maxrss / 1024, 1),
        cpu_s=round(usage.ru_utime + usage.ru_stime, 2),
        tree=tree,
        trace=watcher.trace,
    )
