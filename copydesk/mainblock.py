"""The main text of a full-page text dump: which lines are the article and which are the page
around it (menus, link lists, footers), judged from each line and its neighbours.

Each line gets a class from its length and its share of stopwords (the idea of jusText's
paragraph classes): body text is long and full of function words, a menu entry is short and
has none. Each class is worth characters for or against (good and near-good text for, short
and bad lines against), and the article is every run of lines whose sum stays positive (the
maximum-sum runs of Kadane's algorithm), so a short line between two body paragraphs stays
and a run of menu entries goes. A run worth much less than the best one goes too."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from copydesk.language import STOPWORD_SETS, WORD, detect_language, stopword_share

GOOD, NEAR, SHORT, BAD = "good", "near", "short", "bad"
SAMPLE_CHARS = 5000  # of a dump's text lines, to tell its language

_LIST_MARK = re.compile(r"^(?:[*+•·▪►»›>-]|\d{1,2}[.)])\s+")
_SENTENCE_END = re.compile(r"[.!?…:;。！？][”\"’')\]」]*$")
_SENTENCE_BREAK = re.compile(r"[.!?][”\"’']? +[“\"‘]?[A-Z]")
_TRAILING_CLOSERS = "”\"’')]"
_ABBREVIATION_END = re.compile(r"\b(?:[A-Za-z]\.){2,}$")
_NOT_A_TITLE = re.compile(r" [|>›»/] |^(?:by|von|from|posted|published|veröffentlicht)\b", re.I)
_EXCLAIMED = re.compile(r"[!?] ")
# Scripts written without spaces between words: a sentence there is one long "word".
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_UNSPACED_PUNCT = re.compile(r"[。、，！？]")


@dataclass(frozen=True, slots=True)
class Weights:
    """Thresholds of the classes and what each class is worth. Chosen on three of the five
    site folds of bench/quality.py and checked on the other two (bench/RESULTS-quality.md)."""

    good_chars: int = 120
    good_share: float = 0.25
    near_chars: int = 50
    near_share: float = 0.15
    near_weight: float = 0.3  # a near-good line is worth this share of its characters
    short_cost: int = 40
    bad_cost: int = 80  # a bad line costs its length, at least this much
    min_run_share: float = 0.05  # a run worth less than this share of the best one is dropped


@dataclass(frozen=True, slots=True)
class MainText:
    """Which lines of a dump are the article: the runs kept, and the bad lines inside them."""

    runs: tuple[tuple[int, int], ...]  # (first, last) line index of each run kept
    bad_inside: frozenset[int]
    body_start: int | None  # the first good line of the runs (else the first near-good one)

    def keeps(self, index: int) -> bool:
        inside = any(first <= index <= last for first, last in self.runs)
        return inside and index not in self.bad_inside

    def kept(self) -> set[int]:
        """Every line index the article keeps (keeps() for all lines at once)."""
        return {i for first, last in self.runs for i in range(first, last + 1)} - self.bad_inside


def line_class(line: str, language: str | None, w: Weights = Weights()) -> str:
    """good, near, short or bad, from the line's length and its share of stopwords."""
    text = _LIST_MARK.sub("", line)
    if len(text) < min(w.near_chars, w.good_chars):
        # A short line is short text if it has one function word, a bad one if none: no
        # need to count them all (most lines of a dump are short).
        return SHORT if _any_function_word(text, language) else BAD
    share = function_word_share(text, language)
    if len(text) >= w.good_chars and share >= w.good_share:
        return GOOD
    if len(text) >= w.near_chars and share >= w.near_share:
        return NEAR
    if len(text) < w.near_chars and share > 0 and _SENTENCE_END.search(text):
        return SHORT
    return BAD if len(text) >= w.near_chars or share == 0 else SHORT


def looks_like_headline(paragraph: str) -> bool:
    """Whether a paragraph reads as a headline: short, one phrase, no closing full stop."""
    words = paragraph.split()
    if not 2 <= len(words) <= 30 or len(paragraph) > 220:
        return False
    if paragraph.lower().startswith("by "):  # a byline
        return False
    ending = paragraph.rstrip(_TRAILING_CLOSERS)
    if _ABBREVIATION_END.search(ending):  # "... to 8:45 a.m." ends a headline, not a sentence
        ending = ending[:-1]
    return ending[-1:] not in ".,;:!" and not _SENTENCE_BREAK.search(paragraph)


def is_title_like(line: str) -> bool:
    """Whether a line can be a page's headline: headline-like, at least three words, mostly
    letters (not a date or a score line), not in capitals like a menu, and not a list item,
    a breadcrumb trail, a byline or a line of metadata fields."""
    return (
        len(line.split()) >= 2
        and sum(map(str.isalpha, line)) >= 0.6 * len(line)  # letters
        and not line.isupper()
        and not _LIST_MARK.match(line)
        and not line.startswith("o ")  # a nested list item as a dump renders it
        and not _NOT_A_TITLE.search(line)
        # "Diese Ymers! Zwei Überraschungen an einem Tag!" is one headline
        and looks_like_headline(_EXCLAIMED.sub(": ", line.rstrip("!?")))
    )


