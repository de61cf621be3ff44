"""The Prefect flow: scan -> read and clean in batches -> stage -> audit -> validate -> publish.

Each stage is one function of the copydesk library; this module only makes them tasks and
runs them in order, on one warehouse connection held for the whole run."""

import time
from collections import deque
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import duckdb
import pandas  # noqa: F401 - see below
from prefect import Flow, flow, get_run_logger, task
from prefect.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner

from copydesk import (
    audit,
    batch_tables,
    publish,
    quality,
    runlog,
    scan,
    site_boilerplate,
    staging,
    warehouse,
)
from copydesk.batch import batch_slices
from copydesk.batch_tables import BatchTables
from copydesk.boilerplate import RulePack, load_rule_packs
from copydesk.dashboard import DASHBOARD_NAME, write_dashboard
from copydesk.settings import Settings, temp_dir_for
from copydesk.site_boilerplate import LearnedLines, Learning
from copydesk.summary import STAGES, RunSummary, covered_seconds
from flows.progress import run_progress

# DuckDB imports pandas at a connection's first statement with parameters, and a stop signal
# that lands inside that import is swallowed, leaving pandas half imported; imported with this
# module, it is whole before the run opens the warehouse.


class PublishBlocked(RuntimeError):
    """Critical expectations failed: nothing was published."""


# Retries on the one step that writes batch by batch; the rest either read local files or
# rebuild from staging, where a retry would meet the same error.
scan_inputs = task(cache_policy=NO_CACHE)(scan.scan_inputs)
read_and_clean = task(cache_policy=NO_CACHE)(batch_tables.read_and_clean)
stage_batch = task(retries=2, retry_delay_seconds=[5, 30], cache_policy=NO_CACHE)(
    staging.stage_batch
)
audit_batch = task(cache_policy=NO_CACHE)(audit.audit_batch)
validate_batch = task(cache_policy=NO_CACHE)(quality.validate_batch)
quarantine_articles = task(cache_policy=NO_CACHE)(audit.quarantine_articles)
publish_batch = task(cache_policy=NO_CACHE)(publish.publish_batch)


BATCHES_PER_WRITE = 8  # cleaned batches staged together at most: fewer, larger writes
WORKERS_STOP_SECONDS = 60  # how long the audit waits for the local workers to exit
# DuckDB's memory while batches are cleaned: staging only appends, and the cleaning workers need
# the memory then; the audit after it gets the configured limit, the local workers gone.
STAGING_MEMORY_LIMIT = "512MB"
# How much a commit may leave in DuckDB's write-ahead log before it checkpoints, while staging:
# at DuckDB's default (16 MB) every staged write checkpointed, and the commits took most of the
# time staging spent (a million-file run, sampled).
STAGING_CHECKPOINT_THRESHOLD = "256MB"


# By default one batch cleans in a thread while the flow stages the one before. (Prefect's
# generic task runner types do not admit its own runners: hence the type: ignores.)
@flow(name="publish-articles", log_prints=False, task_runner=ThreadPoolTaskRunner(max_workers=2))  # type: ignore[arg-type]
def publish_articles(
    input_dir: Path | None = None,
    warehouse_path: Path | None = None,
    batch_size: int | None = None,
    workers: int | None = None,
) -> RunSummary:
    """Publish every new or changed article under `input_dir`; returns the run summary.

    `workers` sets how many batches are cleaned ahead; the task runner (see with_workers)
    decides where they run."""
    overrides: dict[str, object] = {"input_dir": input_dir, "warehouse": warehouse_path}
    overrides |= {"batch_size": batch_size, "workers": workers}
    cfg = Settings.model_validate({k: v for k, v in overrides.items() if v is not None})
    run_id = str(flow_run.id)
    packs = load_rule_packs(cfg.rules_dirs)
    with warehouse.hold(
        cfg.warehouse, cfg.lock_wait_seconds, cfg.duckdb_memory_limit, temp_dir_for(cfg)
    ) as con:
        abandoned = runlog.start_run(con, run_id, cfg.input_dir)
        if abandoned:
            get_run_logger().warning("marked abandoned, their process gone: %s", abandoned)
        try:
            summary = _run(con, cfg, run_id, packs)
        except BaseException as exc:  # a stop signal too: the run's row says it failed
            runlog.mark_failed(con, run_id, f"{type(exc).__name__}: {exc}")  # blocked stays
            raise
        finally:
            con.close()  # the dashboard opens the file read-only, which this process must let go
            _refresh_dashboard(cfg)
    return summary


