"""One run's work split into batches: which files to read, and each batch read and cleaned."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import overload

import pyarrow as pa
import pyarrow.compute as pc

from copydesk.boilerplate import RulePack
from copydesk.clean import clean_batch
from copydesk.ingest import FoundFile, file_sha256, read_input
from copydesk.records import NOT_READ, CleanArticle, InputFile, KnownFile, RawArticle, Rejected
from copydesk.site_boilerplate import LearnedLines, drop_learned_lines

log = logging.getLogger(__name__)

# A batch also closes at this many bytes of input (a larger file makes a batch alone): what a
# worker holds and returns grows with the bytes, and 500 HTML pages can be a hundred times
# the bytes of 500 text files (the dev pages: 137 KB each; the text corpus: 8 KB).
BATCH_BYTES = 32 * 2**20  # the --batch-size help and the README say so


def batch_slices(sizes: Iterable[int], max_files: int, max_bytes: int = BATCH_BYTES) -> list[slice]:
    """Consecutive runs of files, given their sizes in order: each at most `max_files` files
    and `max_bytes` bytes, or one file larger than that."""
    if max_files < 1:
        raise ValueError(f"batch size must be at least 1, not {max_files}")
    slices, start, held, at = [], 0, 0, -1
    for at, size in enumerate(sizes):
        if at > start and (at - start == max_files or held + size > max_bytes):
            slices.append(slice(start, at))
            start, held = at, 0
        held += size
    if at >= start:
        slices.append(slice(start, at + 1))
    return slices


@dataclass(frozen=True, slots=True)
class PlannedFile:
    """A file whose content the warehouse has not seen, with the version it becomes. `file`
    holds what the scan saw (its sha256 is NOT_READ when the scan did not hash it); the
    batch that reads the file records what it read instead."""

    found: FoundFile
    file: InputFile


PLANNED_CHUNK = 50_000  # files PlannedFiles turns into columns at a time
# The columns PlannedFiles keeps a file in: its FoundFile's and its InputFile's fields.
PLANNED_COLUMNS = {
    "path": pa.binary(),  # as the file system gave it: a name need not be UTF-8
    "source_file": pa.string(),
    "size_bytes": pa.int64(),
    "mtime_ns": pa.int64(),
    "problem_reason": pa.string(),
    "problem_detail": pa.string(),
    "sha256": pa.string(),
    "version": pa.int64(),
}


class PlannedFiles(Sequence[PlannedFile]):
    """The files a run will read, in order, kept as Arrow columns for the whole run (a million
    files: 130 MB; as PlannedFile objects the flow held 680 MB, bench/plan_memory.py); a file
    is made a PlannedFile when it is asked for. A slice is a PlannedFiles of its own rows, and
    that is what a batch's task is given: Prefect walks a task's arguments for futures and Dask
    hashes them for the task's key, which for 500 PlannedFile objects took about a tenth of a
    second of the flow's time per batch; they see this as one object."""

    def __init__(self, planned: Iterable[PlannedFile] = ()) -> None:
        schema = pa.schema(PLANNED_COLUMNS)
        parts, files = [], iter(planned)
        while chunk := list(islice(files, PLANNED_CHUNK)):  # a chunk's rows in Python at once
            rows = [
                (
                    os.fsencode(p.found.path),
                    p.found.source_file,
                    p.found.size_bytes,
                    p.found.mtime_ns,
                    *(p.found.problem or (None, None)),
                    p.file.sha256,
                    p.file.version,
                )
                for p in chunk
            ]
            columns = zip(zip(*rows, strict=True), schema.types, strict=True)
            parts.append(pa.record_batch([pa.array(v, kind) for v, kind in columns], schema=schema))
        self._table = pa.Table.from_batches(parts, schema)

    @classmethod
    def _of(cls, table: pa.Table) -> PlannedFiles:
        files = cls.__new__(cls)
        files._table = table
        return files

    def __len__(self) -> int:
        return self._table.num_rows

    @property
    def table(self) -> pa.Table:
        """The files as Arrow columns (PLANNED_COLUMNS), for SQL over the plan."""
        return self._table

    def without(self, source_files: pa.Array | pa.ChunkedArray) -> PlannedFiles:
        """These files but those named in `source_files`, in the same order."""
        if isinstance(source_files, pa.ChunkedArray):
            source_files = source_files.combine_chunks()
        named = pc.is_in(self._table["source_file"], value_set=source_files)
        return PlannedFiles._of(self._table.filter(pc.invert(named)))

    def sizes(self) -> Iterator[int]:
        """Each file's size as the scan saw it, in order."""
        for part in self._table["size_bytes"].chunks:
            yield from part.to_pylist()

    def __iter__(self) -> Iterator[PlannedFile]:
        for part in self._table.to_batches(max_chunksize=PLANNED_CHUNK):
            yield from map(_planned, part.to_pylist())

    @overload
    def __getitem__(self, index: int) -> PlannedFile: ...

    @overload
    def __getitem__(self, index: slice) -> PlannedFiles: ...

    def __getitem__(self, index: int | slice) -> PlannedFile | PlannedFiles:
        if isinstance(index, slice):
            # A copy of the rows: a slice of an Arrow table pickles with the whole table's
            # buffers. Taken from the slice: a take from the whole plan joined its chunks first
            # (23 ms a batch from a million files' plan, 0.3 ms this way).
            start, stop, step = index.indices(len(self))
            part = self._table.slice(start, max(0, stop - start))
            return PlannedFiles._of(part.take(pa.array(range(0, len(part), step), pa.int64())))
        at = index + len(self) if index < 0 else index
        if not 0 <= at < len(self):
            raise IndexError(f"planned file {index} of {len(self)}")
        return _planned(self._table.slice(at, 1).to_pylist()[0])

    def __dask_tokenize__(self) -> tuple:
        # What tells batches apart, in a few list conversions (see the class's doc).
        return (type(self).__name__, *(self._table[c].to_pylist() for c in ("path", "version")))


