"""The dashboard over warehouses written with the real schema: read-only, capped, escaped."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from lxml import html

from copydesk import dashboard
from copydesk.dashboard import default_path, write_dashboard
from copydesk.settings import PROJECT_ROOT

SCHEMA = (PROJECT_ROOT / "sql" / "schema.sql").read_text(encoding="utf-8")
EVIL = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
T0 = datetime(2026, 11, 1, 2, 0)


def make_warehouse(path: Path, runs: int, sources: int = 3, drift: bool = False) -> list[str]:
    """A warehouse with `runs` published runs (the last one blocked), each publishing one
    article per source; returns the run ids, oldest first."""
    con = duckdb.connect(str(path))
    con.execute(SCHEMA)
    ids = [f"run-{i:05d}-{'x' * 8}" for i in range(runs)]
    for i, run_id in enumerate(ids):
        status = "blocked" if i == runs - 1 else "published"
        started = T0 + timedelta(days=i)
        con.execute(
            "insert into audit.runs (run_id, started_at, finished_at, status, input_dir, "
            "files_seen, articles_read, published, duplicates, quarantined, removed_spans, "
            "quarantine_by_reason, removals_by_reason, failed_expectations) "
            "values (?, ?, ?, ?, 'in', ?, ?, ?, 1, 1, ?, ?, ?, ?)",
            [
                run_id,
                started,
                started + timedelta(seconds=30 + i),
                status,
                sources + 1,
                sources + 2,
                sources,
                2 * sources,
                json.dumps({"too_short": 1}),
                json.dumps({"promo": sources, EVIL: sources}),
                [f"expect_column_values_to_be_unique(article_id) {EVIL}"]
                if status != "published"
                else [],
            ],
        )
        con.execute(
            "insert into audit.validations values (?, 'articles', ?, 'body', ?, ?, ?, ?, ?)",
            [
                run_id,
                "expect_column_values_to_not_match_regex_list",
                "critical" if status != "published" else "article",
                None if status != "published" else "boilerplate_left",
                False,
                1,
                f"1 of {sources + 1} rows unexpected, e.g. {i:020x}: '{EVIL}'",
            ],
        )
        if status != "published":
            continue
        for s in range(sources):
            article_id = f"{i:010x}{s:010x}"
            source = f"Source {s} {EVIL}" if s == 0 else f"Source {s}"
            body = "word " * (300 if drift and s == 1 and i == runs - 2 else 50)
            con.execute(
                "insert into published.articles (article_id, source_file, item, version, source, "
                "title, body, captions, word_count, truncated, body_hash, run_id) "
                "values (?, ?, 0, 1, ?, ?, ?, [], ?, false, 'h', ?)",
                [article_id, f"f{s}/{EVIL}.txt", source, EVIL, body, len(body.split()), run_id],
            )
            removed = "x" * (2000 if drift and s == 1 and i == runs - 2 else 20)
            con.execute(
                "insert into published.removals values (?, 1, ?, 'promo', ?, ?)",
                [article_id, removed + EVIL, f"pack/{EVIL}", run_id],
            )
            con.execute(
                "insert into published.article_clusters values (?, ?, 'canonical', 1, 0, ?)",
                [article_id, article_id, run_id],
            )
        con.execute(
            "insert into published.quarantine values (?, 0, null, 1, 'ingest', 'empty', ?, '', ?)",
            [f"bad/{EVIL}.txt", EVIL, run_id],
        )
    con.close()
    return ids


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(autouse=True)
def no_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Vega bundle (4 s to build) is checked by the browser test; here a stand-in that
    tries to close its script tag, which the page must neutralise."""
    monkeypatch.setattr(dashboard, "_vega_bundle", lambda folder: "var x = '</script><b>';")


def test_default_path_is_quality_beside_the_warehouse(tmp_path: Path) -> None:
    db = tmp_path / "corpus" / "w.duckdb"
    db.parent.mkdir()
    make_warehouse(db, runs=3)
    written = write_dashboard(db)
    assert written == default_path(db) == tmp_path / "corpus" / "quality" / "dashboard.html"
    assert not html.fromstring(written.read_bytes()).xpath("//a[@id='data-docs']")
    (written.parent / "index.html").write_text("<p>GX Data Docs</p>", encoding="utf-8")
    root = html.fromstring(write_dashboard(db).read_bytes())
    assert root.xpath("//a[@id='data-docs']/@href") == ["index.html"]  # Data Docs beside it


