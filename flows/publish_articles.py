"""The Prefect flow: scan -> read and clean in batches -> stage -> audit -> validate -> publish."""

import os
import time
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
from prefect import Flow, flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.server.api.server import SubprocessASGIServer
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.task_runners import ThreadPoolTaskRunner
from prefect_dask import DaskTaskRunner

from copydesk import quality, warehouse
from copydesk.batch import Plan, PlannedFile, batched, plan_files, prepare_batch
from copydesk.boilerplate import RulePack, load_rule_packs
from copydesk.clusters import NearDupPolicy
from copydesk.ingest import find_input_files
from copydesk.settings import Settings
from copydesk.summary import STAGES, RunSummary, StageTimer, article_failures, covered_seconds


class PublishBlocked(RuntimeError):
    """Critical expectations failed: nothing was published."""


# Each task returns the wall seconds of its own work with its result, so the run summary
# shows copydesk's time per stage apart from the time Prefect and Dask take around it.


def _since(start: float) -> float:
    return time.perf_counter() - start


@task(retries=2, retry_delay_seconds=[5, 30], cache_policy=NO_CACHE)
def scan_inputs(
    input_dir: Path, warehouse_path: Path, exclude: Sequence[str]
) -> tuple[Plan, float]:
    start = time.perf_counter()
    with warehouse.connect(warehouse_path) as con:
        known = warehouse.known_versions(con)
    return plan_files(find_input_files(input_dir, exclude), known), _since(start)


@task(cache_policy=NO_CACHE)
def read_and_clean(
    files: Sequence[PlannedFile], packs: Sequence[RulePack], max_bytes: int
) -> tuple[warehouse.BatchTables, tuple[float, float]]:
    """The batch's staging tables, and when the work on it started and ended (epoch seconds,
    comparable with the flow's clock when the worker runs on the same machine)."""
    started = time.time()
    tables = warehouse.batch_tables(prepare_batch(files, packs, max_bytes))
    return tables, (started, time.time())


@task(retries=2, retry_delay_seconds=[5, 30], cache_policy=NO_CACHE)
def stage_batch(
    con: duckdb.DuckDBPyConnection, batch: warehouse.BatchTables, first_seq: int
) -> float:
    """Staging shares one open connection: a connection closed after every batch would write
    its checkpoint every batch, which was half of the staging time."""
    start = time.perf_counter()
    warehouse.stage_batch(con, batch, first_seq)
    return _since(start)


@task(cache_policy=NO_CACHE)
def audit_and_validate(
    warehouse_path: Path, run_id: str, cfg: Settings
) -> tuple[quality.ValidationReport, dict[str, float]]:
    """Build the audit batch, validate it, and move articles that fail a check to quarantine;
    returns the report and the seconds of audit and validate."""
    timer = StageTimer()
    timer.start("audit")
    with warehouse.connect(warehouse_path) as con:
        near = NearDupPolicy(cfg.near_jaccard, cfg.near_containment, cfg.canonical_order)
        cut = cfg.cross_article_paragraphs == "cut"
        warehouse.build_audit(con, run_id, cut_repeated=cut, near=near)
        if cfg.near_policy == "hold" and warehouse.hold_near_duplicates(con):
            warehouse.build_audit(con, run_id, cut_repeated=cut, near=near)
        articles = warehouse.audit_articles(con)
        report = quality.ValidationReport(suite="articles", outcomes=())
        # Nothing to check spares an idle scheduled run GX's slow import.
        if not articles.empty:
            timer.start("validate")
            report = quality.validate_frame(
                articles, cfg.expectations_dir / "articles.json", docs_dir=cfg.quality_dir
            )
            warehouse.record_validations(con, report.rows(run_id))
            failures = article_failures(report)
            if report.passed_critical and failures:
                timer.start("audit")
                warehouse.quarantine_articles(con, failures)
                warehouse.build_audit(con, run_id, cut_repeated=cut, near=near)
    timer.stop()  # after the close, whose checkpoint writes the audit tables to the file
    return report, timer.seconds


@task(cache_policy=NO_CACHE)
def publish(warehouse_path: Path, run_id: str, summary: RunSummary) -> RunSummary:
    """Publish the audit batch and record the run; returns the summary with the publish time."""
    start = time.perf_counter()
    with warehouse.connect(warehouse_path) as con:
        warehouse.publish(con, run_id)
    summary = summary.with_stage_seconds(publish=_since(start))
    with warehouse.connect(warehouse_path) as con:
        warehouse.finish_run(con, run_id, "published", summary.as_row())
    return summary


def with_workers(workers: int = 1, dask_address: str | None = None) -> Flow:
    """The flow on a task runner for `workers` processes: a local Dask cluster when more than
    one, the Dask scheduler at `dask_address` when given, else threads in this process."""
    if dask_address:
        return publish_articles.with_options(task_runner=DaskTaskRunner(address=dask_address))
    if workers > 1:
        cluster = {"n_workers": workers, "threads_per_worker": 1, "dashboard_address": None}
        runner = DaskTaskRunner(cluster_class="distributed.LocalCluster", cluster_kwargs=cluster)
        return publish_articles.with_options(task_runner=runner)
    return publish_articles


