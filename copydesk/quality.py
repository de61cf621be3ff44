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
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from copydesk.records import check_reason
from copydesk.settings import Settings
from copydesk.warehouse import read_sql

if TYPE_CHECKING:
    import great_expectations as gx
    import pandas
    from great_expectations.core import (
        ExpectationSuiteValidationResult,
        ExpectationValidationResult,
    )
    from great_expectations.expectations.expectation import Expectation

log = logging.getLogger(__name__)

SEVERITIES = frozenset({"critical", "article"})
ID_COLUMN = "article_id"
_EXAMPLES = 3  # example values quoted in an outcome's detail
_SNIPPET = 60  # characters of a value quoted in a detail
CHUNK_ROWS = Settings.model_fields["validate_chunk_rows"].default  # articles GX sees at once
# Every failing row and value (their ids go to quarantine), the first 20 in the partial lists.
RESULT_FORMAT = {"result_format": "COMPLETE", "unexpected_index_column_names": [ID_COLUMN]}
_PARTIAL = 20  # GX's partial_unexpected_count in COMPLETE results
# Expectations that compare rows with each other, so a chunk cannot judge them alone: IN_SQL
# are checked in SQL over the whole batch; ACROSS_ROWS, though GX runs them as row maps, are
# refused (a suite would otherwise pass a duplicate that two chunks hold one copy each of).
IN_SQL = frozenset({"expect_column_values_to_be_unique"})
_IN_SQL_KWARGS = frozenset({"column", "mostly"})
ACROSS_ROWS = frozenset(
    {
        "expect_compound_columns_to_be_unique",
        "expect_multicolumn_values_to_be_unique",
        "expect_column_values_to_be_increasing",
        "expect_column_values_to_be_decreasing",
    }
)
_INDEX_QUERY = re.compile(r"df\.filter\(items=\[(.*)\], axis=0\)", re.DOTALL)


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
    """The report of the suite at `suite_path` run by GX over `df` as one batch (every
    expectation in GX, uniqueness too); Data Docs go to `docs_dir` if set.

    The Data Docs page of the validation is named after `run_id`, by default the frame's own
    `run_id` column (every staged article carries the copydesk run that staged it)."""
    suite = load_suite(suite_path)
    result = _definition(suite).run(batch_parameters={"dataframe": df}, result_format=RESULT_FORMAT)
    return _report(suite, result, len(df), docs_dir, run_id or _frame_run_id(df))


def validate_batch(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    suite_path: Path,
    docs_dir: Path | None,
    chunk_rows: int = CHUNK_ROWS,
) -> ValidationReport:
    """The suite's report on the audit batch of articles, its outcomes stored in
    audit.validations; an empty batch is not validated (sparing GX's slow import).

    GX validates the batch `chunk_rows` articles at a time (in storage order, only the
    columns the suite names), and the chunks' results are merged into one result per
    expectation, as if GX had seen the batch whole; the expectations no chunk can judge
    alone (IN_SQL) are checked in SQL over the whole batch. Memory grows with a chunk and
    with the failing rows, not with the batch."""
    start = time.perf_counter()
    chunks = con.execute(read_sql("quality/article_chunks"), {"chunk_rows": chunk_rows}).fetchall()
    if not chunks:
        return ValidationReport(suite=Path(suite_path).stem, outcomes=())
    suite = load_suite(suite_path)
    in_chunks, in_sql = split_suite(suite)
    present = dict(con.execute(read_sql("quality/article_columns")).fetchall())  # name -> type
    columns = _columns([suite.expectations[i] for i in in_chunks], present)
    texts = [c for c in columns if present[c] == "VARCHAR"]
    results: dict[int, ExpectationValidationResult] = {}
    meta: dict[str, Any] = {}
    if in_chunks:
        definition = _definition(_part_of(suite, in_chunks))
        parts: list[list[ExpectationValidationResult]] = [[] for _ in in_chunks]
        for first_row, last_row, offset, _ in chunks:
            frame = _chunk(con, columns, texts, (first_row, last_row), offset)
            result = definition.run(
                batch_parameters={"dataframe": frame}, result_format=RESULT_FORMAT
            )
            meta = meta or dict(result.meta or {})
            for part, item in zip(parts, result.results, strict=True):
                part.append(item)
            log.debug("validated %d articles from row %d", len(frame), first_row)
        results |= {i: _merged(part) for i, part in zip(in_chunks, parts, strict=True)}
    for i in in_sql:
        results[i] = _unique_in_sql(con, suite.expectations[i], present)
    n_rows = sum(rows for *_, rows in chunks)
    merged = _suite_result(suite, [results[i] for i in range(len(suite.expectations))], meta)
    report = _report(suite, merged, n_rows, docs_dir, run_id)
    rows = report.rows(run_id)
    if rows:
        con.register("outcome_rows", pa.Table.from_pylist(rows))
        con.execute("insert into audit.validations by name select * from outcome_rows")
        con.unregister("outcome_rows")
    log.info("validated %d articles in %d chunks", n_rows, len(chunks))
    return replace(report, seconds=time.perf_counter() - start)