def function_word_share(text: str, language: str | None) -> float:
    """The stopword share of the text in its language; for a language without a stopword
    list, the share of words of one to three letters (function words are short in most
    languages), and for Chinese, Japanese or Korean, a fixed share when the line has
    sentence punctuation."""
    if language is not None:
        return stopword_share(text, language)
    if _UNSPACED.search(text):
        return 0.3 if _UNSPACED_PUNCT.search(text) else 0.0
    words = WORD.findall(text)
    return sum(len(word) <= 3 for word in words) / len(words) if words else 0.0


def _any_function_word(text: str, language: str | None) -> bool:
    """function_word_share(text, language) > 0, stopping at the first function word."""
    if language is None:
        return function_word_share(text, None) > 0
    return not STOPWORD_SETS[language].isdisjoint(WORD.findall(text.lower()))


def line_value(line: str, cls: str, w: Weights = Weights()) -> float:
    if cls == GOOD:
        return len(line)
    if cls == NEAR:
        return len(line) * w.near_weight
    if cls == SHORT:
        return -w.short_cost
    return -max(w.bad_cost, len(line))


def dump_language(lines: Sequence[str]) -> str | None:
    """The language of a dump, judged from its lines of eight words or more: where the text
    is, not the menus (hard-wrapped body lines are short in characters, not in words)."""
    sample, size = [], 0
    for line in lines:  # detect_language reads the first SAMPLE_CHARS: stop once they are in
        if len(line.split()) >= 8:
            sample.append(line)
            size += len(line) + 1
            if size > SAMPLE_CHARS:
                break
    return detect_language("\n".join(sample), sample_chars=SAMPLE_CHARS)


def main_text(
    lines: Sequence[str],
    removed: Sequence[bool],
    w: Weights = Weights(),
    closers: Sequence[bool] | None = None,
) -> MainText:
    """The article's lines among `lines`; `removed` marks lines a rule already took (a cookie
    notice reads like body text, but counts against the run it sits in). `closers` marks
    lines that close an article (a share bar, a related-articles heading, an author box): a
    run of text below the best run and below such a line is the page's, not the article's."""
    language = dump_language(lines)
    seen = _seen_classes(language, w)
    classes = [BAD if gone else seen[line] for line, gone in zip(lines, removed, strict=True)]
    runs: list[tuple[float, int, int]] = []  # best sum, first, last of each run
    total, start, best, best_end = 0.0, 0, 0.0, -1
    for i, (line, cls) in enumerate(zip(lines, classes, strict=True)):
        if total <= 0:
            if best > 0:
                runs.append((best, start, best_end))
            total, start, best = 0.0, i, 0.0
        total += line_value(line, cls, w)
        if total > best:
            best, best_end = total, i
    if best > 0:
        runs.append((best, start, best_end))
    if not runs:  # no line reads as body text: nothing to tell the article from the page by
        return MainText(runs=((0, len(lines) - 1),), bad_inside=frozenset(), body_start=None)
    top = max(r[0] for r in runs)
    best_last = next(last for value, first, last in runs if value == top)
    closed_at = None
    if closers is not None:
        closed_at = next((i for i in range(best_last + 1, len(lines)) if closers[i]), None)
    kept = tuple(
        (first, _to_the_end(classes, last, removed))
        for value, first, last in runs
        if value >= w.min_run_share * top and (closed_at is None or first < closed_at)
    )
    # A bad line inside a run goes, unless it is a subheading: a headline over body text.
    bad = frozenset(
        i
        for first, last in kept
        for i in range(first, last + 1)
        if classes[i] == BAD
        and not (i < last and classes[i + 1] == GOOD and looks_like_headline(lines[i]))
    )
    inside = [i for first, last in kept for i in range(first, last + 1)]
    body_start = next((i for i in inside if classes[i] == GOOD), None)
    if body_start is None:
        body_start = next((i for i in inside if classes[i] == NEAR), None)
    return MainText(runs=kept, bad_inside=bad, body_start=body_start)


SEEN_LINES = 50_000  # line classes kept per language (most lines of a dump are short)


class _SeenClasses(dict):
    """Line classes of one language and weights, each line classed once: pages of a site
    repeat their menus and footers (a third of the lines of the dev pages' dumps repeat)."""

    def __init__(self, language: str | None, w: Weights) -> None:
        super().__init__()
        self.language, self.w = language, w

    def __missing__(self, line: str) -> str:
        if len(self) >= SEEN_LINES:
            self.clear()
        cls = self[line] = line_class(line, self.language, self.w)
        return cls


_SEEN: dict[tuple[str | None, Weights], _SeenClasses] = {}


def _seen_classes(language: str | None, w: Weights) -> _SeenClasses:
    if (language, w) not in _SEEN:
        _SEEN[language, w] = _SeenClasses(language, w)
    return _SEEN[language, w]


def _to_the_end(classes: Sequence[str], last: int, removed: Sequence[bool]) -> int:
    """A run's end moved to the end of the text when only short sentences follow it, and
    lines a rule took ("Read More", "Comments"): an article ending in "The budget takes effect
    July 1." keeps that line, with or without a footer of prompts under it."""
    after = range(last + 1, len(classes))
    if all(classes[i] == SHORT or removed[i] for i in after):
        return len(classes) - 1
    return last
