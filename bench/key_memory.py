"""What a primary key costs DuckDB in memory while one transaction writes a run's rows: the
reason published.paragraphs and published.paragraph_clusters have none (sql/schema.sql).

For N paragraph rows keyed as the warehouse keys them (a 20-hex-digit article_id with a
position, ten paragraphs an article; a 16-hex-digit paragraph_hash), each table is written
twice in one transaction, with its primary key and without, and DuckDB's own account of its
memory (duckdb_memory(), tag ART_INDEX) read before the commit; the index sits in memory whole
(DuckDB: "ART indexes must currently be able to fit in memory during index creation"), out of
reach of the spill that bounds everything else, under the run's memory limit.

    uv run --group bench python -m bench.key_memory --rows 1000000 10000000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb

from bench.common import OUT, commit, say, write_json

TABLES = {
    "paragraphs (article_id, position)": (
        "article_id varchar not null, position integer not null",
        "article_id, position",
        "select left(md5((i // 10)::varchar), 20), (i % 10)::integer from range($rows) t(i)",
    ),
    "paragraph_clusters (paragraph_hash)": (
        "paragraph_hash varchar not null",
        "paragraph_hash",
        "select left(md5(i::varchar), 16) from range($rows) t(i)",
    ),
}


def measure(rows: int, keyed: bool, columns: str, key: str, select: str) -> dict:
    """Seconds to insert `rows` rows in one transaction and the index memory before commit."""
    with tempfile.TemporaryDirectory(prefix="key-memory-") as tmp:
        con = duckdb.connect(str(Path(tmp) / "w.duckdb"))
        con.execute("set memory_limit = '8GB'")  # enough that no figure is a failure
        con.execute(f"create table t ({columns}{f', primary key ({key})' if keyed else ''})")
        con.execute("begin transaction")
        start = time.perf_counter()
        con.execute(f"insert into t {select}", {"rows": rows})
        seconds = time.perf_counter() - start
        ((index_bytes,),) = con.execute(
            "select coalesce(sum(memory_usage_bytes), 0) from duckdb_memory() "
            "where tag = 'ART_INDEX'"
        ).fetchall()
        con.execute("commit")
        con.close()
    return {"insert_s": round(seconds, 2), "index_mb": round(index_bytes / 1e6)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--out", type=Path, default=OUT / "key_memory.json")
    args = parser.parse_args()
    results = []
    for rows in args.rows:
        for name, (columns, key, select) in TABLES.items():
            with_key = measure(rows, True, columns, key, select)
            without = measure(rows, False, columns, key, select)
            results.append({"rows": rows, "table": name, "keyed": with_key, "unkeyed": without})
            say(
                f"{rows:>12,} rows  {name:<36} index {with_key['index_mb']:>5} MB in memory; "
                f"insert {with_key['insert_s']:.1f} s with the key, {without['insert_s']:.1f} s "
                "without"
            )
    write_json(args.out, {"commit": commit(), "results": results})


if __name__ == "__main__":
    main()
