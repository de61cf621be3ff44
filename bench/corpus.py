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

from bench.common import OUT, REPO

SHARED = REPO.parent / "shared"
DEV_TARBALL = SHARED / "dev" / "trafilatura-eval.tar.gz"
SEEDS = SHARED / "seeds"
CACHE = OUT / "dev_texts.json"


def unpack_dev_pages(into: Path, tarball: Path = DEV_TARBALL) -> tuple[Path, dict]:
    """The dev pages unpacked into `into`: the folder holding evaldata.json (the pages are in
    its html/ folder), and evaldata.json parsed."""
    if not tarball.exists():
        raise FileNotFoundError(f"dev pages not found: {tarball}")
    with tarfile.open(tarball) as tar:
        tar.extractall(into, filter="data")
    found = sorted(into.rglob("evaldata.json"))
    if not found:
        raise FileNotFoundError(f"no evaldata.json in {tarball}")
    return found[0].parent, json.loads(found[0].read_text(encoding="utf-8"))


def _extract(path: str) -> str:
    html = Path(path).read_bytes()
    return trafilatura.extract(html) or ""


def dev_texts() -> list[dict]:
    """[{"url", "text"}] for every dev page with an extractable main text (cached)."""
    if CACHE.exists():
        return json.loads(CACHE.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        root, evaldata = unpack_dev_pages(Path(tmp))
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
