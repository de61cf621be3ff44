"""Near-duplicate benchmark: copydesk's MinHash + LSH (candidates joined in DuckDB, verified
exactly) against datasketch's MinHashLSH, on articles and paragraphs made from real text.

    uv run --all-groups python -m bench.neardup [--originals 800] [--paragraphs 4000] \
        [--paragraph-words 12] [--out bench/out/neardup.json]

Positives are realistic edits of real articles (dev pages, seeds): words changed, sentences
dropped, paragraphs swapped, boilerplate added, a teaser cut from the top, lines re-wrapped.
Negatives are every other pair, among them the five seeds: one event, shared quotes, five
different articles. Scores are over pairs: a predicted pair is right when both texts come from
the same original."""

from __future__ import annotations

import argparse
import random
import re
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import combinations
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from bench.common import write_json
from bench.corpus import dev_texts, seed_bodies
from copydesk.minhash import MinHasher, band_keys, overlaps, shingle_sets
from copydesk.near_duplicates import ARTICLES, MIN_CONTAINED, PARAGRAPHS
from copydesk.settings import Settings
from copydesk.text_keys import normalize_for_hash, words_for_hash

BOILERPLATE = [
    "Share this article",
    "Sign up for our newsletter",
    "Advertisement",
    "Read more: the latest from our newsroom",
    "Follow us on social media for updates.",
    "You have read 2 of 5 free articles this month.",
    "Copyright 2026. All rights reserved.",
    "Leave a Reply",
]
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Item:
    text: str
    group: int  # the original it was made from
    edit: str
    seed: bool = False  # one of the five seed articles (or a copy of one)


# --- edits --------------------------------------------------------------------------------


def change_words(paras: list[str], rng: random.Random, share: float = 0.03) -> list[str]:
    out = []
    for p in paras:
        words = p.split()
        for i in range(len(words)):
            if rng.random() < share:
                words[i] = rng.choice(["also", "new", "local", "major", "said", "reported"])
        out.append(" ".join(words))
    return out


def drop_sentences(paras: list[str], rng: random.Random) -> list[str]:
    sentences = [(i, s) for i, p in enumerate(paras) for s in _SENTENCE.split(p)]
    if len(sentences) < 6:
        return change_words(paras, rng)
    drop = set(rng.sample(range(len(sentences)), 2))
    kept: dict[int, list[str]] = {}
    for k, (i, s) in enumerate(sentences):
        if k not in drop:
            kept.setdefault(i, []).append(s)
    return [" ".join(kept[i]) for i in sorted(kept)]


def swap_paragraphs(paras: list[str], rng: random.Random) -> list[str]:
    if len(paras) < 3:
        return drop_sentences(paras, rng)
    out = list(paras)
    i = rng.randrange(len(out) - 1)
    out[i], out[i + 1] = out[i + 1], out[i]
    return out


def add_boilerplate(paras: list[str], rng: random.Random) -> list[str]:
    return rng.sample(BOILERPLATE, 2) + paras + rng.sample(BOILERPLATE, 2)


def teaser(paras: list[str], rng: random.Random) -> list[str]:
    words, out = 0, []
    for p in paras:
        out.append(p)
        words += len(p.split())
        if words >= 60:
            break
    return out + ["Read the full story"]


def rewrap(paras: list[str], rng: random.Random) -> list[str]:
    return [textwrap.fill(p, width=rng.choice([60, 72])) for p in paras]


ARTICLE_EDITS: dict[str, Callable[[list[str], random.Random], list[str]]] = {
    "words": change_words,
    "sentences": drop_sentences,
    "reorder": swap_paragraphs,
    "boilerplate": add_boilerplate,
    "teaser": teaser,
    "rewrap": rewrap,
}


def paragraph_edit(p: str, rng: random.Random, kind: str) -> str:
    words = p.split()
    if kind == "word":
        i = rng.randrange(len(words))
        words[i] = rng.choice(["also", "new", "local", "said"])
        return " ".join(words)
    if kind == "punctuation":
        return p.replace(",", "").replace("“", '"').replace("”", '"').upper()
    if kind == "sentence":
        parts = _SENTENCE.split(p)
        return " ".join(parts[:-1]) if len(parts) > 2 else p + " He added nothing more."
    return textwrap.fill(p, width=50)


# --- data ---------------------------------------------------------------------------------


