"""The dashboard and the Data Docs of a warehouse with three real runs (sample, added files,
blocked), opened in headless Chromium: charts drawn with the right marks, no request leaving
the file, no console error, and the XSS payloads of the input shown as text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from copydesk.dashboard import default_path, write_dashboard
from tests.e2e.browser import open_page, require_chromium, screenshot
from tests.e2e.conftest import query
from tests.e2e.history import EVIL_FILE, IMG, SCRIPT, History, build_history

pytestmark = pytest.mark.e2e

XSS_CHECK = "window.__xss === undefined"


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    with pytest.MonkeyPatch.context() as mp:
        return build_history(tmp_path_factory.mktemp("history"), mp)


@pytest.fixture(scope="module")
def dashboard(history: History) -> Path:
    return write_dashboard(history.warehouse)


def expected_marks(db: Path) -> dict[str, int]:
    """Bars and points each chart must draw, counted here from the warehouse independently."""
    runs = query(
        db,
        "select status, published, duplicates, quarantined, removals_by_reason::varchar, "
        "quarantine_by_reason::varchar, finished_at is not null from audit.runs",
    )
    outcomes = sum(bool(p) + bool(d) + bool(q) for _, p, d, q, *_ in runs)
    removals = sum(sum(1 for v in json.loads(r).values() if v) for *_, r, _, _ in runs)
    quarantine = sum(sum(1 for v in json.loads(q).values() if v) for *_, q, _ in runs)
    [(publishing_runs,)] = query(
        db, "select count(distinct run_id) from published.article_clusters"
    )
    [(validations,)] = query(db, "select count(*) from audit.validations")
    return {
        "outcomes": outcomes,
        "removals": removals,
        "quarantine": quarantine,
        "duplicate-share": 3 * publishing_runs,  # exact, near, teaser per run that published
        "expectations": validations,
        "wall": sum(1 for *_, done in runs if done),
    }


def test_history_holds_three_runs_one_blocked(history: History) -> None:
    statuses = query(history.warehouse, "select run_id, status from audit.runs order by started_at")
    assert [r for r, _ in statuses] == list(history.run_ids)
    assert [s for _, s in statuses] == ["published", "published", "blocked"]
    assert "expect_column_values_to_not_match_regex on body" in history.blocked_message


def test_dashboard_lands_beside_the_warehouse_and_escapes_input(
    history: History, dashboard: Path
) -> None:
    assert dashboard == default_path(history.warehouse)
    assert dashboard == history.warehouse.parent / "quality" / "dashboard.html"
    text = dashboard.read_text(encoding="utf-8")
    for payload in (SCRIPT, IMG, EVIL_FILE):
        assert payload not in text  # never raw...
    assert "&lt;img src=x onerror=window.__xss=3&gt;.txt" in text  # ...but escaped as text
    assert 'id="data-docs" href="index.html"' in text  # the run's Data Docs sit beside it


@pytest.mark.browser
def test_dashboard_in_chromium(history: History, dashboard: Path) -> None:
    require_chromium()
    marks = expected_marks(history.warehouse)
    with open_page(dashboard) as (page, visit):
        page.wait_for_function("document.body.dataset.chartsPending === '0'", timeout=30_000)
        drawn = page.evaluate(
            """() => Object.fromEntries(Array.from(document.querySelectorAll('[data-chart]'))
                .map(el => [el.dataset.chart, {
                    svg: el.querySelectorAll('svg').length,
                    marks: el.querySelectorAll(
                        'svg .mark-' + el.dataset.mark + '.role-mark path').length,
                    rendered: el.dataset.rendered === 'true'}]))"""
        )
        rows = page.locator("#runs-table tbody tr")
        history_rows = [rows.nth(i).inner_text() for i in range(rows.count())]
        body = page.locator("body").inner_text()
        xss_untouched = page.evaluate(XSS_CHECK)
        shot = screenshot(page, "dashboard.png")

    assert visit.console_errors() == [] and visit.errors == []
    assert visit.outside(dashboard) == [] and visit.failed == []
    assert visit.dialogs == [] and xss_untouched
    assert set(drawn) == set(marks)
    for key, expected in marks.items():
        assert drawn[key]["rendered"] and drawn[key]["svg"] == 1, key
        assert drawn[key]["marks"] == expected > 0, (key, drawn[key], expected)
    # newest first: the blocked run, named with the expectation that blocked it
    assert len(history_rows) == 3
    assert "blocked" in history_rows[0] and "not_match_regex(body)" in history_rows[0]
    assert all("published" in row for row in history_rows[1:])
    # shown to the reader as the characters they are made of: a source, a file name, and the
    # clipped quote of the blocked article in its expectation's detail
    assert f"Evil Gazette {IMG}" in page_sources(body)
    assert EVIL_FILE in body
    assert SCRIPT[:20] in body
    assert shot.stat().st_size > 10_000


def page_sources(body: str) -> str:
    return body.split("Sources", 1)[1]


@pytest.mark.browser
def test_data_docs_validation_page_in_chromium(history: History) -> None:
    require_chromium()
    docs = history.warehouse.parent / "quality"
    first, second, blocked = history.run_ids
    pages = {p.relative_to(docs).parts[2]: p for p in docs.glob("validations/*/*/*/*.html")}
    assert set(pages) == {first, second, blocked}  # one page per run, named by its run id
    index = (docs / "index.html").read_text(encoding="utf-8")
    assert all(run in index for run in history.run_ids) and "__none__" not in index

    with open_page(pages[second]) as (page, visit):
        banner = page.locator("#copydesk-outcome").inner_text()
        body = page.locator("body").inner_text()
        xss_untouched = page.evaluate(XSS_CHECK)
        screenshot(page, "data-docs-validation.png")
    assert visit.console_errors() == [] and visit.errors == []
    assert visit.outside(docs) == [] and visit.failed == []
    assert visit.dialogs == [] and xss_untouched
    assert "published" in banner and "quarantined" in banner
    assert "Status: Succeeded" in " ".join(body.split())
    assert "<script>window.__xss = 1; alert(1)</script>" in body  # the failing body, as text

    with open_page(pages[blocked]) as (page, visit):
        banner = page.locator("#copydesk-outcome").inner_text()
        assert page.evaluate(XSS_CHECK)
    assert visit.console_errors() == [] and visit.dialogs == []
    assert "blocked" in banner and "expect_column_values_to_not_match_regex on body" in banner

    with open_page(docs / "index.html") as (page, visit):
        rows = page.locator("#validations tbody tr")
        outcomes = [rows.nth(i).inner_text() for i in range(rows.count())]
        screenshot(page, "data-docs-index.png")
    assert visit.console_errors() == [] and visit.outside(docs) == []
    assert [("blocked" in o, "publishable" in o) for o in outcomes] == [
        (True, False),
        (False, True),
        (False, True),
    ]
