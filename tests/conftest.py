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

from copydesk import runlog
from copydesk.audit import audit_batch, quarantine_articles
from copydesk.batch import CleanedBatch, Plan
from copydesk.batch_tables import batch_tables
from copydesk.boilerplate import RulePack, load_rule_packs
from copydesk.clean import clean_batch
from copydesk.publish import publish_batch
from copydesk.quality import ValidationReport
from copydesk.records import InputFile, RawArticle
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
