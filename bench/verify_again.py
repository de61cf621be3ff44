"""Verify a kept warehouse's near-duplicate candidates again: seconds, peak memory, and
whether the pairs that hold equal the ones the run stored.

    uv run --group bench python -m bench.verify_again WAREHOUSE [--level article] \
        [--memory-limit 1.5GB]

WAREHOUSE is one a run left behind (`bench.pipeline_scale --keep`), its audit tables still
there. The step runs inside a transaction that is rolled back, so the warehouse stays as it
was. To compare two commits, run the same command from a checkout of each."""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import duckdb

from copydesk import near_duplicates
from copydesk.settings import Settings

LEVELS = {"article": near_duplicates.ARTICLES, "paragraph": near_duplicates.PARAGRAPHS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--level", choices=sorted(LEVELS), default="paragraph")
    parser.add_argument("--memory-limit", default=Settings().duckdb_memory_limit)
    args = parser.parse_args()
    level = LEVELS[args.level]
    cfg = Settings()
    policy = near_duplicates.NearDupPolicy(
        cfg.near_jaccard, cfg.near_containment, cfg.canonical_order
    )
    pairs = f"select a, b, jaccard, relation from audit.{level.name}_verified order by all"
    con = duckdb.connect(str(args.warehouse))
    con.execute("set memory_limit = ?", [args.memory_limit])
    stored = con.execute(pairs).fetchall()
    candidates = con.execute(f"select count(*) from audit.{level.name}_candidates").fetchone()
    con.execute("begin transaction")
    start = time.perf_counter()
    near_duplicates._verify(con, level, policy)
    seconds = time.perf_counter() - start
    again = con.execute(pairs).fetchall()
    con.execute("rollback")
    con.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{level.name}: {candidates[0] if candidates else 0} candidate pairs, {len(again)} "
        f"verified in {seconds:.2f} s, the same as stored: {again == stored}; "
        f"peak RSS {peak:.0f} MB (DuckDB at {args.memory_limit})"
    )


if __name__ == "__main__":
    main()
