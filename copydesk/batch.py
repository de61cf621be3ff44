"""One run's work split into batches: which files to read, and each batch read and cleaned."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from copydesk.boilerplate import RulePack
from copydesk.clean import clean_batch
from copydesk.ingest import FoundFile, file_sha256, read_input
from copydesk.records import NOT_READ, CleanArticle, InputFile, KnownFile, RawArticle, Rejected
from copydesk.site_boilerplate import LearnedLines, drop_learned_lines

log = logging.getLogger(__name__)
T = TypeVar("T")


def batched(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of `items` of `size` (the last may be shorter)."""
    if size < 1:
        raise ValueError(f"batch size must be at least 1, not {size}")
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True, slots=True)
class PlannedFile:
    """A file whose content the warehouse has not seen, with the version it becomes. `file`
    holds what the scan saw (its sha256 is NOT_READ when the scan did not hash it); the
    batch that reads the file records what it read instead."""

    found: FoundFile
    file: InputFile


@dataclass(frozen=True, slots=True)
class Plan:
    """The files a run will read and how many it skips as already ingested."""

    to_read: tuple[PlannedFile, ...]
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
    to_read, unchanged = [], 0
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
        file = InputFile(f.source_file, f.size_bytes, sha, version, f.mtime_ns)
        to_read.append(PlannedFile(f, file))
    log.info("%s files: %s to read, %s unchanged", len(found), len(to_read), unchanged)
    return Plan(tuple(to_read), unchanged)


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
