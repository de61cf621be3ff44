"""Run a Great Expectations suite over a batch of staged articles and summarise what failed.

Each expectation in a suite JSON carries `meta.severity`: "critical" (the default) stops
publishing, "article" only quarantines the failing rows with `meta.reason`. GX is imported
inside the functions because `import great_expectations` alone takes ~10 s.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from copydesk.records import check_reason

if TYPE_CHECKING:
    import great_expectations as gx
    import pandas
    from great_expectations.core import ExpectationValidationResult

log = logging.getLogger(__name__)

SEVERITIES = frozenset({"critical", "article"})
ID_COLUMN = "article_id"
_EXAMPLES = 3  # example values quoted in an outcome's detail
_SNIPPET = 60  # characters of a value quoted in a detail


@dataclass(frozen=True, slots=True)
class ExpectationOutcome:
    """What one expectation found in one batch."""

    expectation: str  # e.g. "expect_column_values_to_be_unique"
    column: str | None
    severity: str  # "critical" or "article", from the expectation's meta
    reason: str | None  # quarantine reason for severity "article"
    success: bool
    unexpected_count: int
    failing_article_ids: tuple[str, ...]
    detail: str


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """The outcomes of one suite over one batch."""

    suite: str
    outcomes: tuple[ExpectationOutcome, ...]
    seconds: float = 0.0

    @property
    def critical_failures(self) -> tuple[ExpectationOutcome, ...]:
        """Failed outcomes of critical expectations; any one of them blocks publishing."""
        return tuple(o for o in self.outcomes if o.severity == "critical" and not o.success)

    @property
    def passed_critical(self) -> bool:
        """True when no critical expectation failed."""
        return not self.critical_failures

    def outcomes_by_article(self) -> dict[str, list[ExpectationOutcome]]:
        """Article id -> the article-severity outcomes its row failed."""
        failures: dict[str, list[ExpectationOutcome]] = {}
        for outcome in self.outcomes:
            # Rows, not `success`: with `mostly` below 1 an expectation can pass while some
            # rows still fail it, and those rows are still to be quarantined.
            if outcome.severity != "article":
                continue
            for article_id in outcome.failing_article_ids:
                failures.setdefault(article_id, []).append(outcome)
        return failures

    def failed_articles(self) -> dict[str, tuple[str, str]]:
        """Article id -> (quarantine reason, detail) for every article a check failed: the
        reason of the first expectation it failed, the detail naming all of them."""
        failed = {}
        for article_id, outcomes in self.outcomes_by_article().items():
            detail = "; ".join(f"{o.expectation} on {o.column}" for o in outcomes)
            failed[article_id] = (str(outcomes[0].reason), f"failed {detail}")
        return failed

    def rows(self, run_id: str) -> list[dict[str, Any]]:
        """One dict per outcome, shaped for a DuckDB table of validation results."""
        return [
            {
                "run_id": run_id,
                "suite": self.suite,
                "expectation": o.expectation,
                "column_name": o.column,
                "severity": o.severity,
                "reason": o.reason,
                "success": o.success,
                "unexpected_count": o.unexpected_count,
                "detail": o.detail,
            }
            for o in self.outcomes
        ]


def load_suite(path: Path) -> gx.ExpectationSuite:
    """The expectation suite stored as GX JSON in `path`, with every severity and reason checked."""
    gx = _import_gx()
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    configs = raw.get("expectations", [])
    for config in configs:
        _severity_and_reason(config.get("type", "?"), config.get("meta"))
    suite = gx.ExpectationSuite(**raw)
    # GX logs and drops an expectation it cannot build (unknown type, bad kwargs) instead of
    # raising; a silently shorter suite would let bad data through.
    if len(suite.expectations) != len(configs):
        built = {e.expectation_type for e in suite.expectations}
        dropped = sorted({c.get("type", "?") for c in configs} - built) or ["(invalid kwargs)"]
        raise ValueError(
            f"{path}: GX built {len(suite.expectations)} of {len(configs)} expectations; "
            f"check {', '.join(dropped)}"
        )
    return suite


def validate_frame(
    df: pandas.DataFrame,
    suite_path: Path,
    docs_dir: Path | None = None,
    run_id: str | None = None,
) -> ValidationReport:
    """The report of the suite at `suite_path` run over `df`; Data Docs go to `docs_dir` if set.

    The Data Docs page of the validation is named after `run_id`, by default the frame's own
    `run_id` column (every staged article carries the copydesk run that staged it)."""
    gx = _import_gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    suite = load_suite(suite_path)
    # Ephemeral: stores live in memory, so nothing lands in the working directory.
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    suite = ctx.suites.add(suite)
    batch = (
        ctx.data_sources.add_pandas("copydesk")
        .add_dataframe_asset(suite.name)
        .add_batch_definition_whole_dataframe("whole_frame")
    )
    definition = ctx.validation_definitions.add(
        gx.ValidationDefinition(name=suite.name, data=batch, suite=suite)
    )
    result = definition.run(
        batch_parameters={"dataframe": df},
        result_format={
            "result_format": "COMPLETE",
            "unexpected_index_column_names": [ID_COLUMN],
        },
    )
    report = ValidationReport(
        suite=suite.name, outcomes=tuple(_outcome(r, len(df)) for r in result.results)
    )
    if docs_dir is not None:
        _build_docs(suite, result, report, Path(docs_dir), run_id or _frame_run_id(df))
    log.info(
        "suite %s on %d rows: %d critical failures, %d articles failed",
        suite.name,
        len(df),
        len(report.critical_failures),
        len(report.outcomes_by_article()),
    )
    return report


def validate_batch(
    con: duckdb.DuckDBPyConnection, run_id: str, suite_path: Path, docs_dir: Path | None
) -> ValidationReport:
    """The suite's report on the audit batch of articles, its outcomes stored in
    audit.validations; an empty batch is not validated (sparing GX's slow import)."""
    start = time.perf_counter()
    articles = con.sql("select * from audit.articles order by article_id").df()
    if articles.empty:
        return ValidationReport(suite=Path(suite_path).stem, outcomes=())
    report = validate_frame(articles, suite_path, docs_dir=docs_dir)
    rows = report.rows(run_id)
    if rows:
        con.register("outcome_rows", pa.Table.from_pylist(rows))
        con.execute("insert into audit.validations by name select * from outcome_rows")
        con.unregister("outcome_rows")
    return replace(report, seconds=time.perf_counter() - start)


def import_gx_in_background() -> threading.Thread:
    """Start importing Great Expectations (about 10 s) on a thread of its own, so that a run
    with articles to validate imports it while it cleans them; validate_frame then finds it
    imported, or waits for the import to finish."""
    thread = threading.Thread(target=_import_gx, name="import-great-expectations", daemon=True)
    thread.start()
    return thread


def _import_gx() -> Any:
    # The network is closed here; the variable keeps any GX build that phones home quiet.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    return gx


def _severity_and_reason(expectation: str, meta: dict[str, Any] | None) -> tuple[str, str | None]:
    meta = meta or {}
    severity = meta.get("severity", "critical")
    if severity not in SEVERITIES:
        raise ValueError(f"{expectation}: severity {severity!r} is not one of {sorted(SEVERITIES)}")
    reason = meta.get("reason")
    if severity == "article":
        if reason is None:
            raise ValueError(f"{expectation}: severity 'article' needs meta.reason")
        check_reason(reason)
    return severity, reason


def _outcome(res: ExpectationValidationResult, n_rows: int) -> ExpectationOutcome:
    config = res.expectation_config
    assert config is not None  # GX fills it for every result of a suite's expectation
    kwargs = config.kwargs
    column = kwargs.get("column")
    severity, reason = _severity_and_reason(config.type, config.meta)
    error = _exception_message(res.exception_info)
    if error is not None:
        # An expectation that could not run (missing column, wrong type) says nothing about
        # the articles; count it as critical so the batch is not published unchecked.
        log.error("%s on %s raised: %s", config.type, column, error)
        return ExpectationOutcome(
            expectation=config.type,
            column=column,
            severity="critical",
            reason=reason,
            success=False,
            unexpected_count=0,
            failing_article_ids=(),
            detail=f"raised: {_clip(error)}",
        )
    result = res.result or {}
    failing = [row for row in result.get("unexpected_index_list") or [] if isinstance(row, dict)]
    ids = tuple(dict.fromkeys(str(r[ID_COLUMN]) for r in failing if _present(r.get(ID_COLUMN))))
    return ExpectationOutcome(
        expectation=config.type,
        column=column,
        severity=severity,
        reason=reason,
        success=bool(res.success),
        unexpected_count=int(result.get("unexpected_count") or 0),
        failing_article_ids=ids,
        detail=_detail(result, column, kwargs, failing, n_rows),
    )


def _exception_message(info: dict[str, Any] | None) -> str | None:
    """The first exception message in a result's exception_info, None if nothing raised."""
    # GX 1.24 uses two shapes: a flat {"raised_exception": ...} when the expectation itself
    # raised, and {metric id: {"raised_exception": ...}} when one of its metrics did.
    if not info:
        return None
    entries = [info] if "raised_exception" in info else list(info.values())
    for entry in entries:
        if isinstance(entry, dict) and entry.get("raised_exception"):
            return str(entry.get("exception_message") or "unknown error")
    return None


def _detail(
    result: dict[str, Any],
    column: str | None,
    kwargs: dict[str, Any],
    failing: list[dict[str, Any]],
    n_rows: int,
) -> str:
    if "observed_value" in result:
        return f"observed {_show(result['observed_value'])}"
    count = int(result.get("unexpected_count") or 0)
    text = f"{count} of {result.get('element_count', n_rows)} rows unexpected"
    if not count:
        return text
    patterns = kwargs.get("regex_list") or ([kwargs["regex"]] if kwargs.get("regex") else [])
    examples: list[str] = []
    for row in failing:
        value = row.get(column) if column and column != ID_COLUMN else None
        if column == ID_COLUMN or value is None:
            example = _show(row.get(ID_COLUMN))
        else:
            example = f"{row.get(ID_COLUMN)}: {_snippet(value, patterns)}"
        if example not in examples:
            examples.append(example)
        if len(examples) == _EXAMPLES:
            break
    if not examples:  # no index rows (e.g. a failing aggregate); fall back on GX's sample
        examples = [_show(v) for v in (result.get("partial_unexpected_list") or [])]
        examples = list(dict.fromkeys(examples))[:_EXAMPLES]
    return f"{text}, e.g. {'; '.join(examples)}" if examples else text


def _snippet(value: Any, patterns: list[str]) -> str:
    """The value clipped around the first pattern it matches, so the detail shows why."""
    text = str(value)
    for pattern in patterns:
        match = re.search(pattern, text)
        if match:
            start = max(0, match.start() - 20)
            end = min(len(text), match.end() + 20)
            left = "…" if start else ""
            right = "…" if end < len(text) else ""
            return repr(f"{left}{text[start:end]}{right}")
    return _show(value)


def _show(value: Any) -> str:
    # repr quotes strings and shows hidden characters; str keeps numpy scalars as plain "6"
    return _clip(repr(value) if isinstance(value, str) else str(value))


def _clip(text: str) -> str:
    return text if len(text) <= _SNIPPET else text[: _SNIPPET - 1] + "…"


def _present(value: Any) -> bool:
    # A null article_id comes back as None or NaN; NaN is the only value unequal to itself.
    return value is not None and value == value


def _build_docs(
    suite: Any, result: Any, report: ValidationReport, docs_dir: Path, run_id: str
) -> None:
    """Data Docs of this validation, kept per run and safe offline (copydesk.datadocs)."""
    from copydesk import datadocs

    datadocs.build(_import_gx(), suite, result, report, docs_dir, run_id)


def _frame_run_id(df: pandas.DataFrame) -> str:
    """The one run id the frame's rows carry, or "unknown-run" when they carry none or many."""
    if "run_id" not in df.columns:
        return "unknown-run"
    ids = {str(v) for v in df["run_id"].dropna().unique()}
    return ids.pop() if len(ids) == 1 else "unknown-run"