def split_suite(suite: gx.ExpectationSuite) -> tuple[list[int], list[int]]:
    """The positions in `suite` of the expectations GX runs chunk by chunk, and of those
    checked in SQL over the whole batch; raises ValueError for an expectation that needs the
    whole batch and that copydesk cannot check in SQL (it would judge each chunk alone)."""
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )

    row_by_row = (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation)
    in_chunks, in_sql = [], []
    for i, expectation in enumerate(suite.expectations):
        kind = expectation.expectation_type
        if kind in IN_SQL:
            extra = set(expectation.configuration.kwargs) - _IN_SQL_KWARGS
            if extra:
                raise ValueError(
                    f"suite {suite.name}: {kind} is checked in SQL over the whole batch, which "
                    f"knows only {', '.join(sorted(_IN_SQL_KWARGS))}, not "
                    f"{', '.join(sorted(extra))}"
                )
            in_sql.append(i)
        elif kind in ACROSS_ROWS or not isinstance(expectation, row_by_row):
            raise ValueError(
                f"suite {suite.name}: {kind} compares rows with each other, and copydesk "
                f"validates the batch in chunks; the whole-batch checks it runs in SQL are "
                f"{', '.join(sorted(IN_SQL))}"
            )
        else:
            in_chunks.append(i)
    return in_chunks, in_sql


def _definition(suite: gx.ExpectationSuite) -> Any:
    """A GX validation definition of `suite` over a pandas frame given at each run."""
    gx = _import_gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    # Ephemeral: stores live in memory, so nothing lands in the working directory.
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    suite = ctx.suites.add(suite)
    batch = (
        ctx.data_sources.add_pandas("copydesk")
        .add_dataframe_asset(suite.name)
        .add_batch_definition_whole_dataframe("whole_frame")
    )
    return ctx.validation_definitions.add(
        gx.ValidationDefinition(name=suite.name, data=batch, suite=suite)
    )


def _report(
    suite: gx.ExpectationSuite,
    result: ExpectationSuiteValidationResult,
    n_rows: int,
    docs_dir: Path | None,
    run_id: str,
) -> ValidationReport:
    report = ValidationReport(
        suite=suite.name, outcomes=tuple(_outcome(r, n_rows) for r in result.results)
    )
    if docs_dir is not None:
        _build_docs(suite, result, report, Path(docs_dir), run_id)
    log.info(
        "suite %s on %d rows: %d critical failures, %d articles failed",
        suite.name,
        n_rows,
        len(report.critical_failures),
        len(report.outcomes_by_article()),
    )
    return report


def _part_of(suite: gx.ExpectationSuite, positions: Sequence[int]) -> gx.ExpectationSuite:
    """A suite of the same name holding the expectations of `suite` at `positions`."""
    gx = _import_gx()
    configs = [suite.expectations[i].configuration.to_json_dict() for i in positions]
    for config in configs:
        config.pop("id", None)  # the part is a suite of its own
    return gx.ExpectationSuite(name=suite.name, expectations=configs)