@contextmanager
def prefect_api_for_workers() -> Iterator[str]:
    """Dask worker processes inherit the environment, not this process's Prefect settings:
    with no API URL there, each starts a temporary Prefect server of its own (~25 s and
    ~230 MB each, and the task runs it records are thrown away). This exports the API URL in
    use, after starting the temporary server when there is none, and yields it."""
    url = PREFECT_API_URL.value()
    if not url:
        server = SubprocessASGIServer()
        server.start()
        url = server.api_url
    before = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = url
    try:
        with temporary_settings(updates={PREFECT_API_URL: url}):
            yield url
    finally:  # the server stops at exit, after the last logs have been sent to it
        if before is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = before


# By default one batch cleans in a thread while the flow stages the one before.
@flow(name="publish-articles", log_prints=False, task_runner=ThreadPoolTaskRunner(max_workers=2))
def publish_articles(
    input_dir: Path | None = None,
    warehouse_path: Path | None = None,
    batch_size: int | None = None,
    workers: int | None = None,
) -> RunSummary:
    """Publish every new or changed article under `input_dir`; returns the run summary.

    `workers` sets how many batches are cleaned ahead; the task runner (see with_workers)
    decides where they run."""
    overrides = {
        "input_dir": input_dir,
        "warehouse": warehouse_path,
        "batch_size": batch_size,
        "workers": workers,
    }
    cfg = Settings(**{k: v for k, v in overrides.items() if v is not None})
    run_id = str(flow_run.id)
    packs = load_rule_packs(cfg.rules_dirs)

    with warehouse.connect(cfg.warehouse) as con:
        warehouse.start_run(con, run_id, cfg.input_dir)
    try:
        return _run(cfg, run_id, packs)
    except Exception:
        with warehouse.connect(cfg.warehouse) as con:
            warehouse.mark_failed(con, run_id)  # a blocked run keeps its "blocked" status
        raise


def _run(cfg: Settings, run_id: str, packs: Sequence[RulePack]) -> RunSummary:
    log = get_run_logger()
    timer = StageTimer()
    for stage in STAGES:  # every stage shows, a skipped one as 0
        timer.add(stage, 0.0)
    plan, scan_seconds = scan_inputs(cfg.input_dir, cfg.warehouse, cfg.exclude)
    timer.add("scan", scan_seconds)
    log.info(
        "%s files found: %s new or changed, %s unchanged",
        plan.seen,
        len(plan.to_read),
        plan.unchanged,
    )
    if plan.to_read:
        quality.import_gx_in_background()

    # Batches are read and cleaned in parallel on the flow's task runner (threads, or Dask
    # worker processes), a few ahead at most, and staged by this process one at a time in
    # input order: the warehouse has one writer, and the order decides which copy is canonical.
    pending: deque[PrefectFuture] = deque()
    waits, cleaning = [], []  # (start, end) of each wait for a batch and of each task's work
    total = -(-len(plan.to_read) // cfg.batch_size)
    staged = articles = 0
    with warehouse.connect(cfg.warehouse) as staging:
        for files in batched(plan.to_read, cfg.batch_size):
            pending.append(read_and_clean.submit(files, packs, cfg.max_file_bytes))
            while pending and (len(pending) > 2 * cfg.workers or staged + len(pending) == total):
                waited = time.time()
                batch, worked = pending.popleft().result()
                waits.append((waited, time.time()))
                cleaning.append(worked)
                timer.add("read_clean", worked[1] - worked[0])
                timer.add("stage", stage_batch(staging, batch, articles))
                staged += 1
                articles += batch.rows("articles")
                log.info(
                    "batch %d of %d: %d files, %d articles cleaned, %d rejected",
                    staged,
                    total,
                    batch.rows("files"),
                    batch.rows("articles"),
                    batch.rows("quarantine"),
                )
        closing = time.perf_counter()
    timer.add("stage", _since(closing))  # closing writes the last checkpoint

    # Only a wait while a batch was being cleaned is cleaning; the rest, such as a Dask worker
    # starting, is orchestration.
    timer.add("read_clean_wait", covered_seconds(waits, cleaning))

    report, audit_seconds = audit_and_validate(cfg.warehouse, run_id, cfg)
    for stage, seconds in audit_seconds.items():
        timer.add(stage, seconds)
    timer.start("audit")  # counting the audit batch
    with warehouse.connect(cfg.warehouse) as con:
        counts = warehouse.run_counts(con)
        timer.stop()
        summary = RunSummary.from_counts(run_id, plan, counts, report, timer.seconds)
        if not report.passed_critical:
            warehouse.finish_run(con, run_id, "blocked", summary.as_row())
    if not report.passed_critical:
        message = "publishing blocked by critical expectations:\n" + "\n".join(
            f"- {o.expectation} on {o.column}: {o.detail}" for o in report.critical_failures
        )
        log.error(message)
        raise PublishBlocked(message)

    summary.check_balance()
    summary = publish(cfg.warehouse, run_id, summary)
    create_table_artifact(
        key="run-summary", table=summary.table_rows(), description=f"copydesk run {run_id}"
    )
    create_markdown_artifact(key="run-summary-text", markdown=summary.markdown())
    log.info("published: %s; %s", summary.one_line(), summary.stage_line())
    return summary
