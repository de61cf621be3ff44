"""Time the dashboard on a synthetic warehouse of many runs and articles.

    uv run python -m bench.dashboard_scale --runs 10000 --articles 1000000 --out bench/out/dash

The warehouse is written with the real schema by SQL (generate_series), not by the flow:
RUNS runs (one in fifty blocked), ARTICLES published articles spread over the runs and over
200 sources, two removals per article, one cluster row per article (3% exact copies),
eleven validations per run and one quarantined file per run. Then write_dashboard runs twice
in this process: the first build includes bundling Vega (unless the bundle is already cached
beside the page), the second is what a run pays once the bundle is cached.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import duckdb

from copydesk.dashboard import write_dashboard
from copydesk.settings import PROJECT_ROOT

SCHEMA = PROJECT_ROOT / "sql" / "schema.sql"


def build(path: Path, runs: int, articles: int) -> None:
    con = duckdb.connect(str(path))
    con.execute(SCHEMA.read_text(encoding="utf-8"))
    con.execute(
        """
        insert into audit.runs (run_id, started_at, finished_at, status, input_dir, files_seen,
            files_unchanged, files_ingested, articles_read, published, duplicates, quarantined,
            removed_spans, quarantine_by_reason, removals_by_reason, failed_expectations)
        select
            printf('run-%08d', i), timestamp '2026-01-01' + i * interval 1 hour,
            timestamp '2026-01-01' + i * interval 1 hour + (20 + i % 17) * interval 1 second,
            case when i % 50 = 49 then 'blocked' else 'published' end, 'in',
            $per + 1, 0, $per + 1, $per + 1, $per, $per // 30, 1, 2 * $per,
            '{"too_short": 1}',
            json_object('promo', $per, 'paywall', $per // 2, 'navigation', $per // 2),
            case when i % 50 = 49 then ['expect_column_values_to_be_unique(article_id)']
                 else [] end
        from generate_series(0, $runs - 1) as t(i)
        """,
        {"runs": runs, "per": max(1, articles // runs)},
    )
    con.execute(
        """
        insert into published.articles (article_id, source_file, item, version, source, url,
            title, body, captions, word_count, truncated, duplicate_of, body_hash, run_id)
        select
            printf('%020x', a), printf('in/%d.txt', a), 0, 1, printf('Source %d', a % 200),
            null, printf('Title %d', a), repeat('word ', 40 + a % 300), [], 40 + a % 300,
            false, case when a % 33 = 0 and a > 0 then printf('%020x', a - 1) end, 'h',
            printf('run-%08d', (a * $runs // $articles))
        from generate_series(0, $articles - 1) as t(a)
        """,
        {"runs": runs, "articles": articles},
    )
    con.execute(
        """
        insert into published.removals
        select article_id, p, 'Subscribe to our newsletter', 'promo',
            case when p = 0 then 'generic-en/promo.newsletter' else 'generic-en/promo.related' end,
            run_id
        from published.articles, generate_series(0, 1) as t(p)
        """
    )
    con.execute(
        """
        insert into published.article_clusters
        select article_id, coalesce(duplicate_of, article_id),
            case when duplicate_of is null then 'canonical' else 'exact' end, 1, 0, run_id
        from published.articles
        """
    )
    con.execute(
        """
        insert into audit.validations
        select run_id, 'articles', printf('expect_check_%d', e), 'body',
            case when e < 7 then 'critical' else 'article' end, null,
            not (status = 'blocked' and e = 1), case when e = 8 then 1 else 0 end,
            printf('%d of %d rows unexpected', case when e = 8 then 1 else 0 end, published + 1)
        from audit.runs, generate_series(0, 10) as t(e)
        """
    )
    con.execute(
        """
        insert into published.quarantine
        select printf('bad/%s.txt', run_id), 0, null, 1, 'validate', 'too_short', 'short', 'x',
            run_id
        from audit.runs where status = 'published'
        """
    )
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=Path("bench/out/dashboard"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    db = args.out / f"w-{args.runs}-{args.articles}.duckdb"
    if not db.exists():
        start = time.perf_counter()
        build(db, args.runs, args.articles)
        seconds = time.perf_counter() - start
        print(f"warehouse {db}: {db.stat().st_size / 1e6:.1f} MB in {seconds:.1f} s")
    for attempt in ("first build", "second build"):
        start = time.perf_counter()
        page = write_dashboard(db, args.out / "dashboard.html")
        seconds = time.perf_counter() - start
        print(f"{attempt}: {seconds:.2f} s, {page.stat().st_size / 1e3:.0f} kB -> {page}")


if __name__ == "__main__":
    main()
