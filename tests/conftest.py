"""Shared fixtures and helpers of the unit tests: the seed articles, their gold labels, the rule
packs, and one run through the same stage functions as the flow."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from copydesk import runlog, warehouse
from copydesk.audit import audit_batch, quarantine_articles
from copydesk.batch import CleanedBatch, Plan, batched
from copydesk.batch_tables import batch_tables, read_and_clean
from copydesk.boilerplate import RulePack, load_rule_packs
from copydesk.clean import clean_batch
from copydesk.publish import publish_batch
from copydesk.quality import ValidationReport
from copydesk.records import InputFile, RawArticle
from copydesk.scan import scan_inputs
from copydesk.settings import Settings
from copydesk.staging import stage_batch
from copydesk.summary import RunSummary
from copydesk.text_keys import key_hash, normalize_for_hash

# The repository sits beside a `shared/` folder that holds the seed articles.
SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"


@pytest.fixture
def seeds_dir() -> Path:
    """The folder of seed articles; the test is skipped when it is not beside the repository."""
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds not found: the seed articles live beside the repository")
    return SEEDS


@pytest.fixture
def gold(seeds_dir: Path) -> dict[str, dict]:
    """The gold annotation of the seed articles, keyed by file name."""
    return json.loads((seeds_dir / "gold.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def packs() -> tuple[RulePack, ...]:
    """The shipped rule packs."""
    return load_rule_packs()


# --- one run through the stage functions the flow calls, without Prefect and without GX


def raw_article(aid: str, source_file: str, *lines: str, version: int = 1, item: int = 0):
    """A plain-text article whose lines are its paragraphs."""
    return RawArticle(
        article_id=aid,
        source_file=source_file,
        item=item,
        version=version,
        format="text",
        content="\n".join(lines),
    )


def cleaned(raws: Sequence[RawArticle], packs) -> CleanedBatch:
    """The raw articles cleaned, with one InputFile per source file, as prepare_batch makes it."""
    result = clean_batch(raws, packs)
    files = {}
    for r in raws:
        data = r.content.encode()
        files[r.source_file] = InputFile(
            r.source_file, len(data), hashlib.sha256(data).hexdigest(), r.version
        )
    return CleanedBatch(list(files.values()), list(raws), result.kept, result.rejected)


def paragraph_hash(text: str) -> str:
    """The hash a paragraph of this text is staged and published with."""
    return key_hash(normalize_for_hash(text))


def run_settings(**overrides) -> Settings:
    """Settings for a run in a test: the defaults, whatever COPYDESK_* says, and `overrides`."""
    names = {
        name: field.get_default(call_default_factory=True)
        for name, field in Settings.model_fields.items()
    }
    return Settings.model_construct(**{**names, **overrides})


def publish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    batches: Sequence[CleanedBatch],
    cfg: Settings | None = None,
    failures: Mapping[str, tuple[str, str]] | None = None,
    publish: bool = True,
) -> dict:
    """One run as the flow makes it (no validation: `failures` stand for its verdicts);
    returns the audit batch's counts, which must balance."""
    cfg = cfg or run_settings()
    runlog.start_run(con, run_id, Path("input"))
    seq = 0
    for batch in batches:
        seq += stage_batch(con, run_id, batch_tables(batch), seq).articles
    audited = audit_batch(con, run_id, cfg)
    if failures:
        audited = quarantine_articles(con, run_id, failures, cfg)
    summary = summary_for(run_id, audited.counts)
    summary.check_balance()
    if publish:
        publish_batch(con, run_id, summary)
    return audited.counts


def summary_for(run_id: str, counts: Mapping, **fields) -> RunSummary:
    """The summary of a run with these audit counts, as the flow makes it, `fields` replaced."""
    summary = RunSummary.from_counts(run_id, Plan((), 0), dict(counts), ValidationReport("a", ()))
    return replace(summary, **fields)


# --- a warehouse built from an input folder, through the flow's stage functions, without Prefect


def stand_in_verdicts(con: duckdb.DuckDBPyConnection, cfg: Settings) -> dict[str, tuple[str, str]]:
    """The audit batch's articles under the suite's minimum word count, as GX would quarantine
    them (article id -> (reason, detail)): the one article-severity check cheap to redo in SQL,
    read from the suite file so its threshold and reason code are the suite's own."""
    suite = json.loads((cfg.expectations_dir / "articles.json").read_text(encoding="utf-8"))
    verdicts: dict[str, tuple[str, str]] = {}
    for exp in suite["expectations"]:
        meta, kwargs = exp.get("meta") or {}, exp["kwargs"]
        if (
            exp["type"] != "expect_column_values_to_be_between"
            or kwargs.get("column") != "word_count"
            or meta.get("severity") != "article"
        ):
            continue
        rows = con.execute(
            "select article_id, word_count from audit.articles where word_count < ?",
            [kwargs["min_value"]],
        ).fetchall()
        for article_id, words in rows:
            detail = f"word_count {words} < {kwargs['min_value']} (stand-in for the GX suite)"
            verdicts[article_id] = (meta["reason"], detail)
    return verdicts


def build_warehouse(
    path: Path,
    input_dir: Path,
    packs: Sequence[RulePack],
    run_id: str = "test-run-1",
    cfg: Settings | None = None,
) -> dict:
    """A warehouse at `path` holding one published run over `input_dir`, made by the stage
    functions the flow calls (scan, batched read and clean, stage, audit, publish, run log) but
    without Prefect and without GX: the suite's word-count check is redone in SQL
    (stand_in_verdicts), no other expectation runs and audit.validations stays empty. Returns
    the run's audit counts, which must balance."""
    cfg = cfg or run_settings(input_dir=input_dir, warehouse=path)
    with warehouse.hold(path) as con:
        runlog.start_run(con, run_id, input_dir)
        plan = scan_inputs(con, input_dir, cfg.exclude).plan
        seq = 0
        for files in batched(plan.to_read, cfg.batch_size):
            tables = read_and_clean(files, packs, cfg.max_file_bytes)
            seq += stage_batch(con, run_id, tables, seq).articles
        audited = audit_batch(con, run_id, cfg)
        verdicts = stand_in_verdicts(con, cfg)
        if verdicts:
            audited = quarantine_articles(con, run_id, verdicts, cfg)
        summary = RunSummary.from_counts(run_id, plan, audited.counts, ValidationReport("a", ()))
        summary.check_balance()
        publish_batch(con, run_id, summary)
    return audited.counts
