"""The cleaning-quality floor: the real cleaner (clean_batch with the shipped rule packs) on the
fixtures in tests/fixtures/quality, articles written for the project with gold labels, so this
gate runs everywhere and never skips. Scores are over the whole fixture set, line by line:

- body precision: kept body paragraphs that gold labels body, over all kept paragraphs;
- body recall: gold body lines the cleaner kept, over all gold body lines;
- caption recall: gold captions found in the article's captions;
- title accuracy: fixtures whose title is the gold title (no title where gold has none).

Each score must stay at or above its floor in FLOORS, pinned a little below what the cleaner
scored when the floor was last set; and in every fixture each line labelled body must be kept
and no line labelled paywall or comments may be left in the body.

Raising the floors: when a change raises a score, run
`uv run pytest tests/test_quality_floor.py -q -s` to see the scores (a table per fixture, then
the totals), and set that floor to the new score minus 0.02, rounded down to two decimals
(0.9134 -> 0.89); write the measured score in the comment beside it. Never lower a floor to let
a change pass without saying why in the commit. A gold label that turns out to be wrong is
fixed in gold.json (see the folder's README), and the floors set again from the new scores.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from copydesk.clean import clean_batch, fix_unicode, split_paragraphs
from copydesk.records import REMOVAL_REASONS, CleanArticle, RawArticle

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "quality"
GOLD: dict[str, dict] = json.loads((FIXTURES / "gold.json").read_text(encoding="utf-8"))
LABELS = {"title", "body", "caption", "boilerplate"}
NEVER_IN_BODY = {"paywall", "comments"}  # boilerplate no fixture may leak into a body

# Scores after the cleaning work of issue 14 (merged at main, 2026-11-29): the cleaner now
# keeps captions with a credit at the end and finds more headlines on these fixtures.
FLOORS = {
    "body_precision": 0.88,  # measured 0.907
    "body_recall": 0.98,  # measured 1.000
    "caption_recall": 0.86,  # measured 0.889
    "title_accuracy": 0.83,  # measured 0.857
}


def squash(text: str) -> str:
    """NFKC with every white space removed: the cleaner may restore lost spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@dataclass(frozen=True, slots=True)
class Tally:
    """Counts of one fixture (or of all of them) against gold."""

    kept: int = 0  # paragraphs the cleaner left in the body
    kept_body: int = 0  # of those, lines gold labels body
    body: int = 0  # gold body lines
    captions: int = 0  # gold captions
    captions_found: int = 0
    titles: int = 0
    titles_right: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(*(a + b for a, b in zip(self.counts(), other.counts(), strict=True)))

    def counts(self) -> tuple[int, ...]:
        return (
            self.kept,
            self.kept_body,
            self.body,
            self.captions,
            self.captions_found,
            self.titles,
            self.titles_right,
        )

    def scores(self) -> dict[str, float]:
        """Precision, recall, caption recall and title accuracy (1.0 where nothing to count)."""
        return {
            "body_precision": self.kept_body / self.kept if self.kept else 1.0,
            "body_recall": self.kept_body / self.body if self.body else 1.0,
            "caption_recall": self.captions_found / self.captions if self.captions else 1.0,
            "title_accuracy": self.titles_right / self.titles if self.titles else 1.0,
        }


def tally(article: CleanArticle, gold: dict) -> Tally:
    """How one cleaned article compares with its gold labels."""
    kept = Counter(squash(p) for p in article.paragraphs)
    body = Counter(squash(p) for p in gold["body"])
    found = Counter(squash(c) for c in article.captions) & Counter(map(squash, gold["captions"]))
    want_title = gold["title"] and squash(gold["title"])
    got_title = article.title and squash(article.title)
    return Tally(
        kept=sum(kept.values()),
        kept_body=sum((kept & body).values()),
        body=sum(body.values()),
        captions=len(gold["captions"]),
        captions_found=sum(found.values()),
        titles=1,
        titles_right=int(want_title == got_title),
    )


def fixture_article(name: str) -> RawArticle:
    """A fixture file as the reader hands it to the cleaner: a page dump or an HTML page."""
    return RawArticle(
        article_id=name,
        source_file=name,
        item=0,
        version=1,
        format=GOLD[name]["format"],
        content=(FIXTURES / name).read_text(encoding="utf-8"),
    )


