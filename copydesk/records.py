"""Records that travel between pipeline steps, and the closed set of reason codes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Generic, TypeVar

# Why a paragraph left a body, and why a file or article went to quarantine. One closed set:
# a rule pack, a step or an expectation naming anything else is an error.
REMOVAL_REASONS = frozenset(
    {
        "paywall",
        "cta",
        "comments",
        "author_bio",
        "promo",
        "section_label",
        "navigation",
        "byline",
        "caption",
        "duplicate_exact",
        "duplicate_near",
        # A line recurring in many articles of one site, learned from the warehouse.
        "site_boilerplate",
    }
)
QUARANTINE_REASONS = frozenset(
    {
        "empty",
        "binary",
        "undecodable",
        "too_large",
        "unsupported_format",
        "malformed",
        "extract_failed",
        "too_short",
        "boilerplate_left",
        "mojibake",
        # The input folder: a path that cannot be read as a file (no permission, not a
        # regular file, a broken or looping link, a folder that cannot be listed)...
        "unreadable",
        # ...one deleted between the scan and its read...
        "vanished",
        # ...a link whose target lies outside the input folder (see follow_symlinks)...
        "outside_input",
        # ...and a folder nested deeper than the scan goes.
        "too_deep",
    }
)
REASONS = REMOVAL_REASONS | QUARANTINE_REASONS

# The sha256 recorded for a path whose bytes could not be read (unreadable, vanished, outside
# the input folder): nothing was read, so there is no content hash. Such a row is recorded
# without its modification time, so a later run looks at the path again.
NOT_READ = ""


def check_reason(reason: str) -> str:
    """The reason itself, after checking it belongs to REASONS."""
    if reason not in REASONS:
        raise ValueError(f"unknown reason code {reason!r}; known: {sorted(REASONS)}")
    return reason


@dataclass(frozen=True, slots=True)
class InputFile:
    """One file found under the input folder, with what ingest made of it."""

    source_file: str  # path relative to the input folder, with forward slashes
    size_bytes: int
    sha256: str
    version: int  # 1 for the first content seen at this path, then +1 per change
    mtime_ns: int | None = None  # when the file was last modified, as found


@dataclass(frozen=True, slots=True)
class KnownFile:
    """The latest version of a path the warehouse has ingested."""

    sha256: str
    version: int
    size_bytes: int | None = None
    mtime_ns: int | None = None  # None for files ingested before copydesk recorded it


@dataclass(frozen=True, slots=True)
class RawArticle:
    """One article as read from an input file: a whole .txt/.html file or one .jsonl line."""

    article_id: str
    source_file: str
    item: int  # line number in a .jsonl file (1-based), 0 for a whole file
    version: int
    format: str  # "text" or "html"
    content: str
    encoding: str = "utf-8"
    url: str | None = None
    source: str | None = None
    title: str | None = None
    published: str | None = None


@dataclass(frozen=True, slots=True)
class Removal:
    """A span taken out of an article body, with the reason and the rule that took it."""

    position: int  # index of the paragraph in the article's paragraph split
    text: str
    reason: str
    rule_id: str


@dataclass(frozen=True, slots=True)
class CleanArticle:
    """An article after extraction and cleaning, ready for cross-article dedup and loading."""

    raw: RawArticle
    title: str | None
    paragraphs: tuple[str, ...]
    positions: tuple[int, ...]  # each body paragraph's index in the article's paragraph split
    captions: tuple[str, ...]
    removals: tuple[Removal, ...]
    truncated: bool
    language: str | None
    authors: str | None = None
    published_at: str | None = None
    url: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Rejected:
    """A file or article that goes to quarantine instead of on through the pipeline."""

    source_file: str
    item: int
    step: str
    reason: str
    detail: str = ""
    article_id: str | None = None
    original_text: str | None = None

    def __post_init__(self) -> None:
        check_reason(self.reason)


T = TypeVar("T")


@dataclass(slots=True)
class StepResult(Generic[T]):
    """What a step kept and rejected out of a batch; kept plus rejected equals received."""

    step: str
    received: int
    kept: list[T] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    @classmethod
    def start(cls, step: str, received: int) -> StepResult[T]:
        return cls(step=step, received=received)

    def keep(self, item: T) -> None:
        self.kept.append(item)

    def reject(self, rejected: Rejected) -> None:
        self.rejected.append(rejected)

    def check_balance(self) -> None:
        """Raise when an item was lost or counted twice."""
        if len(self.kept) + len(self.rejected) != self.received:
            raise AssertionError(
                f"{self.step}: received {self.received}, kept {len(self.kept)}, "
                f"rejected {len(self.rejected)}"
            )

    def counts(self) -> dict[str, int]:
        """Kept, rejected and rejected-by-reason counts of this step."""
        by_reason = Counter(r.reason for r in self.rejected)
        return {
            "received": self.received,
            "kept": len(self.kept),
            "rejected": len(self.rejected),
            **{f"rejected.{k}": v for k, v in by_reason.items()},
        }
