"""What one cleaning worker holds: a fresh process imports what a Dask worker imports to run
the flow's task, then reads and cleans batches of generated text files as `copydesk run` gives
them out (`read_and_clean`), its RSS sampled every 50 ms (`TreeWatcher`). Prints, per batch,
the seconds, the RSS after it, the peak so far and the size of the result the flow receives.

    uv run --group bench python -m bench.worker_memory --files 2000 --batch-size 500

Run it from two checkouts to compare them: the peak is what the process tree of a run adds
per worker while batches are cleaned."""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import OUT, TreeWatcher, commit, rss_mb, say, write_json


def measure(input_dir: Path, batch_size: int, batches: int) -> list[dict]:
    """In this process: import, then clean `batches` batches of `input_dir`'s files."""
    watcher = TreeWatcher(os.getpid(), every=0.05)
    watcher.start()

    def peak_mb() -> int:  # the watcher may not have seen the last 50 ms
        return round(max(watcher.peak_root_rss / 2**20, rss_mb()))

    import flows.publish_articles  # noqa: F401 - what a worker imports to run the task
    from copydesk import batch_tables, scan, warehouse
    from copydesk.boilerplate import load_rule_packs
    from copydesk.settings import Settings

    cfg = Settings()
    packs = load_rule_packs(cfg.rules_dirs)
    with tempfile.TemporaryDirectory(prefix="worker-memory-") as tmp:
        with warehouse.connect(Path(tmp) / "plan.duckdb") as con:
            files = scan.scan_inputs(con, input_dir, cfg.exclude, cfg.follow_symlinks).plan.to_read
    rows = [{"batch": "imported", "rss_mb": round(rss_mb()), "peak_mb": peak_mb()}]
    for n in range(batches):
        part = files[n * batch_size : (n + 1) * batch_size]
        if not part:
            break
        start = time.perf_counter()
        tables = batch_tables.read_and_clean(part, packs, cfg.max_file_bytes)
        seconds = time.perf_counter() - start
        result_bytes = len(pickle.dumps(tables))
        del tables
        rows.append(
            {
                "batch": n + 1,
                "files": len(part),
                "seconds": round(seconds, 2),
                "rss_mb": round(rss_mb()),
                "peak_mb": peak_mb(),
                "result_bytes": result_bytes,
            }
        )
    watcher.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=OUT / "worker_memory.json")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)  # the measured process
    args = parser.parse_args()
    batches = -(-args.files // args.batch_size)
    if args.child:
        write_json(args.out, measure(args.child, args.batch_size, batches))
        return

    from bench.pipeline_scale import Corpus

    with tempfile.TemporaryDirectory(prefix="worker-memory-") as tmp:
        input_dir = Path(tmp) / "input"
        Corpus("text", args.seed, Path(tmp)).write(input_dir, 0, args.files)
        child = [sys.executable, "-m", "bench.worker_memory", "--child", str(input_dir)]
        child += ["--batch-size", str(args.batch_size), "--files", str(args.files)]
        subprocess.run([*child, "--out", str(args.out)], check=True)
    rows = json.loads(args.out.read_text())
    for row in rows:
        say(
            f"{row['batch']!s:>8}: RSS {row['rss_mb']:>5} MB, peak {row['peak_mb']:>5} MB"
            + (
                f", {row['files']} files in {row['seconds']:.2f} s, "
                f"result {row['result_bytes'] / 2**20:.1f} MB"
                if "files" in row
                else ""
            )
        )
    write_json(args.out, {"commit": commit(), "batch_size": args.batch_size, "rows": rows})


if __name__ == "__main__":
    main()
