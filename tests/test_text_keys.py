"""Text keys: normalized paragraph texts, their hashes, and repeats within one article."""

from __future__ import annotations

import re

import pytest

from copydesk.text_keys import body_hash, find_repeats, normalize_for_hash
from tests.conftest import paragraph_hash


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Hello, World!", "hello world"),
        ("  The   mayor\tsaid —  “yes”. ", "the mayor said yes"),
        ("snake_case and kebab-case", "snake case and kebab case"),
        ("STRASSE", "strasse"),
        ("Straße", "strasse"),  # casefold, not lower
        ("ﬁnance", "finance"),  # NFKC ligature
        ("ＡＢＣ １２３", "abc 123"),  # NFKC full width
        ("price\u00a0rise", "price rise"),
        ("café", "café"),
        ("...!?", ""),
    ],
)
def test_normalize_for_hash(text, key):
    assert normalize_for_hash(text) == key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("The Mayor said yes.", "the mayor said yes"),
        ("The mayor said “yes”!", 'The mayor said "yes".'),
        ("price\u00a0rise of 5%", "price rise of 5"),
        ("cafe\u0301 owners", "CAFÉ OWNERS"),  # combining accent vs precomposed
        ("ﬁnal ＲＥＳＵＬＴ", "final result"),
        ("a  b\tc\nd", "a b c d"),
    ],
)
def test_text_hash_equal_for_same_text_in_other_form(a, b):
    assert paragraph_hash(a) == paragraph_hash(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("The mayor said yes.", "The mayor said no."),
        ("cafe owners", "café owners"),
        ("5 buses", "6 buses"),
        ("ab", "a b"),
    ],
)
def test_text_hash_differs_for_different_text(a, b):
    assert paragraph_hash(a) != paragraph_hash(b)


def test_text_hash_is_16_hex_digits():
    assert re.fullmatch(r"[0-9a-f]{16}", paragraph_hash("The mayor said yes."))


def test_body_hash_is_order_sensitive_and_form_insensitive():
    def digest(paragraphs):
        return body_hash([normalize_for_hash(p) for p in paragraphs])

    body = ["First paragraph.", "Second paragraph."]
    assert digest(body) == digest(["FIRST paragraph", "second\u00a0paragraph!"])
    assert digest(body) != digest(list(reversed(body)))
    assert digest(body) != digest(body[:1])
    assert digest(["a b"]) != digest(["a", "b"])  # paragraph breaks count
    assert digest(body) == digest(tuple(body))


@pytest.mark.parametrize(
    ("paragraphs", "repeats"),
    [
        ([], []),
        (["One.", "Two.", "Three."], []),
        (["One.", "Two.", "one", "TWO!", "One."], [2, 3, 4]),
        (["", "—", "...", "—", ""], []),  # nothing to compare once normalized
        (["Photo", "Body text.", "photo"], [2]),
    ],
)
def test_find_repeats(paragraphs, repeats):
    assert find_repeats(paragraphs) == repeats


SAID = "The harbour master said the ferry would sail again as soon as the storm had passed."
OTHER = "Passengers waited in the terminal for most of the afternoon, some of them for hours."
THIRD = "The company promised refunds to everyone whose crossing had been cancelled that day."


@pytest.mark.parametrize(
    ("paragraphs", "repeats"),
    [
        # a sentence the article says twice, on its own, stays
        ([SAID, OTHER, THIRD, SAID], []),
        # a block printed twice (a teaser above a paywall, then the full text) goes
        ([SAID, OTHER, "Subscribe", SAID, OTHER, THIRD], [3, 4]),
        # a repeated line that is no sentence (a label, a button, a link) goes alone
        ([SAID, "Share on Facebook", OTHER, "Share on Facebook"], [3]),
        (["Ferry Services Resume", SAID, OTHER, "ferry services resume"], [3]),
        # short, even with a full stop: no sentence of its own
        ([SAID, "Read more.", OTHER, "Read more."], [3]),
    ],
)
def test_find_repeats_keeps_a_sentence_said_twice(paragraphs, repeats):
    assert find_repeats(paragraphs) == repeats