def _columns(expectations: Sequence[Expectation], present: Mapping[str, str]) -> list[str]:
    """The columns of audit.articles the expectations read, article_id first (GX quotes it
    for every failing row); a column the table lacks is left for GX to report as missing."""
    wanted = [ID_COLUMN]
    for expectation in expectations:
        kwargs = expectation.configuration.kwargs
        for key in ("column", "column_A", "column_B"):
            if isinstance(kwargs.get(key), str):
                wanted.append(kwargs[key])
        wanted += [c for c in kwargs.get("column_list") or [] if isinstance(c, str)]
    return [c for c in dict.fromkeys(wanted) if c in present]


def _chunk(
    con: duckdb.DuckDBPyConnection,
    columns: Sequence[str],
    texts: Sequence[str],
    rows: tuple[int, int],
    offset: int,
) -> pandas.DataFrame:
    """The articles of one chunk (rowids `rows`, both included), their index their place in
    the whole batch (so GX's unexpected_index_query names the rows it would over the batch)."""
    import pandas as pd

    # Column names come from the table itself (article_columns), quoted as identifiers.
    names = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
    sql = read_sql("quality/article_chunk", columns=names)
    frame = con.execute(sql, {"first_row": rows[0], "last_row": rows[1]}).df()
    frame.index = pd.RangeIndex(offset, offset + len(frame))
    # A text column that is null in every row of a chunk comes back as objects (None), one
    # with some text as pandas' text dtype (NaN): cast, so GX sees the same values whatever
    # rows share the chunk.
    text = pd.Series(["text"]).dtype
    for column in texts:
        if frame[column].dtype != text:
            frame[column] = frame[column].astype(text)
    return frame


def _merged(parts: Sequence[ExpectationValidationResult]) -> ExpectationValidationResult:
    """One expectation's results on consecutive chunks as one result over all their rows:
    counts added, percentages and success recomputed, failing rows concatenated."""
    first = parts[0]
    if len(parts) == 1:
        return first
    for part in parts:
        if _exception_message(part.exception_info) is not None:
            return part  # it could not run on a chunk, so it did not run on the batch
    results = [part.result or {} for part in parts]
    missing = [r.get("missing_count") for r in results]
    queries = [_INDEX_QUERY.fullmatch(str(r.get("unexpected_index_query", ""))) for r in results]
    return _map_result(
        first,
        element_count=sum(int(r.get("element_count") or 0) for r in results),
        missing_count=None if None in missing else sum(int(m or 0) for m in missing),
        unexpected_count=sum(int(r.get("unexpected_count") or 0) for r in results),
        values=[v for r in results for v in r.get("unexpected_list") or []],
        index_rows=[row for r in results for row in r.get("unexpected_index_list") or []],
        positions=None
        if None in queries
        else [q.group(1) for q in queries if q is not None and q.group(1)],
    )