def article_items(originals: int, rng: random.Random) -> list[Item]:
    pages = [t["text"].split("\n") for t in dev_texts()]
    pages = [[p for p in page if p.strip()] for page in pages]
    pages = [page for page in pages if sum(len(p.split()) for p in page) >= 150]
    rng.shuffle(pages)
    bases = pages[:originals] + list(seed_bodies().values())
    items, edits = [], list(ARTICLE_EDITS)
    for g, paras in enumerate(bases):
        seed = g >= len(bases) - 5
        items.append(Item("\n".join(paras), g, "original", seed))
        if g % 2 == 0 or seed:  # half of the originals get a copy, each with one kind of edit
            kind = edits[(g // 2) % len(edits)]
            items.append(Item("\n".join(ARTICLE_EDITS[kind](paras, rng)), g, kind, seed))
    return items


def paragraph_items(originals: int, rng: random.Random, min_words: int = 12) -> list[Item]:
    seen, paras = set(), []
    sources = [t["text"] for t in dev_texts()] + ["\n".join(b) for b in seed_bodies().values()]
    for text in sources:
        for p in text.split("\n"):
            key = normalize_for_hash(p)
            if len(key.split()) >= min_words and key not in seen:
                seen.add(key)
                paras.append(p.strip())
    rng.shuffle(paras)
    seeds = [p for b in seed_bodies().values() for p in b if len(p.split()) >= min_words]
    bases = paras[:originals] + [p for p in seeds if p not in paras[:originals]]
    items, kinds = [], ["word", "punctuation", "sentence", "rewrap"]
    for g, p in enumerate(bases):
        items.append(Item(p, g, "original"))
        if g % 2 == 0:
            kind = kinds[(g // 2) % len(kinds)]
            items.append(Item(paragraph_edit(p, rng, kind), g, kind))
    return items


# --- methods ------------------------------------------------------------------------------


def copydesk_candidates(
    texts: Sequence[str], lead_shingles: int | None, bands: int, rows: int, min_shingles: int = 0
) -> tuple[list[tuple[int, int, float, float, bool]], int]:
    """Candidate pairs as copydesk finds them (band keys of each text with at least
    `min_shingles` shingles, and of its lead for teasers, joined in DuckDB; texts equal once
    normalized share a hash), each with its exact Jaccard and containment and whether the
    smaller text is big enough for containment to count; and how many band rows that took."""
    hasher = MinHasher()
    tables = []
    words = [words_for_hash(t) for t in texts]
    full, leads = shingle_sets(hasher, words, lead_shingles or 0)
    keyed = np.array([i for i, s in enumerate(full) if len(s) >= min_shingles], dtype=np.int64)
    views = [("full", full)] + ([("lead", leads)] if lead_shingles else [])
    for kind, sets in views:
        keys = band_keys(hasher.signatures_of([sets[i] for i in keyed]), bands=bands, rows=rows)
        tables.append(
            pa.table(
                {
                    "doc": np.repeat(keyed, bands),
                    "kind": [kind] * (len(keyed) * bands),
                    "band": np.tile(np.arange(bands), len(keyed)),
                    "band_key": keys.ravel(),
                }
            )
        )
    con = duckdb.connect()
    band_table = pa.concat_tables(tables)
    con.register("bands", band_table)
    pairs = set(
        con.execute("""
        select distinct a.doc, b.doc
        from bands a join bands b using (kind, band, band_key)
        where a.doc < b.doc
    """).fetchall()
    )
    con.close()
    same_hash: dict[tuple[str, ...], list[int]] = {}
    for i, w in enumerate(words):
        same_hash.setdefault(tuple(w), []).append(i)
    pairs.update(pair for group in same_hash.values() for pair in combinations(group, 2))
    ordered = sorted(pairs)
    jac, cont = overlaps([full[i] for i, _ in ordered], [full[j] for _, j in ordered])
    verified = []
    for (i, j), jaccard, contained in zip(ordered, jac.tolist(), cont.tolist(), strict=True):
        big_enough = bool(lead_shingles) and min(len(full[i]), len(full[j])) >= MIN_CONTAINED
        verified.append((i, j, jaccard, contained, big_enough))
    return verified, band_table.num_rows


def accepted(
    candidates: Sequence[tuple[int, int, float, float, bool]], jaccard: float, containment: float
) -> set[tuple[int, int]]:
    """The candidate pairs the warehouse would cluster at these thresholds."""
    return {
        (i, j)
        for i, j, jac, cont, big_enough in candidates
        if jac >= jaccard or (big_enough and cont >= containment)
    }


def datasketch_pairs(texts: Sequence[str], threshold: float) -> set[tuple[int, int]]:
    """Pairs found by datasketch's MinHashLSH, used as its documentation shows."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    hashes = []
    for i, text in enumerate(texts):
        words = normalize_for_hash(text).split()
        grams = {" ".join(words[k : k + 3]).encode() for k in range(max(len(words) - 2, 1))}
        m = MinHash(num_perm=128)
        m.update_batch(list(grams))
        lsh.insert(i, m)
        hashes.append(m)
    return {(min(i, j), max(i, j)) for i, m in enumerate(hashes) for j in lsh.query(m) if i != j}


def score(found: set[tuple[int, int]], items: Sequence[Item]) -> dict:
    truth = set()
    by_group: dict[int, list[int]] = {}
    for i, item in enumerate(items):
        by_group.setdefault(item.group, []).append(i)
    for members in by_group.values():
        truth.update(combinations(members, 2))
    tp = len(found & truth)
    precision = tp / len(found) if found else 1.0
    recall = tp / len(truth) if truth else 1.0
    missed: dict[str, int] = {}
    for i, j in truth - found:
        kind = items[j].edit if items[j].edit != "original" else items[i].edit
        missed[kind] = missed.get(kind, 0) + 1
    return {
        "pairs_true": len(truth),
        "pairs_found": len(found),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(2 * precision * recall / (precision + recall), 4) if tp else 0.0,
        "missed_by_edit": missed,
    }


def seed_pairs(found: set[tuple[int, int]], items: Sequence[Item]) -> int:
    """Predicted pairs between two different seed articles or their copies (must be 0)."""
    return sum(
        1 for i, j in found if items[i].seed and items[j].seed and items[i].group != items[j].group
    )


def timed(fn: Callable[[], set]) -> tuple[set, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def run(originals: int, paragraphs: int, settings: dict, paragraph_words: int = 12) -> dict:
    rng = random.Random(7)
    report = {"settings": settings, "paragraph_words": paragraph_words}
    for level, items in (
        ("articles", article_items(originals, rng)),
        ("paragraphs", paragraph_items(paragraphs, rng, paragraph_words)),
    ):
        texts = [it.text for it in items]
        cfg = settings[level]
        start = time.perf_counter()
        candidates, band_rows = copydesk_candidates(
            texts, cfg["lead_shingles"], cfg["bands"], cfg["rows"], cfg["min_shingles"]
        )
        ours = accepted(candidates, cfg["jaccard"], cfg["containment"])
        t_ours = time.perf_counter() - start
        peer, t_peer = timed(partial(datasketch_pairs, texts, cfg["jaccard"]))
        report[level] = {
            "items": len(items),
            "copydesk": {
                **score(ours, items),
                "ms_per_item": round(1000 * t_ours / len(texts), 3),
                "candidates": len(candidates),
                "band_rows_per_item": round(band_rows / len(texts), 2),
            },
            "datasketch": {
                **score(peer, items),
                "ms_per_item": round(1000 * t_peer / len(texts), 3),
            },
        }
        if level == "articles":
            report[level]["copydesk"]["seed_pairs"] = seed_pairs(ours, items)
            report[level]["datasketch"]["seed_pairs"] = seed_pairs(peer, items)
        # How the thresholds were chosen: the same candidates accepted at other settings.
        report[level]["sweep"] = [
            {
                "jaccard": j,
                "containment": c,
                **{
                    k: v
                    for k, v in score(accepted(candidates, j, c), items).items()
                    if k in ("precision", "recall", "f1")
                },
            }
            for j in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
            for c in ((0.7, 0.8, 0.9) if cfg["lead_shingles"] else (cfg["containment"],))
        ]
    return report


def sweep_markdown(report: dict) -> str:
    lines = [
        "| level | Jaccard | containment | precision | recall | F1 |",
        "|---|---|---|---|---|---|",
    ]
    for level in ("articles", "paragraphs"):
        for r in report[level]["sweep"]:
            containment = r["containment"] if level == "articles" else "-"
            lines.append(
                f"| {level} | {r['jaccard']} | {containment} | {r['precision']:.3f} | "
                f"{r['recall']:.3f} | {r['f1']:.3f} |"
            )
    return "\n".join(lines)


def markdown(report: dict) -> str:
    lines = [
        "| level | method | items | true pairs | found | precision | recall | F1 | ms/item |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for level in ("articles", "paragraphs"):
        for method in ("copydesk", "datasketch"):
            r = report[level][method]
            lines.append(
                f"| {level} | {method} | {report[level]['items']} | {r['pairs_true']} | "
                f"{r['pairs_found']} | {r['precision']:.3f} | {r['recall']:.3f} | "
                f"{r['f1']:.3f} | {r['ms_per_item']:.2f} |"
            )
    return "\n".join(lines)


def defaults() -> dict:
    """The warehouse's own settings: thresholds from Settings, bands from
    copydesk.near_duplicates."""
    cfg = Settings()
    return {
        level: {
            "jaccard": cfg.near_jaccard,
            "containment": cfg.near_containment,
            "lead_shingles": spec.lead_shingles or None,
            "bands": spec.bands,
            "rows": spec.rows,
            "min_shingles": spec.min_shingles,
        }
        for level, spec in (("articles", ARTICLES), ("paragraphs", PARAGRAPHS))
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--originals", type=int, default=800, help="article originals")
    parser.add_argument("--paragraphs", type=int, default=4000, help="paragraph originals")
    parser.add_argument(
        "--paragraph-words",
        type=int,
        default=12,
        help="words a paragraph original needs (1: short lines too)",
    )
    parser.add_argument("--out", type=Path, default=Path("bench/out/neardup.json"))
    args = parser.parse_args()
    report = run(args.originals, args.paragraphs, defaults(), args.paragraph_words)
    write_json(args.out, report)
    print(markdown(report))
    print()
    print(sweep_markdown(report))
    for level in ("articles", "paragraphs"):
        for method in ("copydesk", "datasketch"):
            r = report[level][method]
            print(
                f"{level} {method}: missed by edit {r['missed_by_edit']}"
                + (f", pairs between seeds {r['seed_pairs']}" if "seed_pairs" in r else "")
                + (
                    f", {r['candidates']} candidate pairs, "
                    f"{r['band_rows_per_item']} band rows per item"
                    if "candidates" in r
                    else ""
                )
            )


if __name__ == "__main__":
    main()
