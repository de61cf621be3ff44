"""A run's progress in the Prefect UI: one progress artifact, updated after every batch."""

from __future__ import annotations

from typing import cast
from uuid import UUID

from prefect import get_run_logger
from prefect.artifacts import create_progress_artifact, update_progress_artifact

from copydesk.progress import Progress, Snapshot


class ProgressArtifact:
    """A Prefect progress artifact (percent of files done) whose description is the progress
    line; call it with each snapshot. Create it inside a flow run so the run carries it."""

    def __init__(self, key: str = "run-progress") -> None:
        # Prefect types the call as sync-or-async; called from a sync flow it returns the id.
        self.artifact_id = cast(
            UUID, create_progress_artifact(progress=0.0, key=key, description="starting")
        )

    def __call__(self, snap: Snapshot) -> None:
        update_progress_artifact(self.artifact_id, progress=snap.percent, description=snap.line())


def run_progress(total_files: int) -> Progress:
    """The progress of a flow run over `total_files` files: a bar on a terminal, else lines in
    the run's log; and the run's progress artifact either way."""
    return Progress(total_files, sinks=[ProgressArtifact()], logger=get_run_logger())
