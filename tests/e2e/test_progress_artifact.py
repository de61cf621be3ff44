"""The progress artifact of a flow run follows the run's progress."""

from __future__ import annotations

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterId

from flows.progress import run_progress

pytestmark = pytest.mark.e2e


@flow
def three_batches():
    progress = run_progress(30)
    for _ in range(3):
        progress.advance(10, 12)
    progress.close()
    return progress.sinks[0].artifact_id


def test_the_artifact_ends_at_100_percent_with_the_last_line():
    artifact_id = three_batches()

    with get_client(sync_client=True) as client:
        [artifact] = client.read_artifacts(
            artifact_filter=ArtifactFilter(id=ArtifactFilterId(any_=[artifact_id]))
        )
    assert artifact.type == "progress"
    assert float(artifact.data) == 100.0
    assert artifact.description.startswith("30 of 30 files (100%), 36 articles")
