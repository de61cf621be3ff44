"""Site boilerplate learned from the warehouse, measured on a corpus with many pages per site.

    uv run --group bench python -m bench.site_boilerplate [--sites 20] [--pages 120] [--quick]

The corpus (generated into a temporary folder, never into the repository): `--sites` fictional
news sites, `--pages` page dumps each, as .jsonl feeds (url, source, title, text: the page's
lines, as a scraper's text dump gives them). Bodies are bench/dedup_scale.py's Generator
articles (real sentences of the dev pages, re-mixed). Around and inside each body the site
prints its own chrome, written for this benchmark and in no rule pack: lines above the body
(a masthead, a tagline), lines between body paragraphs (a funding note, a briefing promo, a
section desk line that only that section's pages carry), lines below it (copyright, press
code, company address, corrections note). Each site prints each of its lines on a share of its
pages (50-100%, drawn per site and line), so the recurrence is real but not total. The body
side is made hard on purpose:

- quotes: a paragraph that 2 or 3 articles of the same site carry (10 per site);
- background paragraphs: a paragraph that 4 to 8 articles of one site carry (3 per site),
  the way follow-up stories repeat their background;
- syndicated copies: 3% of pages are exact copies of an earlier page of the same site (the
  pipeline's duplicates), which must not count as recurrences.

Each site's pages are split in two halves: run 1 publishes the first halves (and learns), run 2
the second halves (where learned lines are removed). Both runs go through the stage functions
the flow calls (scan, read and clean, stage, audit, publish; no Prefect, no GX). Without
learning is the baseline. Scores are bench/quality.py's: per page, each gold body paragraph
found in the published body is a TP, missing an FN; each chrome line present is an FP.
Reported: P/R/F1 of run 2's bodies without and with learning at each threshold, the lines
learned by kind, and every body line removed."""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from bench.common import OUT, REPO, changed, commit, say, write_json
from bench.dedup_scale import Generator
from bench.quality import Counts, count_page
from copydesk import audit, publish, runlog, site_boilerplate, staging, warehouse
from copydesk.batch import batch_slices
from copydesk.batch_tables import read_and_clean
from copydesk.boilerplate import load_rule_packs
from copydesk.quality import ValidationReport
from copydesk.scan import scan_inputs
from copydesk.settings import Settings
from copydesk.site_boilerplate import Learning
from copydesk.summary import RunSummary

RESULTS = REPO / "bench" / "RESULTS-site-boilerplate.md"
THRESHOLDS = ((3, 0.02), (5, 0.05), (5, 0.10), (10, 0.05), (10, 0.10), (20, 0.20))
QUICK_THRESHOLDS = ((5, 0.05), (10, 0.10))

PLACES = (
    "Ashcombe Brackwater Corrin Dunmore Eldervale Fernhollow Glenrow Harlow Islingham Kestrel "
    "Larkfield Marrowby Northwick Oakhurst Pellingford Quarry Ravensmoor Saltash Thornbury "
    "Upwick Varden Wrenfold Yarrowby Zennor"
).split()
TITLES = (
    "Echo Chronicle Standard Courier Observer Mercury Herald Advertiser Gazette Sentinel".split()
)
SECTIONS = ("Local", "Business", "Sport", "Culture")
TOP = (
    "{name} | Independent news from {region}",
    "{name}, serving {region} since {year}",
    "Your {region} edition of {name}",
)
INSIDE = (
    "{name} is funded by readers in {region}, and our reporting stays open for everyone.",
    "This report is part of our {region} democracy coverage, made with support from the "
    "{fund} Trust.",
    "More on this story in the {name} morning briefing for {region}.",
)
SECTION_LINE = "From the {section} desk of {name} in {region}."
AFTER = (
    "Copyright {year} {owner} Media Limited",
    "{name} follows the editorial code of the {region} Press Standards Council.",
    "{owner} Media Limited, {number} {street} Street, {region}, company number {company}.",
    "Corrections to this article can be sent to the {name} standards editor.",
)