def _map_result(
    template: ExpectationValidationResult,
    element_count: int,
    missing_count: int | None,
    unexpected_count: int,
    values: list[Any],
    index_rows: list[dict[str, Any]],
    positions: list[str] | None,
) -> ExpectationValidationResult:
    """A column-map result shaped as GX shapes one over a single frame (COMPLETE format), for
    the expectation of `template`, from counts and failing rows over the whole batch."""
    from great_expectations.core import ExpectationValidationResult

    config = template.expectation_config
    assert config is not None  # GX fills it for every result of a suite's expectation
    # Rows judged: all of them for not-null checks (GX leaves missing_count out of those),
    # the non-null ones for every other column map.
    judged = element_count if missing_count is None else element_count - missing_count
    mostly = float(config.kwargs.get("mostly", 1.0))
    success = not judged or not unexpected_count or (judged - unexpected_count) / judged >= mostly
    percent = unexpected_count / judged * 100 if judged else None
    result: dict[str, Any] = {
        "element_count": element_count,
        "unexpected_count": unexpected_count,
        "unexpected_percent": percent,
        "partial_unexpected_list": values[:_PARTIAL],
        "unexpected_index_column_names": [ID_COLUMN],
    }
    if missing_count is not None:
        result["missing_count"] = missing_count
        result["missing_percent"] = missing_count / element_count * 100 if element_count else None
        result["unexpected_percent_total"] = (
            unexpected_count / element_count * 100 if element_count else None
        )
        result["unexpected_percent_nonmissing"] = percent
    # GX counts the most common failing values over all of them, dicts as tuples, ties by value
    hashable = [tuple(v.values()) if isinstance(v, dict) else v for v in values]
    try:
        common = sorted(Counter(hashable).most_common(_PARTIAL), key=lambda x: (-x[1], x[0]))
        result["partial_unexpected_counts"] = [{"value": k, "count": n} for k, n in common]
    except TypeError:  # unorderable values: GX leaves the counts out too
        pass
    result["partial_unexpected_index_list"] = index_rows[:_PARTIAL]
    result["unexpected_list"] = values
    result["unexpected_index_list"] = index_rows
    if positions is not None:
        result["unexpected_index_query"] = f"df.filter(items=[{', '.join(positions)}], axis=0)"
    return ExpectationValidationResult(
        success=bool(success),
        expectation_config=config,
        result=result,
        meta=template.meta,
        exception_info=template.exception_info,
    )


def _unique_in_sql(
    con: duckdb.DuckDBPyConnection, expectation: Expectation, present: Mapping[str, str]
) -> ExpectationValidationResult:
    """expect_column_values_to_be_unique over the whole audit batch, in SQL, as GX reports
    it: every row of a value that another row also holds is unexpected, nulls are missing."""
    from great_expectations.core import ExpectationValidationResult

    config = expectation.configuration
    column = config.kwargs["column"]
    if column not in present:
        return ExpectationValidationResult(
            success=False,
            expectation_config=config,
            result={},
            exception_info={
                "raised_exception": True,
                "exception_traceback": None,
                "exception_message": f"column {column!r} is not in audit.articles",
            },
        )
    name = '"' + column.replace('"', '""') + '"'  # a column of the table (article_columns)
    counts = con.execute(read_sql("quality/column_counts", column=name)).fetchone()
    assert counts is not None  # an aggregate query returns one row
    rows, present_rows = counts
    duplicates = con.execute(read_sql("quality/duplicate_values", column=name)).fetchall()
    index_rows = [
        {ID_COLUMN: article_id} if column == ID_COLUMN else {column: value, ID_COLUMN: article_id}
        for _, article_id, value in duplicates
    ]
    template = ExpectationValidationResult(
        success=True,
        expectation_config=config,
        meta={},
        exception_info={
            "raised_exception": False,
            "exception_traceback": None,
            "exception_message": None,
        },
    )
    return _map_result(
        template,
        element_count=rows,
        missing_count=rows - present_rows,
        unexpected_count=len(duplicates),
        values=[value for *_, value in duplicates],
        index_rows=index_rows,
        positions=[str(position) for position, *_ in duplicates],
    )


def _suite_result(
    suite: gx.ExpectationSuite,
    results: list[ExpectationValidationResult],
    meta: dict[str, Any],
) -> ExpectationSuiteValidationResult:
    """The suite's validation result over the whole batch, with GX's statistics."""
    from great_expectations.core import ExpectationSuiteValidationResult

    passed = sum(1 for r in results if r.success)
    return ExpectationSuiteValidationResult(
        success=passed == len(results),
        results=results,
        suite_name=suite.name,
        statistics={
            "evaluated_expectations": len(results),
            "successful_expectations": passed,
            "unsuccessful_expectations": len(results) - passed,
            "success_percent": passed / len(results) * 100 if results else None,
        },
        meta=meta,
    )


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
