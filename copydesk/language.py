"""A light language guess from stopword counts, enough to report and route by language."""

from __future__ import annotations

import re
from collections import Counter

# The most frequent function words of each language (about a hundred each): enough to tell
# the languages apart by counts, and to measure how much of a line is running text
# (copydesk/mainblock.py). A word common to two languages ("in", "de") counts for both.
STOPWORDS = {
    "en": "the and of to is that for it was with as on be at by this are from have has but not "
    "were they which their will would said been its who an or had more a in i you he she we "
    "his her them our your my me him us there than then so if what when where how all any "
    "can could should may might must do does did into about after before over under up out "
    "also only just some such no other these those one two new most very because while "
    "through between both each being here why against during until",
    "de": "der die und das ist nicht ein eine zu den mit sich des auf für im dem auch es an "
    "werden aus er hat dass sie nach wird bei einer um noch wie über so zum zur vom ich wir "
    "ihr ihre ihren ihrem sein seine seinen seiner war waren wurde wurden haben habe hatte "
    "hatten kann können konnte muss müssen soll sollen will wollen nur aber oder wenn als "
    "auch schon sehr mehr durch gegen ohne unter vor zwischen seit bis diese dieser dieses "
    "diesem diesen man einen einem eines keine kein was wer wo doch dann denn da hier jetzt "
    "immer wieder sind bin bist ob weil damit sowie uns euch mich dich ihm ihn",
    "fr": "le la les et des est une du que pour qui dans pas sur au avec ce sont il plus par "
    "mais ont été cette aux leur nous elle un de en ne se son sa ses à être avoir fait ou "
    "comme tout tous aussi bien sans entre leurs même lui ils elles vous je on dont où quand "
    "très peut après avant depuis donc car si ces cet notre votre",
    "es": "el la los las y que del se por con para una es su al lo como más pero sus le ha "
    "fue este entre cuando muy sin sobre de en un no ya o también hay son desde todo todos "
    "esta estos estas ese esa esos hasta donde quien porque durante ser está han había "
    "tiene puede nos les me mi tu sí otro otra otros uno era fueron",
    "it": "il di che è la per un non sono della del gli le con una si da come anche ma nel "
    "alla dei ha questo essere in lo i al delle degli nella sul sulla ai più dal dalla "
    "tra fra se già o ci ne sua suo suoi loro cui quando dove hanno era stato stata questa "
    "quello quella molto tutti tutto ancora poi",
    "nl": "de het een van en is dat op te zijn voor met niet aan er ook als bij door maar "
    "worden werd naar heeft in die hij ze zij wij we ik je u dit deze om tot uit over nog "
    "wel geen al meer kan kunnen moet zou zal was waren had hebben wordt wat wie waar hoe "
    "omdat dan toen veel onder",
    "pt": "o a os as de que do da em um uma para com não por mais se na no dos das ao como "
    "mas foi ele pelo pela é e são ser está estão tem têm ou sua seu seus suas já também "
    "entre sobre quando muito até sem isso este esta esse essa nos eles elas há pode foram "
    "era aos às depois ainda",
    "pl": "i w na z się do nie że to jest o jak a od po ale za przez dla tak jego jej ich "
    "oraz jako czy już tylko może być był była było były są który która które którzy tym "
    "tego ten ta te też przy pod nad bez także bardzo jednak gdy gdzie aby więc co",
}
_WORDS = {lang: frozenset(words.split()) for lang, words in STOPWORDS.items()}
STOPWORD_SETS = _WORDS  # the stopwords of each language, as sets
_ALL_STOPWORDS = frozenset().union(*_WORDS.values())
# Each stopword's languages, so a text's words are looked up once, not once per language.
_LANGUAGES_OF = {
    word: tuple(lang for lang, words in _WORDS.items() if word in words) for word in _ALL_STOPWORDS
}
# A word: a run of letters (no digits, no underscores).
WORD = re.compile(r"[^\W\d_]+")
# Running text in these languages is 30-50% stopwords; a URL or placeholder text is not.
MIN_SHARE = 0.2


def detect_language(text: str, sample_chars: int = 5000) -> str | None:
    """An ISO 639-1 code of the language with most stopwords in the text, or None."""
    tokens = WORD.findall(text[:sample_chars].lower())
    if len(tokens) < 8:
        return None
    counts = Counter(tokens)
    scores = dict.fromkeys(_WORDS, 0)  # in STOPWORDS order: a tie goes to the first language
    for word in counts.keys() & _ALL_STOPWORDS:
        for lang in _LANGUAGES_OF[word]:
            scores[lang] += counts[word]
    best = max(scores, key=scores.__getitem__)
    return best if scores[best] / len(tokens) >= MIN_SHARE else None


def stopword_share(text: str, language: str) -> float:
    """The share of the text's words that are stopwords of `language` (a code
    detect_language returns); 0.0 for a text without words."""
    tokens = WORD.findall(text.lower())
    if not tokens:
        return 0.0
    return sum(map(_WORDS[language].__contains__, tokens)) / len(tokens)
