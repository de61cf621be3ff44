"""Find a kept warehouse's paragraph near-duplicate candidates again as a first audit finds
them, every published band key new: after each pass over the bands, the seconds, the process's
peak RSS during the pass beside DuckDB's own account of its memory (`duckdb_memory()`), and
RSS after it.

    uv run --group bench python -m bench.candidates_again WAREHOUSE [--memory-limit 1.5GB] \
        [--rows-per-pass 5000000] [--bands 22]

WAREHOUSE is one a run left behind (`bench.pipeline_scale --keep`); it is only read: its
published.paragraph_bands are copied into a scratch file beside it as the staged keys, with
none published (a million files' first audit: some 200 million rows). `--bands N` stops after
the passes over the first N bands. RSS far above DuckDB's account is memory its limit does not
bound; DuckDB's allocator (jemalloc on Linux) reads its settings from `DUCKDB_JE_MALLOC_CONF`."""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

import duckdb

from bench.common import rss_mb
from copydesk import near_duplicates
from copydesk.near_duplicates import MAX_BUCKET, PARAGRAPHS, _by_band
from copydesk.settings import Settings


class PassMemory(threading.Thread):
    """Samples RSS and DuckDB's account every 0.1 s; `take()` returns the peak RSS since the
    last call and DuckDB's account at that moment."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        super().__init__(daemon=True)
        self.cursor = con.cursor()  # a connection of its own: it reads while a pass runs
        self.peak = (0.0, 0.0)
        self.lock = threading.Lock()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.1):
            used = self.cursor.execute(
                "select sum(memory_usage_bytes) from duckdb_memory()"
            ).fetchone()[0]
            sample = (rss_mb(), used / 2**20)
            with self.lock:
                self.peak = max(self.peak, sample)

    def take(self) -> tuple[float, float]:
        with self.lock:
            peak, self.peak = self.peak, (0.0, 0.0)
        return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--memory-limit", default=Settings().duckdb_memory_limit)
    parser.add_argument("--rows-per-pass", type=int, default=near_duplicates.BAND_ROWS_PER_PASS)
    parser.add_argument("--bands", type=int, default=PARAGRAPHS.bands)
    args = parser.parse_args()
    near_duplicates.BAND_ROWS_PER_PASS = args.rows_per_pass
    print(f"DUCKDB_JE_MALLOC_CONF={os.environ.get('DUCKDB_JE_MALLOC_CONF')!r}", flush=True)
    with tempfile.TemporaryDirectory(dir=args.warehouse.parent) as scratch:
        con = duckdb.connect(str(Path(scratch) / "candidates.duckdb"))
        con.execute("set temp_directory = ?", [str(Path(scratch) / "spill")])
        con.execute(f"attach '{args.warehouse}' as kept (read_only)")
        con.execute("create schema staging; create schema published")
        start = time.perf_counter()
        con.execute(
            "create table staging.paragraph_bands as from kept.published.paragraph_bands; "
            "create table published.paragraph_bands as from staging.paragraph_bands limit 0"
        )
        con.execute("detach kept")
        (rows,) = con.execute("select count(*) from staging.paragraph_bands").fetchone()
        print(f"copied {rows:,} band rows in {time.perf_counter() - start:.0f} s", flush=True)
        con.close()  # what the copy took leaves with its connection

        con = duckdb.connect(str(Path(scratch) / "candidates.duckdb"))
        con.execute("set memory_limit = ?", [args.memory_limit])
        con.execute("set temp_directory = ?", [str(Path(scratch) / "spill")])
        con.execute("create temp table candidate_rows (a varchar, b varchar)")
        print(f"opened: RSS {rss_mb():.0f} MB", flush=True)
        memory = PassMemory(con)
        memory.start()

        def one_pass(sql: str, params: dict) -> None:
            if params["first_band"] >= args.bands:
                return
            started = time.perf_counter()
            con.execute(sql, params)
            rss, duckdb_mb = memory.take()
            print(
                f"bands {params['first_band']:>2}-{params['end_band'] - 1:<2} "
                f"{time.perf_counter() - started:5.1f} s: peak RSS {rss:>5.0f} MB, DuckDB "
                f"{duckdb_mb:>5.0f} MB then; after: RSS {rss_mb():>5.0f} MB",
                flush=True,
            )

        start = time.perf_counter()
        _by_band(
            _Passes(con, one_pass),  # type: ignore[arg-type]
            PARAGRAPHS,
            "candidates",
            "select count(*) from staging.paragraph_bands",
            max_bucket=MAX_BUCKET,
        )
        seconds = time.perf_counter() - start
        memory.done.set()
        memory.join()
        (pairs,) = con.execute(
            "select count(*) from (select distinct * from candidate_rows)"
        ).fetchone()
        print(
            f"{pairs:,} candidate pairs in {seconds:.1f} s, {args.rows_per_pass:,} rows a pass, "
            f"DuckDB at {args.memory_limit}",
            flush=True,
        )


class _Passes:
    """The connection as _by_band sees it: each pass goes through `one_pass`, the count of keys
    to the connection itself."""

    def __init__(self, con: duckdb.DuckDBPyConnection, one_pass) -> None:
        self.con, self.one_pass = con, one_pass

    def execute(self, sql: str, params: dict | None = None):
        if params and "first_band" in params:
            return self.one_pass(sql, params)
        return self.con.execute(sql, params)


if __name__ == "__main__":
    main()