@dataclass(slots=True)
class Site:
    """One fictional site: its host, name and lines, each with the share of pages it is on."""

    host: str
    name: str
    top: list[tuple[str, float]]
    inside: list[tuple[str, float]]
    sections: dict[str, str]
    after: list[tuple[str, float]]


@dataclass(slots=True)
class Page:
    url: str
    site: str
    title: str
    lines: list[str]
    body: list[str]
    chrome: list[str]
    copy_of: str | None = None


@dataclass(slots=True)
class Corpus:
    sites: list[Site]
    halves: tuple[list[Page], list[Page]]
    quotes: set[str] = field(default_factory=set)  # paragraphs 2-3 articles of a site carry
    background: set[str] = field(default_factory=set)  # paragraphs 4-8 articles carry
    chrome: set[str] = field(default_factory=set)


def make_site(n: int, rng: random.Random) -> Site:
    region = PLACES[n % len(PLACES)]
    title = TITLES[(n * 7) % len(TITLES)]
    name = f"The {region} {title}"
    values = {
        "name": name,
        "region": region,
        "year": rng.randrange(1850, 2005),
        "fund": rng.choice(PLACES),
        "owner": rng.choice(PLACES),
        "number": rng.randrange(2, 300),
        "street": rng.choice(PLACES),
        "company": rng.randrange(1_000_000, 9_999_999),
    }

    def lines(templates: tuple[str, ...], k: int) -> list[tuple[str, float]]:
        return [(t.format(**values), rng.uniform(0.5, 1.0)) for t in rng.sample(templates, k)]

    return Site(
        host=f"{region.lower()}{title.lower()}.example",
        name=name,
        top=lines(TOP, 2),
        inside=lines(INSIDE, 2),
        sections={s: SECTION_LINE.format(section=s, **values) for s in SECTIONS},
        after=lines(AFTER, 3),
    )


def build_corpus(n_sites: int, pages: int, seed: int = 11) -> Corpus:
    """The pages of every site, split into the halves runs 1 and 2 read."""
    rng = random.Random(seed)
    gen = Generator(seed=seed, near_share=0.0, exact_share=0.0)
    bodies, _ = gen.articles(0, n_sites * pages + n_sites * 20)
    spare = iter(bodies[n_sites * pages :])  # paragraphs for quotes and background
    sites = [make_site(n, rng) for n in range(n_sites)]
    corpus = Corpus(sites, ([], []))
    for s, site in enumerate(sites):
        site_bodies = [list(b) for b in bodies[s * pages : (s + 1) * pages]]
        # Each shared paragraph from an article of its own, which no page carries otherwise.
        shared = [(next(spare)[1], rng.randint(2, 3)) for _ in range(10)]
        shared += [(next(spare)[1], rng.randint(4, 8)) for _ in range(3)]
        for text, carriers in shared:
            (corpus.quotes if carriers <= 3 else corpus.background).add(text)
            for i in rng.sample(range(pages), carriers):
                site_bodies[i].insert(rng.randrange(1, len(site_bodies[i]) + 1), text)
        site_pages: list[Page] = []
        for i, body in enumerate(site_bodies):
            if site_pages and rng.random() < 0.03:
                original = rng.choice(site_pages)
                copy = Page(
                    f"https://{site.host}/wire/{i}",
                    site.name,
                    original.title,
                    original.lines,
                    original.body,
                    original.chrome,
                    copy_of=original.url,
                )
                site_pages.append(copy)
                continue
            site_pages.append(make_page(site, i, body, rng))
        for page in site_pages:
            corpus.chrome.update(page.chrome)
        half = len(site_pages) // 2
        corpus.halves[0].extend(site_pages[:half])
        corpus.halves[1].extend(site_pages[half:])
    return corpus


