"""Planning a run's files and preparing one batch: every file and article accounted for."""

from __future__ import annotations

import json
import os
import pickle
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pytest
from dask.base import tokenize

from copydesk.batch import PlannedFile, PlannedFiles, batch_slices, plan_files, prepare_batch
from copydesk.ingest import FoundFile, file_sha256, find_input_files
from copydesk.records import NOT_READ, InputFile, KnownFile

HEADLINE = "Council Approves Two New Bus Lines"
B1 = "The council met on Tuesday evening to debate the new budget for public transport in the city."
B2 = "Members agreed to fund two more bus lines serving the northern districts from next spring."


def write(root: Path, rel: str, data: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


# --- batch_slices


@pytest.mark.parametrize(
    ("sizes", "max_files", "max_bytes", "batches"),
    [
        ([1, 1, 1, 1, 1], 2, 100, [[0, 1], [2, 3], [4]]),
        ([1, 1, 1, 1], 2, 100, [[0, 1], [2, 3]]),
        ([1, 1, 1], 10, 100, [[0, 1, 2]]),
        ([1, 1, 1], 1, 100, [[0], [1], [2]]),
        ([], 3, 100, []),
        ([40, 40, 40, 10], 10, 100, [[0, 1], [2, 3]]),  # the bytes close a batch first
        ([40, 60, 1], 10, 100, [[0, 1], [2]]),  # exactly the bytes: still one batch
        ([5, 500, 5, 5], 10, 100, [[0], [1], [2, 3]]),  # a larger file is a batch alone
        ([500], 10, 100, [[0]]),
        ([0, 0, 0], 2, 100, [[0, 1], [2]]),  # empty files count as files
    ],
)
def test_batch_slices(sizes, max_files, max_bytes, batches):
    items = list(range(len(sizes)))
    got = [items[s] for s in batch_slices(sizes, max_files, max_bytes)]
    assert got == batches


@pytest.mark.parametrize("size", [0, -1])
def test_batch_slices_rejects_size_below_one(size):
    with pytest.raises(ValueError, match="batch size must be at least 1"):
        batch_slices([1, 2], size)


# --- plan_files


def test_plan_files_versions_new_changed_and_skips_unchanged(tmp_path):
    write(tmp_path, "changed.txt", "new content")
    write(tmp_path, "new.txt", "brand new")
    same = write(tmp_path, "same.txt", "as before")
    found = find_input_files(tmp_path)
    mtime = {f.source_file: f.mtime_ns for f in found}
    known = {
        "same.txt": KnownFile(file_sha256(same), 3),
        "changed.txt": KnownFile("0" * 64, 2),
        "gone.txt": KnownFile("1" * 64, 1),  # no longer on disk: not the planner's concern
    }
    plan = plan_files(found, known)

    assert plan.unchanged == 1
    assert plan.seen == 3
    assert [p.file for p in plan.to_read] == [
        InputFile(
            "changed.txt", 11, file_sha256(tmp_path / "changed.txt"), 3, mtime["changed.txt"]
        ),
        # A new path is not hashed by the scan: its one read in prepare_batch hashes it.
        InputFile("new.txt", 9, NOT_READ, 1, mtime["new.txt"]),
    ]
    assert [p.found.source_file for p in plan.to_read] == ["changed.txt", "new.txt"]


def test_plan_files_skips_a_file_of_known_size_and_time_without_reading_it(tmp_path):
    same = write(tmp_path, "same.txt", "as before")
    touched = write(tmp_path, "touched.txt", "as before")
    [f_same, f_touched] = find_input_files(tmp_path)
    known = {
        # The hash is wrong on purpose: a file of the known size and time is not hashed.
        "same.txt": KnownFile("0" * 64, 1, f_same.size_bytes, f_same.mtime_ns),
        # Touched since (a newer time), same content: hashed, then skipped.
        "touched.txt": KnownFile(file_sha256(touched), 1, 9, f_touched.mtime_ns - 1),
    }

    plan = plan_files([f_same, f_touched], known)

    assert (plan.unchanged, list(plan.to_read)) == (2, [])
    os.utime(same, ns=(f_same.mtime_ns + 1, f_same.mtime_ns + 1))  # edited since
    [planned] = plan_files(find_input_files(tmp_path)[:1], known).to_read
    assert (planned.file.source_file, planned.file.version) == ("same.txt", 2)


def test_plan_files_with_nothing_known_reads_everything_as_version_1(tmp_path):
    write(tmp_path, "a.txt", "a")
    write(tmp_path, "b/c.txt", "c")
    plan = plan_files(find_input_files(tmp_path), {})
    assert [(p.file.source_file, p.file.version) for p in plan.to_read] == [
        ("a.txt", 1),
        ("b/c.txt", 1),
    ]
    assert plan.unchanged == 0


# --- prepare_batch


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    root = tmp_path / "input"
    write(root, "good.txt", "\n\n".join([HEADLINE, B1, B2, "Read More"]))
    write(root, "boilerplate.txt", "Read More\n\nLeave a Reply\n\nAdvertisement")
    write(root, "empty.txt", "")
    write(root, "picture.txt", b"\x89PNG\r\n\x1a\n" + bytes(64))
    write(root, "slides.pptx", b"PK\x03\x04")
    write(root, "page.html", "<html><head><title>Nothing</title></head><body></body></html>")
    write(
        root,
        "feed.jsonl",
        "\n".join(
            [
                json.dumps({"text": f"{B1}\n{B2}", "title": "Feed Story One"}),
                "{broken",
                json.dumps(
                    {"text": f"{B2}\n{B1}", "title": "Feed Story Two", "url": "https://x.org/2"}
                ),
            ]
        ),
    )
    return root


def test_prepare_batch_accounts_for_every_file_and_article(inputs, packs):
    plan = plan_files(find_input_files(inputs), {})
    staged = prepare_batch(plan.to_read, packs, max_bytes=10_000)

    assert [f.source_file for f in staged.files] == [
        "boilerplate.txt",
        "empty.txt",
        "feed.jsonl",
        "good.txt",
        "page.html",
        "picture.txt",
        "slides.pptx",
    ]
    assert sorted((d.source_file, d.item) for d in staged.documents) == [
        ("boilerplate.txt", 0),
        ("feed.jsonl", 1),
        ("feed.jsonl", 3),
        ("good.txt", 0),
        ("page.html", 0),
    ]
    assert sorted((a.raw.source_file, a.raw.item) for a in staged.articles) == [
        ("feed.jsonl", 1),
        ("feed.jsonl", 3),
        ("good.txt", 0),
    ]
    assert sorted((r.source_file, r.item, r.step, r.reason) for r in staged.rejected) == [
        ("boilerplate.txt", 0, "clean", "empty"),
        ("empty.txt", 0, "ingest", "empty"),
        ("feed.jsonl", 2, "ingest", "malformed"),
        ("page.html", 0, "clean", "extract_failed"),
        ("picture.txt", 0, "ingest", "binary"),
        ("slides.pptx", 0, "ingest", "unsupported_format"),
    ]
    # The balance: every document is cleaned or rejected by clean; every file gave something.
    cleaned_away = [r for r in staged.rejected if r.step == "clean"]
    assert len(staged.articles) + len(cleaned_away) == len(staged.documents)
    accounted = {d.source_file for d in staged.documents} | {r.source_file for r in staged.rejected}
    assert accounted == {f.source_file for f in staged.files}

    good = next(a for a in staged.articles if a.raw.source_file == "good.txt")
    assert good.title == HEADLINE
    assert good.paragraphs == (B1, B2)
    feed_two = next(a for a in staged.articles if a.raw.item == 3)
    assert (feed_two.title, feed_two.url, feed_two.paragraphs) == (
        "Feed Story Two",
        "https://x.org/2",
        (B2, B1),
    )


def test_prepare_batch_rejects_large_files_and_carries_versions(inputs, packs):
    known = {"good.txt": KnownFile("0" * 64, 4)}
    planned = [
        p
        for p in plan_files(find_input_files(inputs), known).to_read
        if p.file.source_file in {"good.txt", "feed.jsonl"}
    ]
    staged = prepare_batch(planned, packs, max_bytes=100)
    assert staged.documents == []
    assert staged.articles == []
    assert sorted((r.source_file, r.reason) for r in staged.rejected) == [
        ("feed.jsonl", "too_large"),
        ("good.txt", "too_large"),
    ]
    assert {f.source_file: f.version for f in staged.files} == {"good.txt": 5, "feed.jsonl": 1}


def test_prepare_batch_of_no_files(packs):
    staged = prepare_batch([], packs, max_bytes=100)
    assert (list(staged.files), staged.documents, staged.articles, staged.rejected) == (
        [],
        [],
        [],
        [],
    )


def test_prepare_batch_documents_carry_the_planned_version(inputs, packs):
    plan = plan_files(find_input_files(inputs), {"feed.jsonl": KnownFile("0" * 64, 6)})
    planned: list[PlannedFile] = [p for p in plan.to_read if p.file.source_file == "feed.jsonl"]
    staged = prepare_batch(planned, packs, max_bytes=10_000)
    assert Counter(d.version for d in staged.documents) == {7: 2}


# --- files that change, vanish or cannot be read between the scan and the read


def test_prepare_batch_records_the_bytes_it_read_not_what_the_scan_saw(tmp_path, packs):
    story = write(tmp_path, "story.txt", "\n\n".join([HEADLINE, B1]))
    gone = write(tmp_path, "gone.txt", "\n\n".join([HEADLINE, B2]))
    found = find_input_files(tmp_path)
    known = {"story.txt": KnownFile("0" * 64, 1, 1, 1)}  # changed: the scan hashes it
    plan = plan_files(found, known)
    scanned = {p.file.source_file: p.file for p in plan.to_read}
    assert scanned["story.txt"].sha256 == file_sha256(story)
    story.write_text("\n\n".join([HEADLINE, B1, B2]), encoding="utf-8")  # rewritten since
    gone.unlink()

    staged = prepare_batch(plan.to_read, packs, max_bytes=10_000)

    files = {f.source_file: f for f in staged.files}
    assert files["story.txt"] == InputFile(
        "story.txt", story.stat().st_size, file_sha256(story), 2, story.stat().st_mtime_ns
    )
    assert files["gone.txt"] == InputFile("gone.txt", 0, NOT_READ, 1, None)
    [article] = staged.articles
    assert article.paragraphs == (B1, B2)  # the content that was read and hashed
    assert [(r.source_file, r.reason) for r in staged.rejected] == [("gone.txt", "vanished")]


def test_plan_files_plans_paths_the_scan_cannot_read_once(tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")
    write(tmp_path, "gone.txt", "x")
    found = find_input_files(tmp_path)
    (tmp_path / "gone.txt").unlink()  # known and changed, then gone before the scan hashes it
    known = {"gone.txt": KnownFile("0" * 64, 3, 9, 9)}

    plan = plan_files(found, known)

    assert [(p.file.source_file, p.file.sha256, p.file.version) for p in plan.to_read] == [
        ("gone.txt", NOT_READ, 4),
        ("pipe.txt", NOT_READ, 1),
    ]
    # Next run: the pipe was quarantined unread, and is still a pipe: nothing new to say.
    again = plan_files(found[1:], {"pipe.txt": KnownFile(NOT_READ, 1, 0, None)})
    assert (list(again.to_read), again.unchanged) == ([], 1)
    # Once it is a readable file, it is read as its next version.
    (tmp_path / "pipe.txt").unlink()
    write(tmp_path, "pipe.txt", "now a file")
    [planned] = plan_files(
        find_input_files(tmp_path), {"pipe.txt": KnownFile(NOT_READ, 1, 0, None)}
    ).to_read
    assert (planned.file.source_file, planned.file.version) == ("pipe.txt", 2)


def test_planned_files_give_back_every_file_as_planned_one_or_a_slice_at_a_time(
    tmp_path, monkeypatch
):
    monkeypatch.setattr("copydesk.batch.PLANNED_CHUNK", 2)  # a slice across two chunks too
    planned = [
        PlannedFile(
            FoundFile(tmp_path / "a.txt", "a.txt", 10, 1_700_000_000_000_000_001),
            InputFile("a.txt", 10, NOT_READ, 1, 1_700_000_000_000_000_001),
        ),
        PlannedFile(
            FoundFile(tmp_path / "pipe", "pipe", 0, 0, ("unreadable", "not a regular file")),
            InputFile("pipe", 0, NOT_READ, 1, 0),
        ),
        PlannedFile(
            FoundFile(tmp_path / "d" / "caf\udce9.txt", "d/caf%E9.txt", 7, 5),  # not UTF-8
            InputFile("d/caf%E9.txt", 7, "ab" * 32, 3, 5),
        ),
    ]

    columns = PlannedFiles(planned)

    assert len(columns) == 3
    assert list(columns) == planned
    assert (columns[0], columns[-1]) == (planned[0], planned[-1])
    assert (list(columns[1:]), list(columns[::2])) == (planned[1:], planned[::2])
    assert isinstance(columns[1:], PlannedFiles)  # a batch's task walks it as one object
    assert list(columns.sizes()) == [10, 0, 7]
    with pytest.raises(IndexError):
        columns[3]
    assert list(PlannedFiles()) == []


def numbered_files(root: Path, count: int) -> list[PlannedFile]:
    """Planned files 0.txt, 1.txt, ...; file n is n bytes, modified at n ns."""
    return [
        PlannedFile(
            FoundFile(root / f"{n}.txt", f"{n}.txt", n, n), InputFile(f"{n}.txt", n, NOT_READ, 1, n)
        )
        for n in range(count)
    ]


def test_a_batch_of_planned_files_travels_as_its_own_rows(tmp_path):
    """A batch's task gets a slice: Dask's key for it comes from paths and versions (not from
    walking every file), and it pickles with its own rows, not the whole plan's."""
    planned = numbered_files(tmp_path, 1000)
    plan = PlannedFiles(planned)

    first, same, second = plan[0:10], plan[0:10], plan[10:20]

    assert tokenize(first) == tokenize(same) != tokenize(second)
    assert list(pickle.loads(pickle.dumps(second))) == planned[10:20]
    assert len(pickle.dumps(second)) < len(pickle.dumps(plan)) / 20


def test_a_slice_across_the_plans_chunks_holds_the_same_files(tmp_path, monkeypatch):
    monkeypatch.setattr("copydesk.batch.PLANNED_CHUNK", 3)  # a plan of several Arrow chunks
    planned = numbered_files(tmp_path, 10)
    plan = PlannedFiles(planned)

    assert plan._table["path"].num_chunks == 4
    for part in (slice(2, 8), slice(1, 10, 4), slice(8, 20), slice(5, 5)):
        assert list(plan[part]) == planned[part]
        assert list(plan[part].sizes()) == [p.found.size_bytes for p in planned[part]]


def test_a_plan_without_some_files_keeps_the_others_in_order(tmp_path, monkeypatch):
    monkeypatch.setattr("copydesk.batch.PLANNED_CHUNK", 3)  # names across chunks too
    planned = numbered_files(tmp_path, 8)
    staged = pa.chunked_array([["1.txt", "6.txt"], ["2.txt", "9.txt"]])  # 9.txt: not planned

    left = PlannedFiles(planned).without(staged)

    assert list(left) == [planned[n] for n in (0, 3, 4, 5, 7)]
    assert list(PlannedFiles(planned).without(pa.array([], pa.string()))) == planned
