"""The run summary: where every input went, as data for the runs table, logs and artifacts."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from copydesk.batch import Plan
from copydesk.quality import ValidationReport


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

    @classmethod
    def from_counts(
        cls, run_id: str, plan: Plan, counts: dict, report: ValidationReport
    ) -> RunSummary:
        """The summary of a run from its plan, the warehouse counts and the validation report."""
        failed = [f"{o.expectation}({o.column})" for o in report.outcomes if not o.success]
        return cls(
            run_id=run_id,
            files_seen=plan.seen,
            files_unchanged=plan.unchanged,
            failed_expectations=failed,
            **counts,
        )

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
        return "\n".join(lines)


def article_failures(report: ValidationReport) -> dict[str, tuple[str, str]]:
    """article_id -> (quarantine reason, detail) for every article a check failed."""
    failures = {}
    for article_id, outcomes in report.article_failures().items():
        first = outcomes[0]
        detail = "; ".join(f"{o.expectation} on {o.column}" for o in outcomes)
        failures[article_id] = (first.reason or "boilerplate_left", f"failed {detail}")
    return failures
