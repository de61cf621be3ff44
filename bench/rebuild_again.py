"""Run the audit's rebuild after a quarantine again on a kept warehouse: after each step, the
process's RSS next to DuckDB's own account of its memory (`duckdb_memory()`), then the
seconds, the peak RSS and the run's counts.

    uv run --group bench python -m bench.rebuild_again WAREHOUSE [--memory-limit 1.5GB] \
        [--setting "set allocator_flush_threshold = '16MB'"]

WAREHOUSE is one a run left behind (`bench.pipeline_scale --keep`), or one whose run failed in
the rebuild (its failed articles already moved out of staging). Nothing new is quarantined: the
audit tables are built again from staging as the rebuild builds them, with the same rows. RSS
far above DuckDB's account is memory DuckDB's limit does not bound."""

from __future__ import annotations

import argparse
import logging
import resource
import time
from pathlib import Path

from bench.common import rss_mb
from copydesk import audit, warehouse
from copydesk.settings import Settings, temp_dir_for


class StepMemory(logging.Handler):
    """At each of the audit's log lines (a step done), prints RSS and DuckDB's account."""

    def __init__(self, con) -> None:
        super().__init__(logging.INFO)
        self.con = con

    def emit(self, record: logging.LogRecord) -> None:
        used, spilled = self.con.execute(
            "select sum(memory_usage_bytes), sum(temporary_storage_bytes) from duckdb_memory()"
        ).fetchone()
        print(
            f"{record.getMessage()[:64]:<64}  RSS {rss_mb():>6.0f} MB, DuckDB "
            f"{used / 2**20:>6.0f} MB (spilled {spilled / 2**20:.0f} MB)",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--memory-limit", default=Settings().duckdb_memory_limit)
    parser.add_argument("--setting", action="append", default=[], help="a SET statement")
    parser.add_argument(
        "--checkpoint", action="store_true", help="checkpoint first, and say what it took"
    )
    args = parser.parse_args()
    cfg = Settings(warehouse=args.warehouse)
    with warehouse.hold(args.warehouse, 0, args.memory_limit, temp_dir_for(cfg)) as con:
        for statement in args.setting:
            con.execute(statement)
        (run_id,) = con.execute("select run_id from staging.run").fetchone()
        print(f"opened: RSS {rss_mb():.0f} MB", flush=True)
        handler = StepMemory(con)
        if args.checkpoint:  # the rebuild's first write may checkpoint the whole warehouse
            con.execute("checkpoint")
            handler.emit(logging.makeLogRecord({"msg": "checkpoint", "levelno": logging.INFO}))
        logger = logging.getLogger("copydesk")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        start = time.perf_counter()
        try:
            audit._build(con, run_id, cfg, after_quarantine=True)
        finally:
            logger.removeHandler(handler)
        seconds = time.perf_counter() - start
        counts = audit._counts(con)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"rebuilt in {seconds:.1f} s, peak RSS {peak:.0f} MB (DuckDB at {args.memory_limit}); "
        f"{counts['articles_read']} articles = {counts['published']} published + "
        f"{counts['duplicates']} duplicates + {counts['quarantined']} quarantined"
    )


if __name__ == "__main__":
    main()