def _run(
    con: duckdb.DuckDBPyConnection, cfg: Settings, run_id: str, packs: Sequence[RulePack]
) -> RunSummary:
    log = get_run_logger()
    seconds = dict.fromkeys(STAGES, 0.0)  # every stage shows, a skipped one as 0
    scanned = scan_inputs(con, cfg.input_dir, cfg.exclude, cfg.follow_symlinks)
    plan, seconds["scan"] = scanned.plan, scanned.seconds
    log.info(
        "%s files: %s new or changed, %s unchanged", plan.seen, len(plan.to_read), plan.unchanged
    )
    cleaning = batch_tables.cleaning_key(packs, cfg.max_file_bytes)
    taken = staging.take_over(con, run_id, plan.to_read, cleaning)
    if taken.kept_from:
        log.info(
            "kept %d files (%d articles) that run %s staged before it stopped; %d left to read",
            *(taken.kept_files, taken.kept_articles, taken.kept_from, len(taken.to_read)),
        )
    if taken.to_read and _cleaned_elsewhere(cfg):
        quality.import_gx_in_background()  # else once the first batch is staged

    learned = learning = None
    if cfg.learn_site_boilerplate:  # lines learned by earlier runs, loaded once for all batches
        learned = site_boilerplate.load_learned(con)
        learning = Learning(cfg.learn_min_articles, cfg.learn_min_share)
        log.info("%d learned lines of site boilerplate to remove", len(learned))
    with (
        _staging_memory(con, cfg),
        warehouse.setting(con, "checkpoint_threshold", STAGING_CHECKPOINT_THRESHOLD),
    ):
        _clean_and_stage(con, cfg, run_id, taken, packs, learned, seconds)
    if taken.to_read:  # else no batch ran, and asking Dask for its cluster would start one
        _stop_local_workers(cfg)
    audited = audit_batch(con, run_id, cfg)
    seconds["audit"] = audited.seconds
    suite = cfg.expectations_dir / "articles.json"
    report = validate_batch(con, run_id, suite, cfg.quality_dir, cfg.validate_chunk_rows)
    seconds["validate"] = report.seconds
    failed = report.failed_articles()
    if report.passed_critical and failed:
        audited = quarantine_articles(con, run_id, failed, cfg)
        seconds["audit"] += audited.seconds
    summary = RunSummary.from_counts(run_id, plan, audited.counts, report, seconds)
    if not report.passed_critical:
        runlog.finish_run(con, run_id, "blocked", summary)
        message = "publishing blocked by critical expectations:\n" + "\n".join(
            f"- {o.expectation} on {o.column}: {o.detail}" for o in report.critical_failures
        )
        log.error(message)
        raise PublishBlocked(message)

    summary.check_balance()
    summary = publish_batch(con, run_id, summary, learning)
    create_table_artifact(
        key="run-summary", table=summary.table_rows(), description=f"copydesk run {run_id}"
    )
    create_markdown_artifact(key="run-summary-text", markdown=summary.markdown())
    log.info("published: %s; %s", summary.one_line(), summary.stage_line())
    return summary


def _refresh_dashboard(cfg: Settings) -> None:
    """Write the quality dashboard beside the warehouse and link it from the run; a failure
    to write it is logged, never the run's failure."""
    log = get_run_logger()
    try:
        path = write_dashboard(
            cfg.warehouse,
            cfg.quality_dir / DASHBOARD_NAME,
            cfg.duckdb_memory_limit,
            temp_dir_for(cfg),
        )
    except (OSError, duckdb.Error) as exc:
        log.warning("quality dashboard not refreshed: %s", exc)
        return
    log.info("quality dashboard: %s", path)
    create_link_artifact(
        key="quality-dashboard", link=path.resolve().as_uri(), description="copydesk quality"
    )


