"""What a stopped run costs: `copydesk run` on N generated text files, killed once a share of
its batches is staged, then run again on the same warehouse, against a run of the same files
that was never stopped.

    uv run --group bench python -m bench.resume --files 10000 --kill-at 0.5

The second run keeps the batches the killed one staged (staging.take_over) and reads only the
rest. The script checks that the two warehouses publish the same rows, table by table (the run
that wrote a row aside), and reports the walls: the killed run's until the kill, the run that
took over, and the uninterrupted run. The corpus is bench.pipeline_scale's; each run has a new
Prefect home, so each starts its own server, as the runs of pipeline_scale do without --warm."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path

import duckdb

from bench.common import OUT, changed, commit, say, write_json
from bench.pipeline_scale import Corpus, last_run, run_command, run_copydesk

# The flow's line for batches staged, "batch 3 of 20:" or "batches 2-3 of 20:": the last
# batch staged and the number of batches.
STAGED = re.compile(r"\bbatch(?:es \d+-| )(\d+) of (\d+):")
KEPT = re.compile(r"kept (\d+) files \((\d+) articles\) that run \S+ staged")
# Every table a run writes but the run log; run_id is left out, as it names the run.
TABLES = (
    "published.articles",
    "published.paragraphs",
    "published.removals",
    "published.quarantine",
    "raw.documents",
)


def run_and_kill(
    input_dir: Path, db: Path, workers: int, work: Path, kill_at: float, timeout: float
) -> dict:
    """`copydesk run` killed (SIGKILL, with its Dask workers and server) once `kill_at` of its
    batches are staged, as a machine that stops would stop it."""
    home = Path(tempfile.mkdtemp(prefix="prefect-home-", dir=work))
    cmd, env = run_command(input_dir, db, workers, work, home, warm=False)
    log_path = work / "killed.log"
    start = time.perf_counter()
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, cwd=work, env=env, start_new_session=True
        )
    staged = total = 0
    with log_path.open() as log:
        while proc.poll() is None and time.perf_counter() - start < timeout:
            line = log.readline()
            if not line:
                time.sleep(0.1)
                continue
            if m := STAGED.search(line):
                staged, total = int(m.group(1)), int(m.group(2))
                if staged >= kill_at * total:
                    os.killpg(proc.pid, signal.SIGKILL)
                    break
    wall = time.perf_counter() - start
    proc.wait()
    shutil.rmtree(home, ignore_errors=True)
    say(f"killed: after {wall:.1f} s, {staged} of {total} batches staged (exit {proc.returncode})")
    return {
        "wall_s": round(wall, 2),
        "batches_staged": staged,
        "batches": total,
        "exit": proc.returncode,
        "log": str(log_path),
    }


def differing_rows(one: Path, other: Path) -> dict[str, int]:
    """Per table, the rows (run_id aside) that one warehouse holds and the other does not,
    both ways, duplicates counted."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{one}' as one (read_only)")
        con.execute(f"attach '{other}' as other (read_only)")
        out = {}
        for table in TABLES:
            a = f"select * exclude (run_id) from one.{table}"
            b = f"select * exclude (run_id) from other.{table}"
            (n,) = con.execute(
                f"select count(*) from (({a} except all {b}) union all ({b} except all {a}))"
            ).fetchone() or (0,)
            (rows,) = con.execute(f"select count(*) from one.{table}").fetchone() or (0,)
            out[table] = {"rows": rows, "differing": n}
        return out
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--kill-at", type=float, default=0.5, help="share of batches staged")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=4 * 3600, help="seconds per run")
    parser.add_argument("--tmp", default=None, help="folder for the inputs and warehouses")
    parser.add_argument("--out", type=Path, default=OUT / "resume.json")
    args = parser.parse_args()

    started = datetime.now().isoformat(timespec="seconds")
    work = Path(tempfile.mkdtemp(prefix="resume_", dir=args.tmp))
    try:
        input_dir = work / "input"
        stats = Corpus("text", args.seed, work).write(input_dir, 0, args.files)
        say(f"{stats.files} files, {stats.bytes / 2**20:.1f} MB, {stats.articles} articles")
        db, once_db = work / "stopped.duckdb", work / "once.duckdb"
        killed = run_and_kill(input_dir, db, args.workers, work, args.kill_at, args.timeout)
        resumed = run_copydesk(input_dir, db, args.workers, work, "resumed", args.timeout)
        log = Path(resumed["log"]).read_text(errors="replace")
        kept = KEPT.search(log)
        resumed["kept_files"], resumed["kept_articles"] = (
            (int(kept.group(1)), int(kept.group(2))) if kept else (0, 0)
        )
        once = run_copydesk(input_dir, once_db, args.workers, work, "once", args.timeout)
        differing = differing_rows(db, once_db) if not resumed["exit"] and not once["exit"] else {}
        runs = duckdb.connect(str(db), read_only=True)
        try:
            history = runs.execute("select status from audit.runs order by started_at").fetchall()
        finally:
            runs.close()
        result = {
            "command": "python -m bench.resume "
            + " ".join(
                f"--{k.replace('_', '-')} {v}"
                for k, v in vars(args).items()
                if k in ("files", "kill_at", "workers", "seed")
            ),
            "started": started,
            "commit": commit(),
            "changed": changed("copydesk", "flows", "sql"),
            "corpus": vars(stats),
            "killed": killed,
            "resumed": {
                k: resumed.get(k)
                for k in ("exit", "wall_s", "peak_rss_mb", "kept_files", "kept_articles")
            }
            | {"run": last_run(db)},
            "once": {k: once.get(k) for k in ("exit", "wall_s", "peak_rss_mb")}
            | {"run": last_run(once_db)},
            "statuses": [s for (s,) in history],
            "differing_rows": differing,
        }
        write_json(args.out, result)
        same = differing and all(t["differing"] == 0 for t in differing.values())
        say(
            f"killed after {killed['wall_s']:.0f} s ({killed['batches_staged']} of "
            f"{killed['batches']} batches staged); the next run kept {resumed['kept_files']} "
            f"files and took {resumed['wall_s']:.0f} s, against {once['wall_s']:.0f} s for one "
            f"run never stopped ({resumed['wall_s'] / once['wall_s']:.2f}×); published rows "
            + ("the same in every table" if same else f"DIFFER: {differing}")
        )
        say(f"wrote {args.out}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
