"""What the scan of an input folder costs the flow process: its seconds, the memory its plan
holds for the rest of the run, and the peak while it walks (the folder's entries in Python).
A new in-memory warehouse, so every file is planned; run it on the inputs that
`bench.pipeline_scale --keep` leaves, e.g. a million text files:

    uv run --group bench python -m bench.plan_memory /dev/shm/pipeline_scale_inputs_*/text-1000000
"""

from __future__ import annotations

import argparse
import gc
import resource
import time
from pathlib import Path

import duckdb

from bench.common import say
from copydesk.scan import scan_inputs
from copydesk.warehouse import read_sql


def resident_mb() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() // 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", type=Path)
    args = parser.parse_args()
    con = duckdb.connect()
    con.execute(read_sql("schema"))
    before = resident_mb()
    start = time.perf_counter()
    plan = scan_inputs(con, args.input, ()).plan
    seconds = time.perf_counter() - start
    gc.collect()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # KB on Linux
    say(
        f"{len(plan.to_read):,} files planned in {seconds:.1f} s; the plan holds "
        f"{resident_mb() - before} MB after the scan, {peak - before} MB at its peak"
    )


if __name__ == "__main__":
    main()
