"""The flow on a real local Dask cluster of two worker processes publishes what one process does."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from flows.publish_articles import publish_articles, with_workers
from tests.e2e.conftest import SAMPLE, query, start

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


def test_the_early_cluster_has_its_workers_import_the_flow_before_any_batch():
    """`copydesk run --workers N` starts its cluster before it imports Prefect, and each worker
    imports what a batch needs as it starts, not at its first batch."""
    import sys

    from distributed import Client

    from flows.local_cluster import close_early, start_early, take_early

    start_early(2)
    cluster = take_early()
    try:
        with Client(cluster) as client:
            loaded = client.run(
                lambda: [m in sys.modules for m in ("flows.publish_articles", "trafilatura")]
            )
        assert list(loaded.values()) == [[True, True]] * 2
    finally:
        close_early()
    assert cluster.status.name == "closed"
    with pytest.raises(RuntimeError, match="no local Dask cluster was started"):
        take_early()


def test_copydesk_run_on_two_workers_uses_the_cluster_it_started_early(tmp_path: Path):
    inputs = tmp_path / "input"
    shutil.copytree(SAMPLE, inputs)
    warehouse, home = tmp_path / "corpus.duckdb", tmp_path / "home"

    first = start(inputs, warehouse, home, COPYDESK_WORKERS="2")
    out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    assert "Dask cluster with `flows.local_cluster.take_early`" in err
    assert query(warehouse, "select status from audit.runs") == [("published",)]

    # Nothing new: no batch takes the cluster, and the command closes it itself.
    again = start(inputs, warehouse, home, COPYDESK_WORKERS="2")
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    assert "0 new or changed" in err and "take_early" not in err
