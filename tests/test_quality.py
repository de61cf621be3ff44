"""Real GX validations of the articles suite on small inline frames."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from copydesk.quality import ValidationReport, load_suite, validate_frame

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
