"""bench.worker_memory cleans every file it is given, batch by batch, and reports each."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("psutil")  # in the bench dependency group

from bench.worker_memory import measure  # noqa: E402

TEXT = (
    "The harbour authority said on Monday that the ferry timetable would change in spring, "
    "adding two crossings on weekdays and one on Sundays for the islands' commuters.\n\n"
)


def test_every_file_is_cleaned_in_batches_of_the_size_asked(tmp_path: Path):
    for i in range(5):
        (tmp_path / f"{i}.txt").write_text(f"Story {i}\n\n" + TEXT * (i + 2), encoding="utf-8")

    rows = measure(tmp_path, batch_size=2, batches=4)

    assert [r["batch"] for r in rows] == ["imported", 1, 2, 3]
    assert [r["files"] for r in rows[1:]] == [2, 2, 1]
    assert all(r["result_bytes"] > 0 and r["peak_mb"] >= rows[0]["rss_mb"] for r in rows[1:])