def test_warehouse_is_only_read(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    make_warehouse(db, runs=4)
    before = digest(db)
    reader = duckdb.connect(str(db), read_only=True)  # another reader may hold it meanwhile
    try:
        write_dashboard(db, tmp_path / "d.html")
    finally:
        reader.close()
    assert digest(db) == before
    assert not (tmp_path / "w.duckdb.wal").exists()


def test_duckdb_is_held_to_the_memory_limit_it_is_given(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    make_warehouse(db, runs=4)
    write_dashboard(db, tmp_path / "d.html", "1.5GB", tmp_path / "spill")
    with pytest.raises(duckdb.OutOfMemoryException):  # the limit reaches its queries
        write_dashboard(db, tmp_path / "d.html", "1KB")


def test_missing_warehouse_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_dashboard(tmp_path / "nothing.duckdb", tmp_path / "d.html")
    assert not (tmp_path / "nothing.duckdb").exists()


def test_every_input_value_is_escaped(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    make_warehouse(db, runs=5)
    page = write_dashboard(db, tmp_path / "d.html").read_text(encoding="utf-8")
    assert "<script>window.__xss" not in page and "<img src=x" not in page
    root = html.fromstring(page)
    # the page's own scripts only: the bundle, the drawing code, and one JSON spec per chart
    scripts = root.xpath("//script")
    assert [s.get("type") for s in scripts].count(None) == 2
    assert all(s.get("type") == "application/json" for s in scripts if s.get("type"))
    assert "<\\/script><b>" in page  # the bundle could not close its element
    text = root.text_content()
    assert text.count(EVIL) >= 5  # sources, files, rules, examples, blocking expectation
    assert not root.xpath("//*[@onerror]") and not root.xpath("//img")
    for spec in root.xpath("//script[@type='application/json']"):
        assert "<" not in spec.text and ">" not in spec.text
    removals = json.loads(root.get_element_by_id("spec-removals").text)
    assert EVIL in {row["what"] for row in removals["data"]["values"]}  # intact once parsed


def test_lists_are_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dashboard, "RUNS", 30)
    monkeypatch.setattr(dashboard, "TOP_SOURCES", 4)
    db = tmp_path / "w.duckdb"
    ids = make_warehouse(db, runs=40, sources=6)
    root = html.fromstring(write_dashboard(db, tmp_path / "d.html").read_bytes())
    runs = root.xpath("//table[@id='runs-table']/tbody/tr/@data-run")
    assert runs == ids[-30:][::-1]  # the last 30, newest first
    assert len(root.xpath("//table[@id='sources-table']/tbody/tr")) == 4
    # six sources of articles, and "(no source)" for the quarantined files
    assert "4 of 7 sources shown" in " ".join(root.text_content().split())
    outcomes = json.loads(root.get_element_by_id("spec-outcomes").text)
    assert {row["run"] for row in outcomes["data"]["values"]} == {
        f"{n:>2} · {ids[-31 + n][:8]}" for n in range(1, 31)
    }


def test_blocked_latest_run_is_named_with_its_expectation(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    make_warehouse(db, runs=3)
    root = html.fromstring(write_dashboard(db, tmp_path / "d.html").read_bytes())
    first_row = root.xpath("//table[@id='runs-table']/tbody/tr")[0].text_content()
    assert "blocked" in first_row and "expect_column_values_to_be_unique" in first_row
    assert "(3 held back)" in " ".join(first_row.split())
    text = " ".join(root.text_content().split())
    assert "The latest run published nothing" in text


def test_source_that_moved_from_its_history_comes_first_and_is_marked(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    make_warehouse(db, runs=7, sources=3, drift=True)
    root = html.fromstring(write_dashboard(db, tmp_path / "d.html").read_bytes())
    rows = root.xpath("//table[@id='sources-table']/tbody/tr")
    first = rows[0].text_content()
    assert first.strip().startswith("Source 1") and "⚠" in first
    assert re.search(r"mean words 300 \(usually 50\)", first)
    assert not any("⚠" in r.text_content() for r in rows[1:])


def test_empty_warehouse_says_so(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    con.execute(SCHEMA)
    con.close()
    page = write_dashboard(db, tmp_path / "d.html").read_text(encoding="utf-8")
    assert "No runs yet" in page
