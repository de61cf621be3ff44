"""Imported by each local Dask worker as it starts (flows.local_cluster.WORKER_IMPORTS), so
that its first batch finds these modules loaded."""

import trafilatura  # noqa: F401 - copydesk imports it at a batch's first HTML page

import flows.publish_articles  # noqa: F401 - a batch's task comes from here: Prefect, copydesk