def make_page(site: Site, i: int, body: list[str], rng: random.Random) -> Page:
    """A page dump: the site's lines above, between and below the body, each on its share
    of pages; a headline and a dateline a scraper would give too."""
    section = SECTIONS[i % len(SECTIONS)]
    title = " ".join(body[0].split()[:9]).rstrip(",.;:")
    top = [line for line, share in site.top if rng.random() < share]
    inside = [line for line, share in site.inside if rng.random() < share]
    inside.append(site.sections[section])
    after = [line for line, share in site.after if rng.random() < share]
    lines = [*top, title, *body]
    for line in inside:
        lines.insert(rng.randrange(len(top) + 2, len(lines) + 1), line)
    lines += after
    url = f"https://www.{site.host}/{section.lower()}/{i}"
    return Page(url, site.name, title, lines, body, [*top, *inside, *after])


def write_half(pages: list[Page], folder: Path, tag: str) -> None:
    """One .jsonl feed per site and half."""
    by_site: dict[str, list[str]] = {}
    for p in pages:
        record = {"url": p.url, "source": p.site, "title": p.title, "text": "\n".join(p.lines)}
        by_site.setdefault(p.site, []).append(json.dumps(record, ensure_ascii=False))
    folder.mkdir(parents=True, exist_ok=True)
    for site, records in by_site.items():
        name = site.lower().replace(" ", "-")
        (folder / f"{name}-{tag}.jsonl").write_text("\n".join(records) + "\n", encoding="utf-8")


def run_folder(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    folder: Path,
    cfg: Settings,
    packs,
    learning: Learning | None,
) -> float:
    """One run over `folder` through the flow's stage functions; returns its seconds."""
    start = time.perf_counter()
    runlog.start_run(con, run_id, folder)
    plan = scan_inputs(con, folder, cfg.exclude, cfg.follow_symlinks).plan
    learned = site_boilerplate.load_learned(con) if learning else None
    seq = 0
    for part in batch_slices(plan.to_read.sizes(), cfg.batch_size):
        tables = read_and_clean(plan.to_read[part], packs, cfg.max_file_bytes, learned)
        seq += staging.stage_batch(con, run_id, tables, seq).articles
    audited = audit.audit_batch(con, run_id, cfg)
    summary = RunSummary.from_counts(run_id, plan, audited.counts, ValidationReport("-", ()), {})
    summary.check_balance()
    publish.publish_batch(con, run_id, summary, learning)
    return time.perf_counter() - start


def score(con: duckdb.DuckDBPyConnection, pages: list[Page]) -> Counts:
    """Counts of the published bodies of `pages`, summed over pages."""
    bodies = dict(con.execute("select url, body from published.articles").fetchall())
    total = Counts()
    for p in pages:
        total.add(count_page(bodies.get(p.url), p.body, p.chrome))
    return total


def measure(corpus: Corpus, folders: tuple[Path, Path], learning: Learning | None) -> dict:
    """Runs 1 and 2 on a new warehouse; scores, lines learned and lines removed."""
    packs = load_rule_packs()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Settings.model_construct(
            **{
                **{
                    k: f.get_default(call_default_factory=True)
                    for k, f in Settings.model_fields.items()
                },
                "warehouse": Path(tmp) / "w.duckdb",
            }
        )
        with warehouse.connect(Path(tmp) / "w.duckdb") as con:
            seconds = [
                run_folder(con, f"run{n + 1}", folder, cfg, packs, learning)
                for n, folder in enumerate(folders)
            ]
            run2 = score(con, corpus.halves[1])
            run1 = score(con, corpus.halves[0])
            rules = con.execute(
                "select sample_text, articles, site_articles from published.learned_rules"
            ).fetchall()
            removed = con.execute(
                "select removed_text, count(*) from published.removals "
                "where reason = 'site_boilerplate' group by 1"
            ).fetchall()
            counts = con.execute(
                "select count(*), count(duplicate_of) from published.articles"
            ).fetchone()
            line_rows = con.execute("select count(*) from published.site_lines").fetchone()
    kinds = Counter(kind_of(text, corpus) for text, _, _ in rules)
    removed_kinds: Counter[str] = Counter()
    for text, n in removed:
        removed_kinds[kind_of(text, corpus)] += n
    return {
        "learning": None if learning is None else [learning.min_articles, learning.min_share],
        "run1": run1.as_dict(),
        "run2": run2.as_dict(),
        "seconds": [round(s, 1) for s in seconds],
        "rules": len(rules),
        "rules_by_kind": dict(kinds),
        "removed_by_kind": dict(removed_kinds),
        "body_lines_learned": sorted(t for t, _, _ in rules if kind_of(t, corpus) != "chrome"),
        "articles": counts[0] if counts else 0,
        "duplicates": counts[1] if counts else 0,
        "site_lines_rows": line_rows[0] if line_rows else 0,
    }


