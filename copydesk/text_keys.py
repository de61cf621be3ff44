"""Text keys: normalized paragraph texts and their hashes (exact duplicates), and repeats
within one article."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import xxhash

_WORD = re.compile(r"[^\W_]+")

WITHIN_ARTICLE_RULE = "dedup/within-article"


def words_for_hash(text: str) -> list[str]:
    """The words of the text, case-folded and NFKC-normalized, without punctuation."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def normalize_for_hash(text: str) -> str:
    """The text case-folded, NFKC-normalized, with punctuation and spacing reduced to one space."""
    return " ".join(words_for_hash(text))


def key_hash(normalized: str) -> str:
    """A 64-bit hex digest of text already normalized by normalize_for_hash."""
    return xxhash.xxh3_64_hexdigest(normalized)


def body_hash(keys: Sequence[str]) -> str:
    """A digest of a whole body from its paragraphs' normalized texts (normalize_for_hash),
    equal for articles with the same text."""
    return key_hash("\n".join(keys))


# A repeated line that reads as a sentence of its own (this many words, a sentence's end) is
# something the article says twice, on purpose; shorter or unpunctuated repeats are labels,
# links and buttons the page prints again.
SENTENCE_WORDS = 8
_SENTENCE_END = re.compile(r"[.!?…:;][”\"’')\]]*$")


def find_repeats(paragraphs: Sequence[str]) -> list[int]:
    """Indexes of paragraphs that repeat earlier text the way a page does, not a writer:
    a repeat next to another repeat (a block printed twice, as after a paywall teaser), or a
    repeat that is no sentence (a label, a link, a button). A lone sentence said again
    stays."""
    seen: set[str] = set()
    repeated = [False] * len(paragraphs)
    for i, para in enumerate(paragraphs):
        key = normalize_for_hash(para)
        if not key:
            continue
        if key in seen:
            repeated[i] = True
        else:
            seen.add(key)
    last = len(paragraphs) - 1
    return [
        i
        for i, para in enumerate(paragraphs)
        if repeated[i]
        and ((i > 0 and repeated[i - 1]) or (i < last and repeated[i + 1]) or not is_sentence(para))
    ]


def is_sentence(paragraph: str) -> bool:
    """Whether a paragraph reads as a sentence: enough words and a sentence's end."""
    text = paragraph.strip()
    return len(text.split()) >= SENTENCE_WORDS and _SENTENCE_END.search(text) is not None