def _clean_and_stage(
    con: duckdb.DuckDBPyConnection,
    cfg: Settings,
    run_id: str,
    taken: staging.TakeOver,
    packs: Sequence[RulePack],
    learned: LearnedLines | None,
    seconds: dict[str, float],
) -> None:
    """Batches are read and cleaned in parallel on the flow's task runner (threads, or Dask
    worker processes), a few ahead at most, and staged by this process in input order: the
    warehouse has one writer, and the order decides which copy is canonical. Batches that are
    ready together are staged in one write (one transaction, one insert per table)."""
    log = get_run_logger()
    pending: deque[PrefectFuture] = deque()
    waits, cleaning = [], []  # (start, end) of each wait for a batch and of each batch's work
    slices = batch_slices(taken.to_read.sizes(), cfg.batch_size)
    total = len(slices)
    staged, articles = 0, taken.kept_articles  # the order goes on after kept batches
    with run_progress(len(taken.to_read)) as progress:
        for part in slices:
            files = taken.to_read[part]
            pending.append(read_and_clean.submit(files, packs, cfg.max_file_bytes, learned))
            while pending and (len(pending) > 2 * cfg.workers or staged + len(pending) == total):
                waited = time.time()
                ready = [pending.popleft().result()]
                waits.append((waited, time.time()))
                while pending and len(ready) < BATCHES_PER_WRITE and _done(pending[0]):
                    ready.append(pending.popleft().result())
                for tables in ready:
                    cleaning.append((tables.started, tables.finished))
                    seconds["read_clean"] += tables.finished - tables.started
                result = stage_batch(con, run_id, BatchTables.combine(ready), articles)
                seconds["stage"] += result.seconds
                first, staged = staged + 1, staged + len(ready)
                articles += result.articles
                if first == 1 and not _cleaned_elsewhere(cfg):
                    quality.import_gx_in_background()
                progress.advance(result.files, result.articles)
                log.info(
                    "%s of %d: %d files, %d articles cleaned, %d rejected",
                    f"batch {first}" if first == staged else f"batches {first}-{staged}",
                    *(total, result.files, result.articles, result.rejected),
                )
    # Only a wait while a batch was being cleaned is cleaning; the rest, such as a Dask worker
    # starting, is orchestration.
    seconds["read_clean_wait"] = covered_seconds(waits, cleaning)


def _staging_memory(con: duckdb.DuckDBPyConnection, cfg: Settings) -> AbstractContextManager:
    """DuckDB at STAGING_MEMORY_LIMIT while batches are cleaned and staged, unless the
    configured limit is lower (or not a size this can compare)."""
    staging = warehouse.size_bytes(STAGING_MEMORY_LIMIT)
    configured = warehouse.size_bytes(cfg.duckdb_memory_limit or "")
    if configured is None or staging is None or configured <= staging:
        return nullcontext()
    return warehouse.setting(con, "memory_limit", STAGING_MEMORY_LIMIT, cfg.duckdb_memory_limit)


def _stop_local_workers(cfg: Settings) -> None:
    """Stop the workers of the local Dask cluster once every batch is staged: what follows is
    DuckDB's work in this process, and their memory (hundreds of MB each) would add to it.
    Waits (up to WORKERS_STOP_SECONDS) until they are gone: scaling returns at once, and at a
    million files the audit's first seconds beside the closing workers were the run's peak."""
    if cfg.dask_address or cfg.workers <= 1:
        return
    context = FlowRunContext.get()
    runner = context.task_runner if context is not None else None
    cluster = getattr(getattr(runner, "client", None), "cluster", None)
    if cluster is not None:
        cluster.scale(0)
        deadline = time.monotonic() + WORKERS_STOP_SECONDS
        while cluster.workers and time.monotonic() < deadline:
            time.sleep(0.1)


def _done(future: PrefectFuture) -> bool:
    """Whether a batch's task has finished, asked of the runner's own future (a PrefectFuture's
    state would be a call to the Prefect API)."""
    wrapped = getattr(future, "wrapped_future", None)
    return wrapped is not None and wrapped.done()


def _cleaned_elsewhere(cfg: Settings) -> bool:
    """Whether batches are cleaned in other processes (Dask), not on this one's threads.

    Great Expectations takes seconds to import, so the run imports it on a thread while it
    cleans. On this process's threads the import competes with the cleaning for the
    interpreter (it made the sample's first batch three times slower): it waits until the
    first batch is staged. Dask workers leave this process free to import it at once."""
    return cfg.workers > 1 or bool(cfg.dask_address)


def with_workers(workers: int = 1, dask_address: str | None = None) -> Flow[..., RunSummary]:
    """The flow on a task runner for `workers` processes: a local Dask cluster when more than
    one, the Dask scheduler at `dask_address` when given, else threads in this process."""
    if not dask_address and workers <= 1:
        return publish_articles
    # Imported only here: Dask would add a second to the start-up of every run on threads.
    import dask
    from prefect_dask import DaskTaskRunner

    # Dask keeps each stream's last messages for debugging (1,000 by default), and a batch's
    # task carries its files and rule packs: the flow process (client and scheduler) kept a
    # thousand batches a stream that way, every batch of a million-file run, and each worker
    # the thousand it ran last.
    dask.config.set({"distributed.admin.low-level-log-length": 0})
    if dask_address:
        runner = DaskTaskRunner(address=dask_address)
    else:
        cluster = {"n_workers": workers, "threads_per_worker": 1, "dashboard_address": None}
        runner = DaskTaskRunner(cluster_class="distributed.LocalCluster", cluster_kwargs=cluster)
    return publish_articles.with_options(task_runner=runner)  # type: ignore[arg-type]
