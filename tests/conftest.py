"""Shared fixtures of the fast unit tests: the seed articles, their gold labels, the rule packs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from copydesk.boilerplate import RulePack, load_rule_packs

# The repository sits beside a `shared/` folder that holds the seed articles.
SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"


@pytest.fixture
def seeds_dir() -> Path:
    """The folder of seed articles; the test is skipped when it is not beside the repository."""
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds not found: the seed articles live beside the repository")
    return SEEDS


@pytest.fixture
def gold(seeds_dir: Path) -> dict[str, dict]:
    """The gold annotation of the seed articles, keyed by file name."""
    return json.loads((seeds_dir / "gold.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def packs() -> tuple[RulePack, ...]:
    """The shipped rule packs."""
    return load_rule_packs()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The fast tests first, the e2e ones (real Prefect flows) last: a broken unit shows in
    seconds, not after minutes of flow runs. The sort is stable: order within each group stays."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)
