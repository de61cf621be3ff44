"""GX Data Docs built by the real suite: named per run, kept as history, escaped, offline."""

from __future__ import annotations

from pathlib import Path

from lxml import html

from copydesk.quality import validate_frame
from copydesk.settings import Settings
from tests.test_quality import FILLER, SUITE, article, frame

PAYLOADS = ("<script>window.__xss=1</script>", "<img src=x onerror=window.__xss=2>")


def pages(docs: Path) -> list[Path]:
    return sorted(docs.glob("validations/**/*.html"))


def test_failing_article_text_is_shown_as_text_never_as_markup(tmp_path: Path) -> None:
    docs = tmp_path / "quality"
    body = "Leave a reply " + " ".join(PAYLOADS) + " " + FILLER
    validate_frame(
        frame(article("a1", body, run_id="run-7"), article("a2", run_id="run-7")), SUITE, docs
    )
    [page] = pages(docs)
    root = html.parse(str(page)).getroot()
    text = root.text_content()
    for payload in PAYLOADS:
        assert payload in text  # the reader sees the characters...
    assert not root.xpath("//script")  # ...and the page holds no script element at all
    assert not [el for el in root.iter() if isinstance(el.tag, str) and "onerror" in el.attrib]
    assert not root.xpath("//img[@src='x']")


def test_each_run_keeps_its_own_page_named_by_run_id(tmp_path: Path) -> None:
    docs = tmp_path / "quality"
    validate_frame(frame(article("a1", run_id="run-1")), SUITE, docs)
    second = frame(article("a1", run_id="run-2"), article("short", "Too short.", run_id="run-2"))
    validate_frame(second, SUITE, docs)
    found = pages(docs)
    assert [p.relative_to(docs).parts[2] for p in found] == ["run-1", "run-2"]
    index = (docs / "index.html").read_text(encoding="utf-8")
    assert "__none__" not in index and "run-1" in index and "run-2" in index


def test_published_run_with_quarantined_articles_is_not_a_failed_run(tmp_path: Path) -> None:
    docs = tmp_path / "quality"
    validate_frame(frame(article("a1"), article("short", "Too short.")), SUITE, docs, "run-9")
    [page] = pages(docs)
    root = html.parse(str(page)).getroot()
    banner = root.get_element_by_id("copydesk-outcome")
    assert "published" in banner.text_content()
    assert "1 failing article(s) were quarantined" in banner.text_content()
    assert banner.get("class") == "copydesk-banner"
    assert "Status: Succeeded" in " ".join(root.text_content().split())


def test_blocked_run_says_so_and_names_the_expectation(tmp_path: Path) -> None:
    docs = tmp_path / "quality"
    validate_frame(frame(article("a1"), article("a1")), SUITE, docs, "run-dup")
    [page] = pages(docs)
    root = html.parse(str(page)).getroot()
    banner = root.get_element_by_id("copydesk-outcome")
    assert "blocked" in banner.text_content()
    assert "expect_column_values_to_be_unique on article_id" in banner.text_content()
    assert banner.get("class") == "copydesk-banner blocked"
    assert "Status: Failed" in " ".join(root.text_content().split())


def test_pages_ask_for_nothing_remote(tmp_path: Path) -> None:
    docs = tmp_path / "quality"
    validate_frame(frame(article("a1", run_id="run-1")), SUITE, docs)
    for page in [docs / "index.html", *pages(docs), *docs.glob("expectations/*.html")]:
        root = html.parse(str(page)).getroot()
        assert not root.xpath("//script")
        remote = [
            value
            for attr in ("src", "href")
            for value in root.xpath(f"//*[not(self::a)]/@{attr}")
            if value.startswith(("http:", "https:", "//"))
        ]
        assert remote == [], page
        styles = " ".join(root.xpath("//style/text()") + root.xpath("//@style"))
        assert "http" not in styles, page
        csp = root.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
        assert csp and "script-src 'none'" in csp[0]


def test_quality_dir_defaults_beside_the_warehouse(monkeypatch) -> None:
    monkeypatch.delenv("COPYDESK_QUALITY_DIR", raising=False)
    assert Settings(warehouse=Path("/srv/news/w.duckdb")).quality_dir == Path("/srv/news/quality")
    monkeypatch.setenv("COPYDESK_QUALITY_DIR", "/elsewhere")
    assert Settings(warehouse=Path("/srv/news/w.duckdb")).quality_dir == Path("/elsewhere")


def test_only_the_newest_runs_are_kept(tmp_path: Path, monkeypatch) -> None:
    from copydesk import datadocs

    monkeypatch.setattr(datadocs, "HISTORY", 2)
    docs = tmp_path / "quality"
    for run in ("run-1", "run-2", "run-3"):
        validate_frame(frame(article("a1", run_id=run)), SUITE, docs)
    assert [p.relative_to(docs).parts[2] for p in pages(docs)] == ["run-2", "run-3"]
    results = sorted(p.relative_to(docs).parts[2] for p in docs.glob("validation-results/*/*"))
    assert results == ["run-2", "run-3"]
    index = (docs / "index.html").read_text(encoding="utf-8")
    assert "run-1" not in index and "run-3" in index