def kind_of(text: str, corpus: Corpus) -> str:
    if text in corpus.chrome:
        return "chrome"
    if text in corpus.quotes:
        return "quote (2-3 articles)"
    if text in corpus.background:
        return "background (4-8 articles)"
    return "other body"


def render(results: dict) -> str:
    head = results["corpus"]
    lines = [
        "# Site boilerplate learned from the warehouse",
        "",
        f"`{results['command']}` at commit {results['commit']}"
        + (
            f" (with uncommitted changes: {', '.join(results['changed'])})"
            if results["changed"]
            else ""
        )
        + f", {results['date']}.",
        "",
        f"Corpus: {head['sites']} fictional sites x {head['pages']} page dumps (.jsonl, url and "
        f"source set), {head['copies']} of them exact same-site copies; run 1 reads each site's "
        f"first half ({head['run1_pages']} pages) and learns, run 2 the second half "
        f"({head['run2_pages']} pages). Chrome lines: {head['chrome_lines']} distinct; quoted "
        f"paragraphs (2-3 articles of a site): {head['quotes']}; background paragraphs (4-8 "
        f"articles): {head['background']}. How it is built: the module docstring of "
        "`bench/site_boilerplate.py`.",
        "",
        "Bodies of run 2 (per page: a gold body paragraph in the published body is a TP, "
        "missing an FN; a chrome line in it an FP; summed over pages):",
        "",
        "| learning (min articles, min share) | P | R | F1 | FP (chrome kept) | FN (body lost) "
        "| rules learned | chrome / quote / background rules | lines removed in run 2 "
        "(chrome / body) | run 1 F1 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results["runs"]:
        run2, kinds, removed = r["run2"], r["rules_by_kind"], r["removed_by_kind"]
        body_removed = sum(n for k, n in removed.items() if k != "chrome")
        label = (
            "off (baseline)"
            if r["learning"] is None
            else f"{r['learning'][0]}, {r['learning'][1]:.2f}"
        )
        lines.append(
            f"| {label} | {run2['precision']:.4f} | {run2['recall']:.4f} | {run2['f1']:.4f} "
            f"| {run2['fp']} | {run2['fn']} | {r['rules']} "
            f"| {kinds.get('chrome', 0)} / {kinds.get('quote (2-3 articles)', 0)} / "
            f"{kinds.get('background (4-8 articles)', 0)} "
            f"| {removed.get('chrome', 0)} / {body_removed} | {r['run1']['f1']:.4f} |"
        )
    return "\n".join(lines) + "\n"


def learn_scale(count_rows: int, run_articles: int, repeats: int = 3) -> list[dict]:
    """Seconds of the learning step (inside publish) and of loading the learned lines, with
    `count_rows` rows already in published.site_lines and published.site_counted (30 sites;
    count_rows / 15 published articles), for a run of `run_articles`
    articles of 15 lines each: the cost a run pays at scale. The run's tables are made up
    directly (only the columns learning reads), each repeat rolled back."""
    out = []
    with tempfile.TemporaryDirectory() as tmp, warehouse.connect(Path(tmp) / "w.duckdb") as con:
        con.execute(
            "insert into published.site_lines select 'site' || (i % 30) || '.example', "
            "lpad(to_hex(hash(i)), 16, '0'), 1 + i % 3, 'old' from range($n) t(i)",
            {"n": count_rows},
        )
        con.execute(
            "insert into published.site_articles "
            "select 'site' || i || '.example', $n // 450 from range(30) t(i)",
            {"n": count_rows},
        )
        # Counted per article too: 15 lines each, every counted article still a published
        # original (the columns learning does not read filled with placeholders).
        con.execute(
            "insert into published.site_counted select 'p' || (i // 15), "
            "'site' || (i % 30) || '.example', lpad(to_hex(hash(i)), 16, '0') from range($n) t(i)",
            {"n": count_rows},
        )
        con.execute(
            "insert into published.articles select 'p' || i, 'p' || i || '.txt', 0, 1, null, "
            "null, null, null, null, null, 'body', [], 1, false, null, 'h', 'old' "
            "from range($n // 15) t(i)",
            {"n": count_rows},
        )
        con.execute("checkpoint")
        con.execute(
            "create or replace table audit.articles as select 'r' || i as article_id, "
            "'https://site' || (i % 30) || '.example/' || i as url, null::varchar as source, "
            "null::varchar as duplicate_of from range($k) t(i)",
            {"k": run_articles},
        )
        # Per article: one line its site prints everywhere, one line already counted, 13 new.
        con.execute(
            "create or replace table staging.paragraphs as select 'r' || i as article_id, "
            "j as position, 'text ' || i || ' ' || j as paragraph_text, case "
            "when j = 0 then 'chrome' || (i % 30) "
            "when j = 1 then lpad(to_hex(hash(i * 7)), 16, '0') "
            "else lpad(to_hex(hash(1e12 + i * 15 + j)), 16, '0') end as paragraph_hash "
            "from range($k) t(i), range(15) s(j)",
            {"k": run_articles},
        )
        for _ in range(repeats):
            con.execute("begin transaction")
            start = time.perf_counter()
            site_boilerplate.update_counts(con, "run-x", Learning(5, 0.10))
            learned_at = time.perf_counter()
            site_boilerplate.load_learned(con)
            loaded_at = time.perf_counter()
            con.execute("rollback")
            out.append(
                {
                    "count_rows": count_rows,
                    "run_articles": run_articles,
                    "learn_seconds": round(learned_at - start, 2),
                    "load_seconds": round(loaded_at - learned_at, 3),
                }
            )
            say(json.dumps(out[-1]))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--pages", type=int, default=120)
    parser.add_argument("--quick", action="store_true", help="two thresholds only")
    parser.add_argument(
        "--learn-scale",
        type=int,
        metavar="ROWS",
        help="only time the learning step with ROWS rows of counts and a run of 2,000 articles",
    )
    args = parser.parse_args(argv)
    if args.learn_scale:
        write_json(OUT / "site_boilerplate_scale.json", learn_scale(args.learn_scale, 2000))
        return
    say(f"building {args.sites} sites x {args.pages} pages")
    corpus = build_corpus(args.sites, args.pages)
    thresholds = QUICK_THRESHOLDS if args.quick else THRESHOLDS
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        folders = (Path(tmp) / "run1", Path(tmp) / "run2")
        write_half(corpus.halves[0], folders[0], "a")
        write_half(corpus.halves[1], folders[1], "b")
        for learning in (None, *(Learning(n, s) for n, s in thresholds)):
            say(f"runs 1 and 2 with learning {learning}")
            runs.append(measure(corpus, folders, learning))
            say(json.dumps({k: runs[-1][k] for k in ("run2", "rules", "removed_by_kind")}))
    pages = corpus.halves[0] + corpus.halves[1]
    results = {
        "command": " ".join(
            ["uv run --group bench python -m bench.site_boilerplate"]
            + (sys.argv[1:] if argv is None else argv)
        ),
        "commit": commit(),
        "changed": changed("copydesk", "sql", "bench/site_boilerplate.py"),
        "date": time.strftime("%Y-%m-%d"),
        "corpus": {
            "sites": args.sites,
            "pages": args.pages,
            "copies": sum(p.copy_of is not None for p in pages),
            "run1_pages": len(corpus.halves[0]),
            "run2_pages": len(corpus.halves[1]),
            "chrome_lines": len(corpus.chrome),
            "quotes": len(corpus.quotes),
            "background": len(corpus.background),
        },
        "runs": runs,
    }
    write_json(OUT / "site_boilerplate.json", results)
    print(render(results))


if __name__ == "__main__":
    main()
