"""Language guess from stopword counts."""

from __future__ import annotations

import pytest

from copydesk.language import detect_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (
            "The government said on Tuesday that it would raise taxes for the first time in a "
            "decade, and the opposition was furious about it.",
            "en",
        ),
        (
            "Die Regierung hat am Dienstag angekündigt, dass sie die Steuern erhöhen wird. Die "
            "Opposition ist darüber sehr verärgert.",
            "de",
        ),
        (
            "Le gouvernement a annoncé mardi qu'il allait augmenter les impôts pour la première "
            "fois depuis dix ans, et l'opposition est furieuse.",
            "fr",
        ),
        (
            "El gobierno anunció el martes que subirá los impuestos por primera vez en una "
            "década, y la oposición está furiosa con la decisión.",
            "es",
        ),
    ],
)
def test_detects_language(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Hello there",
        "The end of it",  # four words: too short to judge
        "12345 67890 2024-01-01 $400 99 100 7",
        "xkcd qwzt plmn vbfr ghty zzzq",
        "Tokyo Osaka Kyoto Nagoya Sapporo Fukuoka Kobe",
        pytest.param("https://example.org/a/b/c?x=1&y=2 #tag @user"),
        pytest.param(
            "Lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor"
        ),
    ],
)
def test_no_language_for_short_or_non_language_text(text):
    assert detect_language(text) is None


def test_only_the_sample_is_read():
    english = "The mayor said that the plan was good for the city and its people. "
    noise = "Tokyo Osaka Kyoto Nagoya Sapporo Fukuoka Kobe " * 50
    assert detect_language(english + noise, sample_chars=len(english)) == "en"
    assert detect_language(noise + english, sample_chars=len(noise)) is None
