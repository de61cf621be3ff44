"""Seconds and peak memory of the validate stage on a large audit batch, two versions side by side.

    uv run --group bench python -m bench.validate_scale \\
        --source /path/to/10k.duckdb --articles 100000 1000000 --base main --rounds 2

The audit batch of `--source` (a warehouse a `copydesk run` left its last batch in) is
repeated, each copy with its own article ids, into a warehouse of N articles per size (built
once under --out and reused). Each measurement is a new process that opens that warehouse as
a run does (`warehouse.hold` with the default memory limit), imports Great Expectations, then
times `quality.validate_batch` (with Data Docs) inside a transaction it rolls back. The code
measured is this checkout ("branch") and `--base`, a git ref exported to a temporary folder and
run with the same interpreter; the two alternate, round after round, so load on the machine
falls on both. Peak memory is the process's own peak RSS (the kernel's, wait4; also polled
every 0.2 s), which includes the imports (also reported: the peak once GX is imported and the
warehouse open, before validating).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

if __package__:  # as `python -m bench.validate_scale`; the child runs this file as a script
    from bench.common import OUT, REPO, commit, run_watched, say, write_json


def build(source: Path, path: Path, articles: int) -> None:
    """A copy of `source` whose audit batch is its own repeated to `articles` rows."""
    shutil.copy(source, path)
    con = duckdb.connect(str(path))
    (have,) = con.sql("select count(*) from audit.articles").fetchone() or (0,)
    copies = -(-articles // have)
    con.execute(
        """
        create or replace table audit.articles as
        select * replace (article_id || '-' || copy as article_id)
        from audit.articles, range($copies) as copies(copy)
        limit $articles
        """,
        {"copies": copies, "articles": articles},
    )
    con.execute("checkpoint")
    con.close()


def child(root: Path, warehouse_path: Path, docs: Path, chunk_rows: int | None) -> None:
    """Validate the audit batch with the copydesk found at `root`; write seconds and memory
    to docs/../<docs name>.json."""
    sys.path.insert(0, str(root))
    from copydesk import quality, warehouse

    quality._import_gx()
    with warehouse.hold(warehouse_path, memory_limit="2GB") as con:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        suite = root / "expectations" / "articles.json"
        chunked = "chunk_rows" in inspect.signature(quality.validate_batch).parameters
        extra = {"chunk_rows": chunk_rows} if chunked and chunk_rows else {}
        con.execute("begin")
        start = time.perf_counter()
        report = quality.validate_batch(con, "bench", suite, docs, **extra)
        seconds = time.perf_counter() - start
        con.execute("rollback")
    outcome = {
        "seconds": round(seconds, 2),
        "rss_before_mb": round(before),
        "failed": sorted(f"{o.expectation}({o.column})" for o in report.outcomes if not o.success),
        "chunked": chunked,
    }
    docs.with_suffix(".json").write_text(json.dumps(outcome), encoding="utf-8")


def export(ref: str) -> Path:
    """The copydesk, sql and expectations of git `ref`, in a temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="validate-base-"))
    archive = subprocess.run(
        ["git", "archive", ref, "copydesk", "sql", "expectations"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--articles", type=int, nargs="+", default=[100_000])
    parser.add_argument("--base", default="main", help="git ref to compare with")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--chunk-rows", type=int, default=None)
    parser.add_argument("--limit-mb", type=float, default=12_000, help="kill a child above it")
    parser.add_argument("--skip-base-above", type=int, default=None, help="articles")
    parser.add_argument("--out", type=Path, default=OUT / "validate")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    roots = {"branch": REPO, "base": export(args.base)}
    rows = []
    for n in args.articles:
        path = args.out / f"w-{n}.duckdb"
        if not path.exists():
            say(f"building {path} ({n} articles)")
            # In a process of its own: a child forked from a parent that grew while building
            # would start with the parent's peak RSS as its own.
            script = [sys.executable, str(Path(__file__).resolve()), "build"]
            subprocess.run([*script, str(args.source), str(path), str(n)], check=True)
        for round_ in range(args.rounds):
            for name, root in roots.items():
                if name == "base" and args.skip_base_above and n > args.skip_base_above:
                    continue
                docs = Path(tempfile.mkdtemp(prefix="validate-docs-"))
                cmd = [sys.executable, str(Path(__file__).resolve()), "child", str(root)]
                cmd += [str(path), str(docs), str(args.chunk_rows or 0)]
                say(f"{n} articles, round {round_ + 1}: {name}")
                env = {**os.environ, "GX_ANALYTICS_ENABLED": "false"}
                watched = run_watched(cmd, limit_mb=args.limit_mb, env=env)
                shutil.rmtree(docs, ignore_errors=True)
                result = docs.with_suffix(".json")
                lines = json.loads(result.read_text(encoding="utf-8")) if result.exists() else {}
                result.unlink(missing_ok=True)
                row = {"articles": n, "round": round_ + 1, "code": name, **lines}
                row |= {"peak_rss_mb": watched.max_rss_mb, "wall_s": watched.wall_s}
                row |= {"polled_peak_rss_mb": watched.tree.get("peak_rss_mb")}
                row |= {"killed": watched.killed, "exit": watched.exit}
                say(json.dumps(row))
                rows.append(row)
    write_json(args.out / f"results-{commit()}.json", {"base": args.base, "rows": rows})
    print("| articles | code | round | validate s | peak RSS MB | RSS before validate MB |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['articles']:,} | {r['code']} | {r['round']} | {r.get('seconds', r['killed'])} "
            f"| {r['peak_rss_mb']:,.0f} | {r.get('rss_before_mb', '')} |"
        )
    shutil.rmtree(roots["base"], ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        root, path, docs, chunk = sys.argv[2:6]
        child(Path(root), Path(path), Path(docs), int(chunk) or None)
    elif sys.argv[1:2] == ["build"]:
        build(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
    else:
        main()
