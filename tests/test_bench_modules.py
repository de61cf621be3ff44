"""Every benchmark script imports: a name it borrows from copydesk or flows that was renamed
fails here, not on the day someone runs the benchmark."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

pytest.importorskip("psutil")  # in the bench dependency group

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.mark.parametrize("name", sorted(p.stem for p in BENCH.glob("*.py") if p.stem != "__init__"))
def test_the_benchmark_imports(name: str):
    module = importlib.import_module(f"bench.{name}")
    if "__main__" in (BENCH / f"{name}.py").read_text(encoding="utf-8"):
        assert callable(getattr(module, "main", None))  # a script; the rest are its helpers