@pytest.fixture(scope="module")
def cleaned(packs) -> dict[str, CleanArticle]:
    """Every fixture cleaned in one batch, by file name."""
    result = clean_batch([fixture_article(name) for name in GOLD], packs)
    assert not result.rejected, [(r.source_file, r.reason, r.detail) for r in result.rejected]
    return {a.raw.source_file: a for a in result.kept}


# --- the fixtures and their gold labels agree


def test_every_fixture_file_has_gold_labels():
    files = {p.name for p in FIXTURES.iterdir() if p.name not in ("gold.json", "README.md")}
    assert files == set(GOLD)
    assert len(GOLD) >= 12


@pytest.mark.parametrize("name", sorted(GOLD))
def test_gold_labels_are_well_formed(name):
    gold = GOLD[name]
    paragraphs = gold["paragraphs"]
    assert {p["label"] for p in paragraphs} <= LABELS
    assert all(p["reason"] in REMOVAL_REASONS for p in paragraphs if p["label"] == "boilerplate")
    assert gold["body"] == [p["text"] for p in paragraphs if p["label"] == "body"]
    assert gold["captions"] == [p["text"] for p in paragraphs if p["label"] == "caption"]
    titles = [p["text"] for p in paragraphs if p["label"] == "title"]
    assert titles == ([gold["title"]] if gold["title"] else [])
    if gold["format"] == "text":
        # every line of a page dump is labelled, at its index in the cleaner's split
        split = split_paragraphs(fix_unicode((FIXTURES / name).read_text(encoding="utf-8")))
        assert [(p["i"], p["text"]) for p in paragraphs] == list(enumerate(split))


# --- the floors


def test_cleaning_scores_stay_at_or_above_the_floors(cleaned):
    rows = {name: tally(cleaned[name], GOLD[name]) for name in sorted(GOLD)}
    total = sum(rows.values(), Tally())
    scores = total.scores()
    print()
    print(f"{'fixture':<36} {'kept':>5} {'body':>5} {'P':>6} {'R':>6} {'cap':>5} {'title':>5}")
    for name, row in rows.items():
        s = row.scores()
        print(
            f"{name:<36} {row.kept:>5} {row.body:>5} {s['body_precision']:>6.3f} "
            f"{s['body_recall']:>6.3f} {row.captions_found}/{row.captions:<3} "
            f"{'ok' if row.titles_right else 'MISS':>5}"
        )
    measured = ", ".join(f"{k} {v:.3f} (floor {FLOORS[k]:.2f})" for k, v in scores.items())
    print(f"scores: {measured}")
    below = [k for k, v in scores.items() if v < FLOORS[k]]
    assert not below, f"below the floor: {', '.join(below)}; measured: {measured}"


@pytest.mark.parametrize("name", sorted(GOLD))
def test_every_body_line_is_kept(cleaned, name):
    kept = Counter(squash(p) for p in cleaned[name].paragraphs)
    lost = [p for p in GOLD[name]["body"] if not kept[squash(p)]]
    assert not lost, f"{name}: body lines lost: {lost}"


@pytest.mark.parametrize("name", sorted(GOLD))
def test_no_paywall_or_comment_line_leaks_into_the_body(cleaned, name):
    kept = {squash(p) for p in cleaned[name].paragraphs}
    leaked = [
        (p["reason"], p["text"])
        for p in GOLD[name]["paragraphs"]
        if p.get("reason") in NEVER_IN_BODY and squash(p["text"]) in kept
    ]
    assert not leaked, f"{name}: left in the body: {leaked}"


def test_tally_counts_lines_against_gold():
    gold = {"title": "T", "body": ["a b", "c d"], "captions": ["x"], "paragraphs": []}
    raw = fixture_article(sorted(GOLD)[0])
    article = CleanArticle(
        raw=raw,
        title="T",
        paragraphs=("a  b", "junk"),
        positions=(1, 2),
        captions=(),
        removals=(),
        truncated=False,
        language="en",
    )
    assert tally(article, gold).scores() == {
        "body_precision": 0.5,
        "body_recall": 0.5,
        "caption_recall": 0.0,
        "title_accuracy": 1.0,
    }
