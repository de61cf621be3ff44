"""bench/resume.py's comparison of two warehouses: the rows one publishes and the other not."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("psutil")  # in the bench dependency group

from bench.resume import STAGED, differing_rows  # noqa: E402 - after the skip
from copydesk import warehouse  # noqa: E402

QUARANTINE = (
    "insert into published.quarantine (source_file, item, version, step, reason, detail, run_id) "
    "values (?, 0, 1, 'read', 'empty', '', ?)"
)


def test_rows_that_differ_only_in_their_run_are_the_same_and_others_count_both_ways(
    tmp_path: Path,
):
    one, other = tmp_path / "one.duckdb", tmp_path / "other.duckdb"
    for path, files, run in ((one, ["a", "b", "b"], "r1"), (other, ["a", "b", "c"], "r2")):
        with warehouse.connect(path) as con:
            for name in files:
                con.execute(QUARANTINE, [name, run])

    differing = differing_rows(one, other)

    # one holds a second "b", other a "c": two rows differ; "a" differs only in its run.
    assert differing["published.quarantine"] == {"rows": 3, "differing": 2}
    assert differing["published.articles"] == {"rows": 0, "differing": 0}


@pytest.mark.parametrize(
    "line, last, batches",
    [
        ("12:00:01.000 | INFO | Flow run 'x' - batch 3 of 20: 500 files, 512 articles", 3, 20),
        ("12:00:01.000 | INFO | Flow run 'x' - batches 4-7 of 20: 2000 files, 2100 ar", 7, 20),
    ],
)
def test_the_staged_batch_line_gives_the_last_batch_and_the_count(line, last, batches):
    m = STAGED.search(line)
    assert m and (int(m.group(1)), int(m.group(2))) == (last, batches)
