"""Where the readers' comments under an article begin: the article ends there.

A comment section announces itself: a heading with a count or a prompt ("23 Comments",
"Leave a Reply", "Join the discussion", "5 Kommentare"), which the rule packs already mark
with the reason `comments`, or, without a heading, the thread itself: user names with
timestamps ("Dana says:", "March 3, 2026 at 9:14 am") and reply, like and report buttons.
Everything below that point which no other rule explains is the readers' text, not the
article's. A heading near the top (a "4 Comments" link beside the byline) ends nothing: the
section has to come after the article has begun."""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

COMMENTS = "comments"
BELOW_HEADING_RULE = "comment-section/below-heading"  # lines under a comment heading
THREAD_RULE = "comment-section/thread"  # lines from the first post of a thread on

# Body text above a comment heading before it can end the article: a standfirst or a lead
# sentence is not enough (a "4 Comments" link sits under them on many blogs), two real
# paragraphs are.
MIN_BODY_ABOVE_CHARS = 250
MIN_BODY_LINE_WORDS = 10

_LIST_MARK = re.compile(r"^(?:[*+•·▪►»›-]|\d{1,2}[.)])\s+")
# A line made only of the buttons under a comment.
_BUTTONS = re.compile(
    r"(?:(?:reply|replies|antworten|antwort|answer|like|likes|dislike|report|melden|flag|"
    r"quote|zitieren|permalink|gefällt mir|répondre|responder|"
    r"rispondi|beantwoorden|upvote|downvote|log in to reply|zum antworten einloggen|"
    r"\d+|[↓↑▲▼^|·•-])\s*)+",
    re.IGNORECASE,
)
_SAYS = re.compile(
    r"^\S[^.!?]{0,60}\s(?:says|said|sagt|schreibt|schrieb|meint|wrote|writes|dit|dice)\s*:?$",
    re.IGNORECASE,
)
_MONTH = (
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|januar|februar|märz|mai|juni|juli|"
    r"okt|dez)[a-zä]*\.?"
)
# "March 3, 2026 at 9:14 am", "3. März 2026 um 09:14 Uhr", "03.03.2026, 09:14", "2 hours ago",
# "vor 3 Stunden": a comment's time stamp, on a short line of its own.
_TIMESTAMP = re.compile(
    rf"(?:\b{_MONTH} \d{{1,2}},? \d{{4}}|\b\d{{1,2}}\.? {_MONTH},? \d{{4}}|"
    r"\b\d{1,2}[./]\d{1,2}[./]\d{2,4}|\b\d{4}-\d{2}-\d{2})"
    r",?\s*(?:at|um|à|a las|alle|-|,|\|)?\s*\d{1,2}[:.]\d{2}|"
    r"\b\d+ (?:seconds?|minutes?|hours?|days?|weeks?|months?|years?) ago\b|"
    r"\bvor \d+ (?:sekunden|minuten|stunden|tagen|wochen|monaten|jahren)\b",
    re.IGNORECASE,
)
MAX_SIGNAL_CHARS = 90  # a signal is a line of its own, not a sentence that mentions a date
THREAD_WINDOW = 8  # lines within which the signals of one post follow each other


@dataclass(frozen=True, slots=True)
class CommentSection:
    """Where the comments begin: the first line of the section, and the rule id that lines
    below it (that no other rule took) get."""

    start: int
    rule_id: str


def signal(line: str) -> str | None:
    """What a line of a comment thread is, if it is one: "buttons", "says" or "time"."""
    if len(line) > MAX_SIGNAL_CHARS + 8:
        return None
    text = _LIST_MARK.sub("", line.strip())
    if not text or len(text) > MAX_SIGNAL_CHARS:
        return None
    if _BUTTONS.fullmatch(text) and not text.strip("0123456789 ↓↑▲▼^|·•-"):
        return None  # only digits and marks: a page number or a score, no button word
    if _BUTTONS.fullmatch(text):
        return "buttons"
    if _SAYS.match(text):
        return "says"
    if _TIMESTAMP.search(line) and len(text.split()) <= 12:
        return "time"
    return None


def find_comment_section(
    paras: Sequence[str],
    labels: Sequence[tuple[str, str] | None],
    body_from: int = 0,
) -> CommentSection | None:
    """The comment section below an article, if it has one. `labels` are the reasons already
    given (a comment heading carries `comments`); `body_from` is where the body may start
    (a dump's first body line), nothing above it counts as article text."""
    body_chars = 0
    for i in range(body_from, len(paras)):
        label, text = labels[i], paras[i]
        enough = body_chars >= MIN_BODY_ABOVE_CHARS
        if label is not None and label[0] == COMMENTS:
            if enough and not _LIST_MARK.match(text) and not _recurs(paras, i):
                return CommentSection(i, BELOW_HEADING_RULE)
            continue
        if label is None and enough and signal(text) and _thread_at(paras, labels, i):
            start = i - 1 if i > body_from and _name_like(paras[i - 1], labels[i - 1]) else i
            return CommentSection(start, THREAD_RULE)
        if label is None and not enough and len(text.split()) >= MIN_BODY_LINE_WORDS:
            body_chars += len(text)
    return None


def _recurs(paras: Sequence[str], i: int) -> bool:
    """Whether the prompt at line i is on the page more than once: an "Add a comment" under
    every answer of a Q&A page is a button of each post, not the heading of a section."""
    prompt = paras[i].strip().casefold()
    return sum(p.strip().casefold() == prompt for p in paras) > 1


def _thread_at(paras: Sequence[str], labels: Sequence[tuple[str, str] | None], i: int) -> bool:
    """Whether a comment thread starts at line i: three signals within a few lines, of at
    least two kinds (a time stamp alone is also an article's "updated" line)."""
    kinds = [
        signal(paras[j])
        for j in range(i, min(i + THREAD_WINDOW, len(paras)))
        if (label := labels[j]) is None or label[0] == COMMENTS
    ]
    found = [k for k in kinds if k]
    return len(found) >= 3 and len(set(found)) >= 2


def _name_like(line: str, label: tuple[str, str] | None) -> bool:
    """A commenter's name above the time stamp: one to four words, no sentence."""
    words = line.split()
    return label is None and 1 <= len(words) <= 4 and not re.search(r"[.!?:;,]$", line)


# Readers' posts are short: most are a line or two. An article's paragraphs are longer.
MIN_ARTICLE_MEDIAN_CHARS = 120
MAX_SIGNALS_PER_LINE = 1 / 20


def reads_as_comments(lines: Sequence[str]) -> bool:
    """Whether text extracted from comment markup reads as readers' posts rather than as an
    article: names, time stamps and reply buttons between the lines, or mostly short lines."""
    lines = [line for line in lines if line.strip()]
    if not lines:
        return True
    signals = sum(signal(line) is not None for line in lines)
    if signals >= 2 and signals > MAX_SIGNALS_PER_LINE * len(lines):
        return True
    return statistics.median(len(line) for line in lines) < MIN_ARTICLE_MEDIAN_CHARS
