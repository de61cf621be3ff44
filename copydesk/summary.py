"""The run summary: where every input went, as data for the runs table, logs and artifacts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace

from copydesk.batch import Plan
from copydesk.quality import ValidationReport

# The stages of a run, in order, with the names the summary shows. Batches are cleaned ahead
# while the flow stages earlier ones, so read_clean (the sum of the cleaning tasks' own
# seconds) overlaps other stages; read_clean_wait is how long the flow waited for a batch
# while a cleaning task was running (waiting for a worker to start is not cleaning).
STAGES = {
    "scan": "scan",
    "read_clean": "read+clean",
    "read_clean_wait": "waiting for read+clean",
    "stage": "stage",
    "audit": "audit",
    "validate": "validate",
    "publish": "publish",
}
# The stages the flow runs one after another: their sum is copydesk's share of the flow's wall.
CRITICAL_PATH = tuple(s for s in STAGES if s != "read_clean")


@dataclass(frozen=True, slots=True)
class RunSummary:
    """Counts of one run; articles_read must equal published + duplicates + quarantined."""

    run_id: str
    files_seen: int
    files_unchanged: int
    files_ingested: int
    articles_read: int
    published: int
    duplicates: int
    quarantined: int
    removed_spans: int
    quarantine_by_reason: dict[str, int] = field(default_factory=dict)
    removals_by_reason: dict[str, int] = field(default_factory=dict)
    failed_expectations: list[str] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=dict)  # wall seconds, see STAGES

    @classmethod
    def from_counts(
        cls,
        run_id: str,
        plan: Plan,
        counts: dict,
        report: ValidationReport,
        stage_seconds: dict[str, float] | None = None,
    ) -> RunSummary:
        """The summary of a run from its plan, the warehouse counts, the validation report and
        the seconds its stages took so far."""
        failed = [f"{o.expectation}({o.column})" for o in report.outcomes if not o.success]
        return cls(
            run_id=run_id,
            files_seen=plan.seen,
            files_unchanged=plan.unchanged,
            failed_expectations=failed,
            stage_seconds=_rounded(stage_seconds or {}),
            **counts,
        )

    def with_stage_seconds(self, **seconds: float) -> RunSummary:
        """A copy with these stages' seconds set (publish is timed after the summary exists)."""
        return replace(self, stage_seconds=_rounded({**self.stage_seconds, **seconds}))

    @property
    def balanced(self) -> bool:
        return self.articles_read == self.published + self.duplicates + self.quarantined

    def check_balance(self) -> None:
        """Raise when an article was lost or counted twice: nothing may vanish."""
        if not self.balanced:
            raise AssertionError(
                f"run {self.run_id} does not balance: read {self.articles_read}, published "
                f"{self.published} + duplicates {self.duplicates} + quarantined {self.quarantined}"
            )

    def as_row(self) -> dict:
        """The summary as columns of audit.runs."""
        return asdict(self)

    def table_rows(self) -> list[dict]:
        """One row per count, for a Prefect table artifact."""
        rows = [{"what": k, "count": v} for k, v in asdict(self).items() if isinstance(v, int)]
        rows += [
            {"what": f"quarantined: {k}", "count": v} for k, v in self.quarantine_by_reason.items()
        ]
        rows += [{"what": f"removed: {k}", "count": v} for k, v in self.removals_by_reason.items()]
        return rows

    def one_line(self) -> str:
        """The headline counts on one line."""
        return (
            f"{self.files_seen} files ({self.files_unchanged} unchanged); "
            f"{self.articles_read} articles read = {self.published} published + "
            f"{self.duplicates} duplicates + {self.quarantined} quarantined; "
            f"{self.removed_spans} spans removed"
        )

    def stage_line(self) -> str:
        """Seconds per stage on one line, in run order."""
        seconds, parts = self.stage_seconds, []
        for stage, label in STAGES.items():
            if stage not in seconds or stage == "read_clean_wait":
                continue
            part = f"{label} {seconds[stage]:.1f}"
            if stage == "read_clean" and "read_clean_wait" in seconds:
                part += f" (waited {seconds['read_clean_wait']:.1f})"
            parts.append(part)
        return "seconds: " + ", ".join(parts)

    def markdown(self) -> str:
        """The summary as a Markdown report."""
        lines = [
            f"# copydesk run `{self.run_id}`",
            "",
            self.one_line(),
            "",
            "| what | count |",
            "|---|---|",
        ]
        lines += [f"| {r['what']} | {r['count']} |" for r in self.table_rows()]
        check = "balanced" if self.balanced else "NOT balanced"
        lines += ["", f"Every article read is published, a duplicate or quarantined: {check}."]
        if self.stage_seconds:
            lines += ["", "| stage | wall seconds |", "|---|---|"]
            lines += [
                f"| {label} | {self.stage_seconds[stage]:.2f} |"
                for stage, label in STAGES.items()
                if stage in self.stage_seconds
            ]
        return "\n".join(lines)


def covered_seconds(
    waits: Sequence[tuple[float, float]], busy: Sequence[tuple[float, float]]
) -> float:
    """Seconds of the (start, end) spans `waits` during which at least one `busy` span ran."""
    merged: list[list[float]] = []
    for start, end in sorted(busy):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    total, first = 0.0, 0
    for start, end in sorted(waits):
        while first < len(merged) and merged[first][1] <= start:
            first += 1  # busy spans that ended before this wait cannot cover a later one
        for busy_start, busy_end in merged[first:]:
            if busy_start >= end:
                break
            total += min(end, busy_end) - max(start, busy_start)
    return total


def critical_path_seconds(stage_seconds: dict[str, float]) -> float:
    """Seconds of the stages the flow ran one after another (CRITICAL_PATH)."""
    return sum(stage_seconds.get(s, 0.0) for s in CRITICAL_PATH)


def _rounded(seconds: dict[str, float]) -> dict[str, float]:
    return {stage: round(value, 3) for stage, value in seconds.items()}
