"""One run's work split into batches: which files to read, and each batch read and cleaned."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from copydesk.boilerplate import RulePack
from copydesk.clean import clean_batch
from copydesk.ingest import FoundFile, file_sha256, read_articles
from copydesk.records import CleanArticle, InputFile, KnownFile, RawArticle, Rejected

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
    """A file whose content the warehouse has not seen, with the version it becomes."""

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
    content hash is the known one is skipped after hashing it."""
    to_read, unchanged = [], 0
    for f in found:
        last = known.get(f.source_file)
        if last and (last.size_bytes, last.mtime_ns) == (f.size_bytes, f.mtime_ns):
            unchanged += 1
            continue
        sha = file_sha256(f.path)
        if last and sha == last.sha256:
            unchanged += 1
            continue
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
    files: Sequence[PlannedFile], packs: Sequence[RulePack], max_bytes: int
) -> CleanedBatch:
    """The files of one batch read, decoded, extracted and cleaned, with every rejection."""
    documents, rejected = [], []
    for planned in files:
        read = read_articles(planned.found, planned.file.version, max_bytes)
        documents.extend(read.kept)
        rejected.extend(read.rejected)
    cleaned = clean_batch(documents, packs)
    rejected.extend(cleaned.rejected)
    return CleanedBatch(
        files=[p.file for p in files],
        documents=documents,
        articles=cleaned.kept,
        rejected=rejected,
    )
