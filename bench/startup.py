"""Seconds of start-up of `copydesk run` on the shipped sample (data/raw), warm and cold.

Two figures, each measured on a machine that has run copydesk before (warm: the Prefect home
of an earlier run, so its database and, unless COPYDESK_SERVER_KEEP_SECONDS=0, its kept
server) and on a new Prefect home (cold: no Prefect database, no server):

- first batch: from the command's start to its "batch 1 of" (or "batches 1-2 of") log
  line, a new warehouse;
- nothing new: the wall time of a run on a warehouse that already holds the input.

Each round runs, in this order: cold first batch (new home A, new warehouse W), warm nothing
new (home A, W), warm first batch (home A, new warehouse), cold nothing new (new home B, W);
rounds alternate the commands given, so a comparison sees the same machine load. Wall, user
and system seconds are the kernel's for the command's process and the children it waited
for, as `/usr/bin/time` gives them; a kept server is not among them, and is stopped after
each round.

    uv run --group bench python -m bench.startup --runs 5
    uv run --group bench python -m bench.startup --runs 5 --vs /path/to/other/.venv/bin/copydesk
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import OUT, REPO, commit, say, write_json
from flows.server import stop_kept

SAMPLE = REPO / "data" / "raw"
FIRST_BATCH = re.compile(r"batch(?:es)? 1(?:-\d+)? of")  # batches ready together log as one
CASES = ("first batch, cold", "nothing new, warm", "first batch, warm", "nothing new, cold")


def run_once(copydesk: str, warehouse: Path, home: Path, keep: str | None) -> dict:
    """One `copydesk run` of the sample: wall seconds, seconds to its first batch, CPU."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COPYDESK_", "PREFECT_"))}
    env |= {"PREFECT_HOME": str(home), "COLUMNS": "120"}
    if keep is not None:
        env["COPYDESK_SERVER_KEEP_SECONDS"] = keep
    cmd = [copydesk, "run", "--input", str(SAMPLE), "--warehouse", str(warehouse)]
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    first = None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if first is None and FIRST_BATCH.search(line):
            first = time.perf_counter() - start
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{''.join(lines[-20:])}")
    return {
        "wall_s": round(wall, 2),
        "first_batch_s": None if first is None else round(first, 2),
        "user_s": round(usage.ru_utime, 2),
        "sys_s": round(usage.ru_stime, 2),
    }


def one_round(copydesk: str, work: Path, keep: str | None) -> dict[str, dict]:
    """The four cases of one round, in order, on new homes and warehouses under `work`."""
    home_a, home_b = Path(tempfile.mkdtemp(dir=work)), Path(tempfile.mkdtemp(dir=work))
    shared, fresh = work / "shared.duckdb", work / "fresh.duckdb"
    try:
        return {
            CASES[0]: run_once(copydesk, shared, home_a, keep),
            CASES[1]: run_once(copydesk, shared, home_a, keep),
            CASES[2]: run_once(copydesk, fresh, home_a, keep),
            CASES[3]: run_once(copydesk, shared, home_b, keep),
        }
    finally:
        for home in (home_a, home_b):
            stop_kept(home)
        for path in work.iterdir():
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def median(rows: list[dict], key: str) -> float | None:
    values = [r[key] for r in rows if r[key] is not None]
    return round(statistics.median(values), 2) if values else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds of the four cases")
    parser.add_argument(
        "--vs", action="append", default=[], help="another copydesk command, alternated"
    )
    parser.add_argument(
        "--keep", default=None, help="COPYDESK_SERVER_KEEP_SECONDS for the runs (unset: default)"
    )
    args = parser.parse_args(argv)
    commands = [str(Path(sys.executable).with_name("copydesk")), *args.vs]
    results: dict[str, list[dict[str, dict]]] = {c: [] for c in commands}
    with tempfile.TemporaryDirectory(prefix="copydesk-startup-") as tmp:
        for n in range(args.runs):
            for command in commands:
                say(f"round {n + 1} of {args.runs}: {command}")
                results[command].append(one_round(command, Path(tmp), args.keep))
                write_json(OUT / "startup.json", {"commit": commit(), "runs": results})
    print(f"\n`copydesk run` of the sample, median of {args.runs} (commit {commit()})\n")
    print("| command | case | to first batch s | wall s | user s | sys s |")
    print("|---|---|---|---|---|---|")
    summary = {}
    for command, rounds in results.items():
        for case in CASES:
            rows = [r[case] for r in rounds]
            med = {k: median(rows, k) for k in ("first_batch_s", "wall_s", "user_s", "sys_s")}
            summary[f"{command} | {case}"] = med
            first = "" if med["first_batch_s"] is None else med["first_batch_s"]
            print(
                f"| {command} | {case} | {first} | {med['wall_s']} | {med['user_s']} "
                f"| {med['sys_s']} |"
            )
    write_json(
        OUT / "startup.json",
        {"commit": commit(), "keep": args.keep, "summary": summary, "runs": results},
    )


if __name__ == "__main__":
    main()
