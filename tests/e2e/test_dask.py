"""The flow on a real local Dask cluster of two worker processes publishes what one process does."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from flows.publish_articles import publish_articles, with_workers
from tests.e2e.conftest import SAMPLE

pytestmark = pytest.mark.e2e

TABLES = (
    "articles",
    "paragraphs",
    "removals",
    "quarantine",
    "article_clusters",
    "paragraph_clusters",
)


def published_rows(path: Path) -> dict[str, list[tuple]]:
    """Every published row but the run id, sorted, to compare two warehouses."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            table: sorted(
                con.execute(f"select * exclude (run_id) from published.{table}").fetchall(),
                key=repr,
            )
            for table in TABLES
        }
    finally:
        con.close()


def test_two_dask_workers_publish_the_same_tables_as_one_process(tmp_path, seeds_copy, monkeypatch):
    from prefect.settings import PREFECT_API_URL

    # The workers are other processes: they find the test's server through the environment,
    # as those of `copydesk run` find its own.
    monkeypatch.setenv("PREFECT_API_URL", PREFECT_API_URL.value())
    shutil.copytree(SAMPLE, seeds_copy / "sample")
    single, parallel = tmp_path / "single.duckdb", tmp_path / "dask.duckdb"

    one = publish_articles(input_dir=seeds_copy, warehouse_path=single, batch_size=4)
    two = with_workers(2)(input_dir=seeds_copy, warehouse_path=parallel, batch_size=4, workers=2)

    assert (two.articles_read, two.published, two.duplicates, two.quarantined) == (
        one.articles_read,
        one.published,
        one.duplicates,
        one.quarantined,
    )
    assert published_rows(parallel) == published_rows(single)


def test_dask_keeps_no_copy_of_the_batches_it_sent():
    """Dask logs each stream's recent messages for debugging, and a batch's task carries its
    files and rule packs: a long run's flow process and workers held every batch that way.
    The runner `with_workers` builds turns the log off, in the client, scheduler and workers."""
    from distributed import Client, LocalCluster

    with_workers(2)
    with (
        LocalCluster(
            n_workers=1, processes=False, threads_per_worker=1, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        files = [f"{n:07d}.txt" for n in range(500)]
        assert client.submit(len, files).result() == 500
        (worker,) = cluster.workers.values()
        streams = [client.scheduler_comm, worker.batched_stream]
        streams += cluster.scheduler.stream_comms.values()
        assert [list(s.recent_message_log) for s in streams] == [[]] * len(streams)
