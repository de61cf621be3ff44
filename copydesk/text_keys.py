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


def find_repeats(paragraphs: Sequence[str]) -> list[int]:
    """Indexes of paragraphs whose normalized text already appeared earlier in the sequence."""
    seen: set[str] = set()
    repeats = []
    for i, para in enumerate(paragraphs):
        key = normalize_for_hash(para)
        if not key:
            continue
        if key in seen:
            repeats.append(i)
        else:
            seen.add(key)
    return repeats
