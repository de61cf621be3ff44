"""Real GX validations of the articles suite on small inline frames."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from copydesk import warehouse
from copydesk.quality import ValidationReport, load_suite, validate_batch, validate_frame
from tests.conftest import build_warehouse

SUITE = Path(__file__).resolve().parents[1] / "expectations" / "articles.json"

FILLER = (
    "The city council met on Tuesday evening to debate the new budget for public transport, "
    "and after three hours of discussion the members agreed to fund two more bus lines "
    "serving the northern districts from next spring onwards."
)  # 38 words


def article(article_id: str, body: str = FILLER, **overrides: object) -> dict[str, object]:
    """One staged-article row with every column of the frame the suite runs on."""
    row: dict[str, object] = {
        "article_id": article_id,
        "source_file": f"feeds/{article_id}.jsonl",
        "item": 1,
        "version": 1,
        "source": "example.org",
        "url": f"https://example.org/{article_id}",
        "title": f"Title {article_id}",
        "authors": None,
        "published_at": "2026-11-20T08:00:00Z",
        "language": "en",
        "body": body,
        "captions": np.array(["A caption"], dtype=object),
        "word_count": len(body.split()),
        "truncated": False,
        "duplicate_of": None,
        "run_id": "run-1",
        "body_hash": f"hash-{article_id}",
    }
    row.update(overrides)
    return row


def frame(*rows: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


# article id -> (body, the one reason it must be quarantined for)
BAD_ARTICLES = {
    "short": ("Council approves bus budget. More soon.", "too_short"),
    "paywalled": (FILLER + "\n\nAlready a subscriber? Log In", "boilerplate_left"),
    "newsletter": ("SIGN UP \n for our\u00a0Newsletter today!\n\n" + FILLER, "boilerplate_left"),
    "mojibake_quote": (FILLER.replace("and after", "and itâ€™s after"), "mojibake"),
    "mojibake_accent": (FILLER + "\n\nLe cafÃ© de la gare a fermÃ© ses portes.", "mojibake"),
    "mojibake_nbsp": (FILLER + " The fare isÂ now Â£2.", "mojibake"),
}

# Real accented text that the mojibake patterns must leave alone.
REAL_TEXT = {
    "german": "Die Größe der Straße ärgerte Jörg, aber ÜBERALL war es so; Fußgänger mögen das.",
    "french": "À côté de l'église, Noël « ÂME » : ça coûte 5 €, l'élève est très âgé.",
    "portuguese": "SÃO PAULO — A IRMÃ E A MÃE foram à CÂMARA; não há pão, diz João.",
}


@pytest.fixture(scope="module")
def clean_frame() -> pd.DataFrame:
    # captions arrive as numpy arrays from DuckDB, as lists from Python code
    rows = [article("ok0"), article("ok1", captions=["x", "y"]), article("ok2", captions=[])]
    rows += [article(f"real_{lang}", FILLER + "\n\n" + text) for lang, text in REAL_TEXT.items()]
    return frame(*rows)


@pytest.fixture(scope="module")
def clean_report(clean_frame: pd.DataFrame) -> ValidationReport:
    # The first validation pays the GX import (~10-15 s); module scope pays it once.
    return validate_frame(clean_frame, SUITE)


@pytest.fixture(scope="module")
def mixed_report(clean_frame: pd.DataFrame, clean_report: ValidationReport) -> ValidationReport:
    bad = [article(aid, body) for aid, (body, _) in BAD_ARTICLES.items()]
    return validate_frame(pd.concat([clean_frame, frame(*bad)], ignore_index=True), SUITE)


def test_suite_loads_every_expectation() -> None:
    suite = load_suite(SUITE)
    raw = json.loads(SUITE.read_text(encoding="utf-8"))
    assert suite.name == "articles"
    assert len(suite.expectations) == len(raw["expectations"]) >= 10


def test_clean_frame_passes_everything(clean_report: ValidationReport) -> None:
    assert clean_report.suite == "articles"
    assert len(clean_report.outcomes) == 10
    failed = [(o.expectation, o.column, o.detail) for o in clean_report.outcomes if not o.success]
    assert failed == []
    assert clean_report.passed_critical
    assert clean_report.outcomes_by_article() == {}


def test_bad_articles_fail_only_their_own_reason(mixed_report: ValidationReport) -> None:
    failures = mixed_report.outcomes_by_article()
    reasons = {aid: sorted(o.reason for o in outcomes) for aid, outcomes in failures.items()}
    assert reasons == {aid: [reason] for aid, (_, reason) in BAD_ARTICLES.items()}
    # Article-severity failures never block publishing the rest.
    assert mixed_report.passed_critical


@pytest.mark.parametrize("reason", ["too_short", "boilerplate_left", "mojibake"])
def test_article_outcome_names_its_articles(mixed_report: ValidationReport, reason: str) -> None:
    (outcome,) = [o for o in mixed_report.outcomes if o.reason == reason]
    expected = {aid for aid, (_, r) in BAD_ARTICLES.items() if r == reason}
    assert outcome.severity == "article"
    assert not outcome.success
    assert set(outcome.failing_article_ids) == expected
    assert outcome.unexpected_count == len(expected)
    assert any(aid in outcome.detail for aid in expected)


def test_boilerplate_detail_quotes_the_matched_phrase(mixed_report: ValidationReport) -> None:
    (outcome,) = [o for o in mixed_report.outcomes if o.reason == "boilerplate_left"]
    assert "Already a subscriber" in outcome.detail
    assert len(outcome.detail) < 400


def test_duplicate_article_id_is_critical(capsys: pytest.CaptureFixture[str]) -> None:
    report = validate_frame(frame(article("a1"), article("dup"), article("dup")), SUITE)
    assert "Calculating Metrics" not in capsys.readouterr().err  # progress bars stay off
    assert not report.passed_critical
    (failure,) = report.critical_failures
    assert failure.expectation == "expect_column_values_to_be_unique"
    assert failure.column == "article_id"
    assert failure.unexpected_count == 2
    assert failure.failing_article_ids == ("dup",)
    assert "'dup'" in failure.detail


def test_empty_body_is_critical() -> None:
    report = validate_frame(frame(article("a1"), article("empty", "")), SUITE)
    critical = [(o.expectation, o.column, o.failing_article_ids) for o in report.critical_failures]
    assert critical == [("expect_column_values_to_be_between", "word_count", ("empty",))]


def test_empty_frame_passes() -> None:
    empty = frame(article("a1")).iloc[0:0]
    report = validate_frame(empty, SUITE)
    assert len(report.outcomes) == 10
    assert all(o.success for o in report.outcomes)
    assert report.outcomes_by_article() == {}


def test_missing_column_is_a_critical_failure() -> None:
    report = validate_frame(frame(article("a1")).drop(columns=["truncated"]), SUITE)
    (failure,) = report.critical_failures
    assert failure.column == "truncated"
    assert failure.detail.startswith("raised:")


def test_rows_shape_one_dict_per_outcome(mixed_report: ValidationReport) -> None:
    rows = mixed_report.rows("run-42")
    assert len(rows) == len(mixed_report.outcomes)
    assert set(rows[0]) == {
        "run_id",
        "suite",
        "expectation",
        "column_name",
        "severity",
        "reason",
        "success",
        "unexpected_count",
        "detail",
    }
    short = next(r for r in rows if r["reason"] == "too_short")
    assert short["run_id"] == "run-42"
    assert short["success"] is False
    assert short["unexpected_count"] == 1


def test_data_docs_built_in_docs_dir_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    docs = tmp_path / "docs"
    validate_frame(frame(article("a1"), article("short", "Too short.")), SUITE, docs_dir=docs)
    assert (docs / "index.html").is_file()
    assert list(docs.glob("validations/**/*.html"))
    assert list(cwd.iterdir()) == []


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ({"severity": "fatal"}, "severity"),
        ({"severity": "article"}, "meta.reason"),
        ({"severity": "article", "reason": "not_a_reason"}, "unknown reason"),
    ],
)
def test_load_suite_rejects_bad_meta(tmp_path: Path, meta: dict, message: str) -> None:
    path = tmp_path / "suite.json"
    expectation = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}}
    path.write_text(json.dumps({"name": "s", "expectations": [{**expectation, "meta": meta}]}))
    with pytest.raises(ValueError, match=message):
        load_suite(path)


def test_load_suite_rejects_an_expectation_gx_would_drop(tmp_path: Path) -> None:
    path = tmp_path / "suite.json"
    typo = {"type": "expect_column_values_to_be_uniqe", "kwargs": {"column": "a"}}
    path.write_text(json.dumps({"name": "s", "expectations": [typo]}))
    with pytest.raises(ValueError, match="expect_column_values_to_be_uniqe"):
        load_suite(path)


# --- validate_batch: the audit batch of a warehouse, chunk by chunk, with real GX

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "raw"
BIG = 1_000_000  # rows per chunk: the whole batch in one chunk


@pytest.fixture(scope="module")
def sample_warehouse(tmp_path_factory: pytest.TempPathFactory, packs) -> Path:
    """A warehouse holding the shipped sample as one published run, its audit batch kept."""
    path = tmp_path_factory.mktemp("chunks") / "w.duckdb"
    build_warehouse(path, SAMPLE, packs, run_id="sample-run")
    return path


@pytest.fixture
def planted(sample_warehouse: Path, tmp_path: Path) -> Path:
    """A copy of the sample warehouse whose audit batch fails every kind of check: a short
    body, leftover boilerplate, mojibake, a missing body and a duplicated article id."""
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_warehouse, path)
    with warehouse.connect(path) as con:
        ids = [r[0] for r in con.sql("select article_id from audit.articles order by 1").fetchall()]
        assert len(ids) >= 12  # the chunks below must split it many ways
        update = "update audit.articles set {} where article_id = ?"
        edits = [
            (update.format("body = 'Too short.', word_count = 2"), 1),
            (update.format("body = body || ' Already a subscriber? Log in'"), 4),
            (update.format("body = 'itâ€™s ' || body"), 7),
            (update.format("body = null"), 9),
            ("insert into audit.articles select * from audit.articles where article_id = ?", 5),
        ]
        for sql, i in edits:
            con.execute(sql, [ids[i]])
        con.execute("delete from audit.validations")  # the outcomes of the clean batch
    return path


def _validate(path: Path, chunk_rows: int, docs: Path | None = None) -> ValidationReport:
    with warehouse.connect(path) as con:
        return validate_batch(con, "sample-run", SUITE, docs, chunk_rows=chunk_rows)


def _stored_results(docs: Path) -> list[dict]:
    """The expectation results of the one validation kept in `docs`, as Data Docs render them."""
    (stored,) = docs.glob("validation-results/**/*.json")
    results = json.loads(stored.read_text(encoding="utf-8"))["results"]
    for result in results:
        result["expectation_config"].pop("id", None)  # GX gives each suite part its own ids
    return results


@pytest.mark.parametrize("chunk_rows", [1, 3, 5])
def test_chunks_give_the_report_of_one_chunk(
    planted: Path, tmp_path: Path, chunk_rows: int
) -> None:
    whole = _validate(planted, BIG, tmp_path / "whole")
    chunked = _validate(planted, chunk_rows, tmp_path / "chunked")
    assert chunked.outcomes == whole.outcomes
    assert _stored_results(tmp_path / "chunked") == _stored_results(tmp_path / "whole")
    assert len(list((tmp_path / "chunked").glob("validations/**/*.html"))) == 1
    failed = {o.reason or o.column for o in chunked.outcomes if not o.success}
    assert failed == {"too_short", "boilerplate_left", "mojibake", "article_id", "body"}


def test_mostly_is_judged_over_the_whole_batch(planted: Path, tmp_path: Path) -> None:
    # One article of the batch is short: alone in its chunk it fails "mostly 0.9", yet the
    # batch passes it; the article is still named, to be quarantined.
    suite = tmp_path / "suite.json"
    mostly = {
        "type": "expect_column_values_to_be_between",
        "kwargs": {"column": "word_count", "min_value": 30, "mostly": 0.9},
        "meta": {"severity": "article", "reason": "too_short"},
    }
    suite.write_text(json.dumps({"name": "articles", "expectations": [mostly]}))
    with warehouse.connect(planted) as con:
        whole = validate_frame(con.sql("select * from audit.articles order by rowid").df(), suite)
        reports = [validate_batch(con, "r", suite, None, chunk_rows=n) for n in (1, 4, BIG)]
    (outcome,) = whole.outcomes
    assert outcome.success and outcome.failing_article_ids
    assert all(report.outcomes == whole.outcomes for report in reports)


def test_chunks_report_what_gx_finds_over_the_whole_frame(planted: Path) -> None:
    with warehouse.connect(planted) as con:
        frame_ = con.sql("select * from audit.articles order by rowid").df()
        chunked = validate_batch(con, "sample-run", SUITE, None, chunk_rows=2)
    assert chunked.outcomes == validate_frame(frame_, SUITE).outcomes


def test_outcomes_stored_once_per_expectation(planted: Path) -> None:
    report = _validate(planted, 2)
    with warehouse.connect(planted, read_only=True) as con:
        stored = con.sql("select * from audit.validations").fetchall()
    assert len(report.outcomes) == 10
    assert stored == [tuple(row.values()) for row in report.rows("sample-run")]


def test_uniqueness_is_checked_over_the_whole_batch(sample_warehouse: Path, tmp_path: Path) -> None:
    # The first and the last article share a URL; with one article per chunk no chunk holds
    # both, so only the whole-batch check in SQL can see it.
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_warehouse, path)
    suite = tmp_path / "suite.json"
    unique_url = {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "url"}}
    suite.write_text(json.dumps({"name": "articles", "expectations": [unique_url]}))
    with warehouse.connect(path) as con:
        first, last = con.sql(
            "select first(article_id order by rowid), last(article_id order by rowid) "
            "from audit.articles"
        ).fetchone()
        con.execute(
            "update audit.articles set url = 'https://example.org/same' where article_id in (?, ?)",
            [first, last],
        )
        report = validate_batch(con, "sample-run", suite, None, chunk_rows=1)
    (outcome,) = report.critical_failures
    assert (outcome.expectation, outcome.column) == ("expect_column_values_to_be_unique", "url")
    assert outcome.unexpected_count == 2
    assert outcome.failing_article_ids == (first, last)
    assert "'https://example.org/same'" in outcome.detail


def test_a_duplicate_id_blocks_the_run_at_any_chunk_size(planted: Path) -> None:
    # The copy of the planted duplicate was appended: it sits chunks away from the original.
    for chunk_rows in (1, 2, BIG):
        failures = _validate(planted, chunk_rows).critical_failures
        unique = [o for o in failures if o.expectation == "expect_column_values_to_be_unique"]
        assert [o.unexpected_count for o in unique] == [2]


def test_a_suite_comparing_rows_gx_cannot_chunk_is_refused(planted: Path, tmp_path: Path) -> None:
    suite = tmp_path / "suite.json"
    increasing = {
        "type": "expect_column_values_to_be_increasing",
        "kwargs": {"column": "word_count"},
    }
    suite.write_text(json.dumps({"name": "articles", "expectations": [increasing]}))
    with warehouse.connect(planted) as con, pytest.raises(ValueError, match="in chunks"):
        validate_batch(con, "sample-run", suite, None)


@pytest.mark.filterwarnings(
    "ignore:.*row_condition:DeprecationWarning", "ignore:.*condition_parser:DeprecationWarning"
)
def test_a_uniqueness_check_with_a_condition_is_refused(planted: Path, tmp_path: Path) -> None:
    suite = tmp_path / "suite.json"
    unique = {
        "type": "expect_column_values_to_be_unique",
        "kwargs": {
            "column": "url",
            "row_condition": 'language=="en"',
            "condition_parser": "pandas",
        },
    }
    suite.write_text(json.dumps({"name": "articles", "expectations": [unique]}))
    with warehouse.connect(planted) as con, pytest.raises(ValueError, match="row_condition"):
        validate_batch(con, "sample-run", suite, None)


def test_an_empty_batch_is_not_validated(sample_warehouse: Path, tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_warehouse, path)
    with warehouse.connect(path) as con:
        con.execute("delete from audit.articles")
        assert validate_batch(con, "sample-run", SUITE, None, chunk_rows=1).outcomes == ()
