"""Whether two warehouses hold the same published corpus, row by row: for checking that a
change to the pipeline's plumbing changes nothing it publishes.

    uv run python -m bench.compare_warehouses BEFORE.duckdb AFTER.duckdb

Run ids, timestamps, input folders, modification times and stage seconds are left out: they
differ between any two runs of the same input. Exits 1 when any table differs, printing a few
rows found only on each side."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

TABLES = (
    "published.articles",
    "published.paragraphs",
    "published.removals",
    "published.quarantine",
    "published.article_clusters",
    "published.paragraph_clusters",
    "published.article_bands",
    "published.paragraph_bands",
    "published.runs",
    "raw.files",
    "raw.documents",
    "audit.cluster_merges",
)
# Columns that differ between two runs of the same input in another folder or at another time.
RUN_SPECIFIC = {
    "run_id",
    "seen_at",
    "started_at",
    "finished_at",
    "stage_seconds",
    "pid",
    "error",
    "input_dir",
    "mtime_ns",
}
SHOWN = 3  # rows shown from each side of a difference


def table_rows(path: Path) -> dict[str, list[str]]:
    """Every row of every compared table, as sorted text, run-specific columns left out."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = {}
        for table in TABLES:
            columns = [c for c, *_ in con.execute(f"describe {table}").fetchall()]
            kept = ", ".join(c for c in columns if c not in RUN_SPECIFIC)
            rows[table] = sorted(map(repr, con.execute(f"select {kept} from {table}").fetchall()))
        return rows
    finally:
        con.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args()
    before, after = table_rows(args.before), table_rows(args.after)
    same = True
    for table in TABLES:
        equal = before[table] == after[table]
        same &= equal
        verdict = "identical" if equal else "DIFFERENT"
        print(f"{table}: {len(before[table]):,} rows vs {len(after[table]):,}: {verdict}")
        if not equal:
            old, new = set(before[table]), set(after[table])
            for row in sorted(old - new)[:SHOWN]:
                print(f"  only before: {row[:300]}")
            for row in sorted(new - old)[:SHOWN]:
                print(f"  only after:  {row[:300]}")
    print("all tables identical" if same else "the warehouses differ")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
