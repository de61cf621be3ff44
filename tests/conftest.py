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
from copydesk.batch import CleanedBatch, Plan, batch_slices
from copydesk.batch_tables import BatchTables, batch_tables, read_and_clean
from copydesk.boilerplate import RulePack, load_rule_packs
from copydesk.clean import clean_batch
from copydesk.publish import publish_batch
from copydesk.quality import ValidationReport, validate_batch
from copydesk.records import InputFile, RawArticle
from copydesk.scan import scan_inputs
from copydesk.settings import Settings
from copydesk.site_boilerplate import Learning, load_learned
from copydesk.staging import clear_staging, stage_batch
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


def start_run(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """A run started as the flow starts one that keeps nothing staged: recorded, and staging
    emptied and made its own."""
    runlog.start_run(con, run_id, Path("input"))
    clear_staging(con, run_id)


def publish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    batches: Sequence[CleanedBatch | BatchTables],
    cfg: Settings | None = None,
    failures: Mapping[str, tuple[str, str]] | None = None,
    publish: bool = True,
    validate: bool = False,
    learning: Learning | None = None,
) -> dict:
    """One run as the flow makes it, without Prefect; the articles that fail a check are
    `failures`, or with `validate` those the real GX suite fails. Returns the audit batch's
    counts, which must balance."""
    cfg = cfg or run_settings()
    start_run(con, run_id)
    seq = 0
    for batch in batches:
        tables = batch if isinstance(batch, BatchTables) else batch_tables(batch)
        seq += stage_batch(con, run_id, tables, seq).articles
    audited = audit_batch(con, run_id, cfg)
    if validate:
        suite = cfg.expectations_dir / "articles.json"
        failures = validate_batch(con, run_id, suite, docs_dir=None).failed_articles()
    if failures:
        audited = quarantine_articles(con, run_id, failures, cfg)
    summary = summary_for(run_id, audited.counts)
    summary.check_balance()
    if publish:
        publish_batch(con, run_id, summary, learning)
    return audited.counts


def restage_band_keys(con: duckdb.DuckDBPyConnection, batch: CleanedBatch | BatchTables) -> None:
    """Stage the batch's band keys again, which the audit empties once it picked them: for a
    test that builds the audit a second time from scratch. Keys of articles no longer staged
    are never picked."""
    tables = batch if isinstance(batch, BatchTables) else batch_tables(batch)
    for table in ("article_band_keys", "paragraph_band_keys"):
        con.register("keys", tables.tables[table])
        con.execute(f"insert into staging.{table} from keys")
        con.unregister("keys")


def summary_for(run_id: str, counts: Mapping, **fields) -> RunSummary:
    """The summary of a run with these audit counts, as the flow makes it, `fields` replaced."""
    summary = RunSummary.from_counts(run_id, Plan((), 0), dict(counts), ValidationReport("a", ()))
    return replace(summary, **fields)


# --- a warehouse built from an input folder, through the flow's stage functions, without Prefect


def build_warehouse(
    path: Path,
    input_dir: Path,
    packs: Sequence[RulePack],
    run_id: str = "test-run-1",
    cfg: Settings | None = None,
) -> dict:
    """A warehouse at `path` holding one published run over `input_dir`, validated by the GX
    suite, made by the stage functions the flow calls (site boilerplate learned, and applied
    when the warehouse already holds learned lines); returns the run's audit counts."""
    cfg = cfg or run_settings(input_dir=input_dir, warehouse=path)
    learning = Learning(cfg.learn_min_articles, cfg.learn_min_share)
    with warehouse.hold(path) as con:
        plan = scan_inputs(con, input_dir, cfg.exclude, cfg.follow_symlinks).plan
        learned = load_learned(con)
        batches = [
            read_and_clean(plan.to_read[part], packs, cfg.max_file_bytes, learned)
            for part in batch_slices(plan.to_read.sizes(), cfg.batch_size)
        ]
        return publish_run(con, run_id, batches, cfg, validate=True, learning=learning)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The fast tests first, the e2e ones (real Prefect flows) last: a broken unit shows in
    seconds, not after minutes of flow runs. The sort is stable: order within each group stays."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)
