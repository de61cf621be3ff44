"""The local Dask cluster whose worker processes clean a run's batches (`--workers` above one).

`copydesk run` starts it on a thread before it imports Prefect and the flow, so that the
workers start and import what a batch needs (some 6 s of CPU each) while this process does the
same, instead of after it: the flow's task runner takes the running cluster at its first batch.
"""

import threading

import dask
from distributed import LocalCluster

# What each worker imports as it starts (distributed's preload), before its first batch: the
# module a batch's task is unpickled from (Prefect, copydesk), and trafilatura for HTML pages.
WORKER_IMPORTS = ["flows.worker_imports"]


def keep_no_message_log() -> None:
    """Dask keeps each stream's last messages for debugging (1,000 by default), and a batch's
    task carries its files and rule packs: the flow process (client and scheduler) kept a
    thousand batches a stream that way, every batch of a million-file run, and each worker
    the thousand it ran last. Set before a local cluster starts: its workers copy the config."""
    dask.config.set({"distributed.admin.low-level-log-length": 0})


def local_cluster(workers: int) -> LocalCluster:
    """A cluster of `workers` processes of one thread each, on this machine."""
    keep_no_message_log()
    return LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        dashboard_address=None,
        preload=WORKER_IMPORTS,
    )


class _Starting:
    """A local cluster starting on a thread."""

    def __init__(self, workers: int) -> None:
        self.cluster: LocalCluster | None = None
        self.error: Exception | None = None
        self.thread = threading.Thread(target=self._start, args=(workers,), name="dask-start")
        self.thread.start()

    def _start(self, workers: int) -> None:
        try:
            self.cluster = local_cluster(workers)
        except Exception as exc:  # raised where the cluster is taken, in the flow
            self.error = exc


# The cluster `start_early` started, for this process's one run. Module-level, because Prefect
# pickles the task runner with each task, and with it `take_early`: by name, not by value.
_early: _Starting | None = None


def start_early(workers: int) -> None:
    """Start a local cluster of `workers` on a thread, for `take_early` to hand over."""
    global _early
    _early = _Starting(workers)


def take_early() -> LocalCluster:
    """The cluster `start_early` started, once it is up, for the task runner (which closes it
    when the flow ends)."""
    if _early is None:
        raise RuntimeError("no local Dask cluster was started for this run")
    _early.thread.join()
    if _early.error is not None:
        raise _early.error
    assert _early.cluster is not None
    return _early.cluster


def close_early() -> None:
    """Close the cluster `start_early` started, if the task runner did not (a run stopped
    before its first batch, or one with nothing to read)."""
    global _early
    if _early is None:
        return
    _early.thread.join()
    if _early.cluster is not None:
        _early.cluster.close()  # after the task runner's close, this does nothing
    _early = None
