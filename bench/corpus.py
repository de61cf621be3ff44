"""Real article text for the benchmarks: the main text of the dev pages and the seed bodies.

The dev pages (trafilatura's evaluation set, ../shared/dev) are unpacked into a temporary
folder and never into the repository; their extracted text is cached under bench/out/."""

from __future__ import annotations

import json
import os
import tarfile
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import trafilatura

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
DEV_TARBALL = SHARED / "dev" / "trafilatura-eval.tar.gz"
SEEDS = SHARED / "seeds"
CACHE = REPO / "bench" / "out" / "dev_texts.json"


def _extract(path: str) -> str:
    html = Path(path).read_bytes()
    return trafilatura.extract(html) or ""


def dev_texts() -> list[dict]:
    """[{"url", "text"}] for every dev page with an extractable main text (cached)."""
    if CACHE.exists():
        return json.loads(CACHE.read_text(encoding="utf-8"))
    if not DEV_TARBALL.exists():
        raise FileNotFoundError(f"dev pages not found: {DEV_TARBALL}")
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(DEV_TARBALL) as tar:
            tar.extractall(tmp, filter="data")
        root = next(Path(tmp).rglob("evaldata.json")).parent
        evaldata = json.loads((root / "evaldata.json").read_text(encoding="utf-8"))
        urls = sorted(evaldata)
        paths = [str(root / "html" / evaldata[u]["file"]) for u in urls]
        with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            texts = list(pool.map(_extract, paths, chunksize=8))
    pages = [{"url": u, "text": t} for u, t in zip(urls, texts, strict=True) if t.strip()]
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    CACHE.write_text(json.dumps(pages, ensure_ascii=False), encoding="utf-8")
    return pages


def seed_bodies() -> dict[str, list[str]]:
    """The gold body paragraphs of each seed article, by file name."""
    gold = json.loads((SEEDS / "gold.json").read_text(encoding="utf-8"))
    return {name: entry["body"] for name, entry in gold.items()}