def _planned(row: dict) -> PlannedFile:
    reason, detail = row["problem_reason"], row["problem_detail"]
    found = FoundFile(
        Path(os.fsdecode(row["path"])),
        row["source_file"],
        row["size_bytes"],
        row["mtime_ns"],
        None if reason is None else (reason, detail),
    )
    file = InputFile(
        row["source_file"], row["size_bytes"], row["sha256"], row["version"], row["mtime_ns"]
    )
    return PlannedFile(found, file)


@dataclass(frozen=True, slots=True)
class Plan:
    """The files a run will read and how many it skips as already ingested."""

    to_read: PlannedFiles
    unchanged: int

    @property
    def seen(self) -> int:
        return len(self.to_read) + self.unchanged


def plan_files(found: Sequence[FoundFile], known: Mapping[str, KnownFile]) -> Plan:
    """New and changed files to read. A known path with the size and modification time it
    had is skipped without reading it (so a +1% run does not read the other 99%); one whose
    content hash is the known one is skipped after hashing it. A new path is not hashed here:
    its one read, in prepare_batch, hashes it. A path the scan could not take as a file (see
    FoundFile.problem) is planned, to be quarantined, unless it was already quarantined
    unread last time."""
    unchanged = 0

    def to_read() -> Iterator[PlannedFile]:
        nonlocal unchanged
        for f in found:
            last = known.get(f.source_file)
            if f.problem:
                if last and last.sha256 == NOT_READ:
                    unchanged += 1
                    continue
                sha = NOT_READ
            elif last and (last.size_bytes, last.mtime_ns) == (f.size_bytes, f.mtime_ns):
                unchanged += 1
                continue
            elif last:
                try:
                    sha = file_sha256(f.path)
                except OSError as exc:  # the read step meets it again and quarantines the file
                    log.debug("cannot hash %s: %s", f.source_file, exc.strerror)
                    sha = NOT_READ
                if sha == last.sha256:
                    unchanged += 1
                    continue
            else:
                sha = NOT_READ
            version = last.version + 1 if last else 1
            yield PlannedFile(f, InputFile(f.source_file, f.size_bytes, sha, version, f.mtime_ns))

    planned = PlannedFiles(to_read())  # each file's columns taken as it is planned
    log.info("%s files: %s to read, %s unchanged", len(found), len(planned), unchanged)
    return Plan(planned, unchanged)


@dataclass(frozen=True, slots=True)
class CleanedBatch:
    """Everything one batch of files produced, before it is shaped for staging."""

    files: Sequence[InputFile]
    documents: Sequence[RawArticle]
    articles: Sequence[CleanArticle]
    rejected: Sequence[Rejected]


def prepare_batch(
    files: Sequence[PlannedFile],
    packs: Sequence[RulePack],
    max_bytes: int,
    learned: LearnedLines | None = None,
) -> CleanedBatch:
    """The files of one batch read, decoded, extracted and cleaned, with every rejection.
    Each file is read once; its `files` row records the size, time and SHA-256 of the bytes
    read, whatever the scan saw. `learned` site lines leave the bodies after the cleaner."""
    documents, rejected, read_files = [], [], []
    for planned in files:
        file, read = read_input(planned.found, planned.file.version, max_bytes)
        read_files.append(file)
        documents.extend(read.kept)
        rejected.extend(read.rejected)
    cleaned = clean_batch(documents, packs)
    rejected.extend(cleaned.rejected)
    articles = cleaned.kept
    if learned:
        without_learned = drop_learned_lines(articles, learned)
        rejected.extend(without_learned.rejected)
        articles = without_learned.kept
    return CleanedBatch(
        files=read_files,
        documents=documents,
        articles=articles,
        rejected=rejected,
    )
