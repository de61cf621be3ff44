"""The text cleaner: one pass over plain text or extracted HTML text, every removal explained."""

from __future__ import annotations

import logging
import re
import statistics
import unicodedata
from collections.abc import Container, Sequence
from dataclasses import dataclass
from functools import lru_cache

import ftfy

from copydesk.boilerplate import Matcher, Rule, RulePack, matcher, rules_for
from copydesk.comments import COMMENTS, find_comment_section
from copydesk.extract import ExtractError, extract_html
from copydesk.language import detect_language
from copydesk.mainblock import function_word_share, is_title_like, looks_like_headline, main_text
from copydesk.records import CleanArticle, RawArticle, Rejected, Removal, StepResult
from copydesk.text_keys import WITHIN_ARTICLE_RULE, find_repeats, normalize_for_hash

log = logging.getLogger(__name__)

# Byte sequences of UTF-8 text decoded as cp1252 or Latin-1 ("â€™", "Ã©", "Â "): only text
# that shows one goes through ftfy's repair, which is slow and not needed otherwise.
_MOJIBAKE_HINT = re.compile(
    "[ÂÃâ][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]"
)
# (Regexes rather than str.translate: most texts have none of these, and a search that finds
# nothing is many times faster than a translate that changes nothing.)
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile("[\t\u00a0\u2007\u202f\u3000\x0b\x0c]")
_RUNS_OF_SPACES = re.compile(r" {2,}")
# "Ukraine.In a video call": a sentence end glued to the next sentence by a lost space.
_GLUED_SENTENCE = re.compile(r"(?<=[a-z]{2}[.!?])(?=[“\"‘]?[A-Z][a-z])")
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")
_MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MARKDOWN_EMPHASIS = re.compile(r"(\*\*|__|\*|_)(\S.*?\S|\S)\1")
_MARKDOWN_RULE = re.compile(r"^(?:[-*_] ?){3,}$")
_BYLINE_PREFIX = re.compile(r"^[*_]*by\s+", re.IGNORECASE)
_BYLINE_SEPARATOR = re.compile(r"\s*[|,·•–—]\s*")

CAPTION = "caption"
CTA = "cta"
BYLINE = "byline"
SECTION_LABEL = "section_label"
TITLE = "title"
NAVIGATION = "navigation"
MAIN_TEXT_RULE = "main-text"
# What a page prints where its article ends: below such a line and the article's best run,
# a further run of text is the page's (teasers, author boxes, notices), not the article's.
CLOSING = frozenset({"comments", "promo", "author_bio", "paywall", "cta"})
HEADLINE_REACH = 15  # lines above a page dump's first body paragraph to look for its headline
HEADLINE_BODY_LINES = 8  # body paragraphs whose words the headline shares
_PAGER = re.compile(r"^[←«‹<]|[→»›>]$")


def fix_unicode(text: str) -> str:
    """The text with mojibake repaired, NFC form, one kind of newline and single spaces."""
    if _MOJIBAKE_HINT.search(text):
        text = ftfy.fix_text(text, uncurl_quotes=False, fix_character_width=False)
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACES.sub(" ", _INVISIBLE.sub("", text))
    return _RUNS_OF_SPACES.sub(" ", text)


def split_glued_sentences(paragraph: str) -> str:
    """The paragraph with a space put back where one sentence runs into the next."""
    return _GLUED_SENTENCE.sub(" ", paragraph)


def is_hard_wrapped(lines: Sequence[str]) -> bool:
    """Whether the text's lines look wrapped at a fixed width, not one paragraph per line."""
    lengths = [len(line) for line in lines if line]
    blank_lines = len(lines) - len(lengths)
    if len(lengths) < 6 or blank_lines == 0:
        return False  # without blank lines there is no way to tell paragraphs apart
    # Wrapped text never has a line much longer than its width, most lines fill it, and
    # its blank-line blocks hold several lines each.
    return (
        max(lengths) <= 100 and statistics.median(lengths) >= 45 and len(lengths) >= 2 * blank_lines
    )


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of a text: each non-empty line, or each blank-line block if lines are wrapped."""
    lines = [line.strip() for line in text.split("\n")]
    if not is_hard_wrapped(lines):
        return [line for line in lines if line]
    paragraphs, block = [], []
    for line in lines + [""]:
        if line:
            block.append(line)
        elif block:
            paragraphs.append(" ".join(block))
            block = []
    return paragraphs


def strip_markdown(paragraph: str) -> str:
    """A Markdown paragraph as plain text: no heading marks, images, emphasis, link targets
    or horizontal rules (markup, like the tags of an HTML page, is not text to explain)."""
    if _MARKDOWN_RULE.match(paragraph):
        return ""
    paragraph = _MARKDOWN_IMAGE.sub("", _MARKDOWN_HEADING.sub("", paragraph))
    paragraph = _MARKDOWN_LINK.sub(r"\1", paragraph)
    return _MARKDOWN_EMPHASIS.sub(r"\2", paragraph).strip()


def authors_from_byline(byline: str) -> str | None:
    """The name in a byline: "By Dana Whitlock | March 3, 2026" -> "Dana Whitlock"."""
    name = _BYLINE_SEPARATOR.split(_BYLINE_PREFIX.sub("", byline.strip("*_ ")), maxsplit=1)[0]
    return name.strip() or None


@dataclass(frozen=True, slots=True)
class CleanText:
    """What the cleaner made of one text: title, body, captions and what it removed."""

    title: str | None
    paragraphs: tuple[str, ...]
    positions: tuple[int, ...]  # each body paragraph's index in the split, as in removals
    captions: tuple[str, ...]
    removals: tuple[Removal, ...]
    truncated: bool
    byline_authors: str | None = None


@dataclass(frozen=True, slots=True)
class RuleMatchers:
    """One article's rules as the cleaner uses them: boilerplate, captions, section labels
    at the top, and all of them (no rule may take a headline)."""

    boilerplate: Matcher
    captions: Matcher
    labels_at_top: Matcher
    every: Matcher


@lru_cache(maxsize=256)
def rule_matchers(rules: tuple[Rule, ...]) -> RuleMatchers:
    """The matchers of these rules, built once per combination of packs."""
    return RuleMatchers(
        boilerplate=matcher(tuple(r for r in rules if r.reason not in (CAPTION, SECTION_LABEL))),
        captions=matcher(tuple(r for r in rules if r.reason == CAPTION)),
        labels_at_top=matcher(tuple(r for r in rules if r.reason == SECTION_LABEL)),
        every=matcher(rules),
    )


def clean_text(
    text: str,
    rules: Sequence[Rule],
    known_title: str | None = None,
    markdown: bool = False,
    page_dump: bool = False,
) -> CleanText:
    """The cleaned body of one article; `known_title` comes from HTML or feed metadata."""
    paras = split_paragraphs(fix_unicode(text))
    if markdown:
        first_is_heading = bool(paras) and paras[0].startswith("#")
        paras = [p for p in map(strip_markdown, paras) if p]
    labels: list[tuple[str, str] | None] = [None] * len(paras)
    matchers = rule_matchers(tuple(rules))
    boilerplate, captions = matchers.boilerplate, matchers.captions
    labels_at_top = matchers.labels_at_top

    # The top: an optional section label, then a headline if there really is one.
    start = 0
    if len(paras) > 1:
        rule = labels_at_top.first(paras[0], 0)
        if rule:
            labels[0], start = (rule.reason, rule.id), 1
    title = known_title
    if start < len(paras):
        if known_title is not None:
            # Pages repeat their headline near the top of the text, under a kicker or two.
            key = normalize_for_hash(known_title)
            for i in range(start, min(start + 3, len(paras))):
                if normalize_for_hash(paras[i]) == key:
                    labels[i] = (TITLE, "")
                    break
        elif (markdown and start == 0 and first_is_heading) or (
            not page_dump and _headline_on_top(paras, start, matchers.every)
        ):
            title, labels[start] = paras[start], (TITLE, "")

    # Boilerplate rules, then repeats among what is left, then captions among the rest.
    candidates = boilerplate.candidates(paras)
    may_match: Container[int] = range(len(paras)) if candidates is None else candidates
    truncated = False
    follow: tuple[tuple[str, str], int] | None = None  # label and how many paragraphs it takes
    headlines_after: tuple[str, str] | None = None  # label of a teaser list still going on
    for i, para in enumerate(paras):
        if labels[i] is not None:
            continue
        if follow:
            labels[i], left = follow[0], follow[1] - 1
            follow = (follow[0], left) if left else None
            continue
        if headlines_after and looks_like_headline(para):
            labels[i] = headlines_after
            continue
        headlines_after = None
        if is_share_bar(para):
            labels[i] = (CTA, SHARE_BAR_RULE)
            continue
        if i not in may_match:
            continue
        rule = _unless_prose(boilerplate.first(para, i, literal_found=candidates is not None), para)
        if rule:
            labels[i] = (rule.reason, rule.id)
            truncated = truncated or rule.truncates
            follow = ((rule.reason, rule.id), rule.also_next) if rule.also_next else None
            headlines_after = (rule.reason, rule.id) if rule.then_headlines else None
    if page_dump:
        # A full-page dump: what no rule explained but lies outside the article's text is
        # the page around it (menus, link lists, footers).
        main = main_text(
            paras,
            [label is not None for label in labels],
            closers=[label is not None and label[0] in CLOSING for label in labels],
        )
        kept = main.kept()
        for i in range(len(paras)):
            if labels[i] is None and i not in kept:
                labels[i] = (NAVIGATION, MAIN_TEXT_RULE)
    # Readers' comments end the article: what follows their heading or first post is theirs.
    body_from = main.body_start if page_dump and main.body_start is not None else start
    section = find_comment_section(paras, labels, body_from)
    if section is not None:
        for i in range(section.start, len(paras)):
            if labels[i] is None:
                labels[i] = (COMMENTS, section.rule_id)
    open_idx = [i for i, label in enumerate(labels) if label is None]
    for j in find_repeats([paras[i] for i in open_idx]):
        labels[open_idx[j]] = ("duplicate_exact", WITHIN_ARTICLE_RULE)
    for i, para in enumerate(paras):
        if labels[i] is None:
            rule = _unless_prose(captions.first(para, i), para)
            if rule:
                labels[i] = (rule.reason, rule.id)
            elif is_credit_line(para):
                labels[i] = (CAPTION, CREDIT_LINE_RULE)
    if page_dump and title is None:
        # A dump's headline sits above its body; with no body-like line to find, the top.
        if main.body_start is not None:
            at = headline_above(paras, main.body_start, labels, captions)
        else:
            at = start if _headline_on_top(paras, start, matchers.every) else None
        if at is not None:
            title, labels[at] = paras[at], (TITLE, "")

    positions = tuple(i for i, label in enumerate(labels) if label is None)
    body = tuple(split_glued_sentences(paras[i]) for i in positions)
    removals = tuple(
        Removal(position=i, text=p, reason=label[0], rule_id=label[1])
        for i, (p, label) in enumerate(zip(paras, labels, strict=True))
        if label is not None and label[0] != TITLE
    )
    byline = next((r.text for r in removals if r.reason == BYLINE), None)
    return CleanText(
        title=title,
        paragraphs=body,
        positions=positions,
        captions=tuple(r.text for r in removals if r.reason == CAPTION),
        removals=removals,
        truncated=truncated,
        byline_authors=authors_from_byline(byline) if byline else None,
    )


def clean_article(raw: RawArticle, packs: Sequence[RulePack]) -> CleanArticle:
    """One raw article extracted (if HTML) and cleaned; raises ExtractError for an empty page."""
    text, title, url, date = raw.content, raw.title, raw.url, raw.published
    authors = site = host = None
    if raw.format == "html":
        page = extract_html(raw.content, url=raw.url)
        text, title, url = page.text, raw.title or page.title, raw.url or page.url
        authors, date, site, host = (
            page.author,
            raw.published or page.date,
            page.site_name,
            page.hostname,
        )
    rules, pack_site = rules_for(packs, url, text)
    markdown = raw.source_file.lower().endswith(".md")
    cleaned = clean_text(
        text, rules, known_title=title, markdown=markdown, page_dump=raw.format == "text"
    )
    return CleanArticle(
        raw=raw,
        title=fix_unicode(cleaned.title).strip() if cleaned.title else None,
        paragraphs=cleaned.paragraphs,
        positions=cleaned.positions,
        captions=cleaned.captions,
        removals=cleaned.removals,
        truncated=cleaned.truncated,
        language=detect_language("\n".join(cleaned.paragraphs)),
        authors=authors or cleaned.byline_authors,
        published_at=date,
        url=url,
        source=raw.source or site or pack_site or host,
    )


def clean_batch(batch: Sequence[RawArticle], packs: Sequence[RulePack]) -> StepResult[CleanArticle]:
    """Cleaned articles of a batch; pages with no text and all-boilerplate articles rejected."""
    result: StepResult[CleanArticle] = StepResult.start("clean", received=len(batch))
    for raw in batch:
        try:
            article = clean_article(raw, packs)
        except ExtractError as exc:
            log.debug("extraction failed on %s: %s", raw.source_file, exc)
            result.reject(_reject(raw, "extract_failed", str(exc)))
            continue
        if not article.paragraphs:
            result.reject(reject_empty(raw, article.removals))
        else:
            result.keep(article)
    result.check_balance()
    return result


# A share bar as a page dump renders it: a line made only of the names of social networks and
# share buttons ("Facebook Twitter Pinterest E-Mail WhatsApp", "Share | Tweet | Email"). A
# line feature, not a rule pattern: the words are too common for a rule's literal prefilter.
SHARE_BAR_RULE = "line/share-bar"
SHARE_WORDS = frozenset(
    "share teilen tweet facebook twitter whatsapp pinterest linkedin xing reddit email e-mail "
    "mail print drucken telegram flipboard messenger instagram youtube tiktok pocket tumblr "
    "mastodon bluesky threads sms copy link kopieren teilt twittern".split()
)
_SHARE_TOKEN = re.compile(r"[^\s|·•,/:]+")
MAX_SHARE_BAR_CHARS = 160


def is_share_bar(paragraph: str) -> bool:
    """Whether a line is only share buttons: two or more, and nothing else."""
    if len(paragraph) > MAX_SHARE_BAR_CHARS:
        return False
    head = paragraph[:24].lstrip("*+•·-> ").split(None, 1)
    if not head or head[0].lower().strip("|·•,/:-") not in SHARE_WORDS:
        return False  # most lines: one look at the first word
    tokens = _SHARE_TOKEN.findall(paragraph.lower().lstrip("*+•·-> "))
    return len(tokens) >= 2 and all(t.strip("-") in SHARE_WORDS for t in tokens)


# A short line that carries a picture credit anywhere: "Oil pumps at dusk. Image: J. Park/
# Shutterstock.com", "© Photo: Harbour Trust", "(Credit: Dana Whitlock / Gazette)". A line
# feature with a cheap first look (one of a few marks in the line), then a regex.
CREDIT_LINE_RULE = "line/picture-credit"
MAX_CREDIT_LINE_CHARS = 250
_CREDIT_MARKS = (
    "©",
    "photo",
    "image",
    "picture",
    "credit",
    "foto",
    "bild",
    "getty",
    "shutterstock",
    "istock",
    "stock.adobe",
)
_CREDIT = re.compile(
    r"©|\b(?:photo|photograph|image|picture|credit|foto|bild|crédits? photos?)s?\s*(?:by\b|:)|"
    r"\bgetty images\b|\bshutterstock\b|\bpicture[- ]alliance\b|\bistock(?:photo)?\b|"
    r"stock\.adobe\.com",
    re.IGNORECASE,
)


def is_credit_line(paragraph: str) -> bool:
    """Whether a line is a caption or credit: short, a picture credit in it, no body prose."""
    if len(paragraph) > MAX_CREDIT_LINE_CHARS:
        return False
    lower = paragraph.lower()
    if not any(mark in lower for mark in _CREDIT_MARKS):
        return False
    return _CREDIT.search(paragraph) is not None and not is_body_prose(paragraph)


# A paragraph of body prose: this many words in at least two sentences. A caption is one
# sentence and its credit, a call to action a line; a paragraph that is more than that and
# merely ends on "(Reuters)" or starts with "Video:" is the article's.
PROSE_WORDS = 25
_SENTENCE_SPLIT = re.compile(r"(?<=[a-zäöüß0-9%)”\"’'][.!?])\s+(?=[“\"‘(]?[A-ZÄÖÜ])")


def is_body_prose(paragraph: str) -> bool:
    """Whether a paragraph is running prose: long, two sentences or more, full of the
    function words of a language."""
    words = paragraph.split()
    if len(words) < PROSE_WORDS:
        return False
    sentences = [s for s in _SENTENCE_SPLIT.split(paragraph) if len(s.split()) >= 4]
    return len(sentences) >= 2 and function_word_share(paragraph, detect_language(paragraph)) >= 0.2


def _unless_prose(rule: Rule | None, paragraph: str) -> Rule | None:
    """The rule, unless it is a call-to-action or caption pattern that matched only a part of
    a paragraph of body prose (a whole-paragraph pattern says what the whole line is)."""
    if rule is None or rule.whole or rule.reason not in (CTA, CAPTION):
        return rule
    return None if is_body_prose(paragraph) else rule


def _headline_on_top(paras: Sequence[str], start: int, every_rule: Matcher) -> bool:
    """Whether the paragraph at `start` is a headline over more text, and no rule's match."""
    return (
        start + 1 < len(paras)
        and looks_like_headline(paras[start])
        and not every_rule.first(paras[start], start)
    )


def headline_above(
    paras: Sequence[str],
    body_start: int,
    labels: Sequence[tuple[str, str] | None],
    captions: Matcher,
) -> int | None:
    """Where a page dump's headline is: of the headline-like lines no rule took a few lines
    above the first body paragraph (bylines, dates, credits and kickers sit in between), the
    one sharing most words with the body's first paragraphs, a line of three words or more
    before a shorter one. On a tie the topmost (a headline stands above its standfirst), or
    the nearest when none shares a word. Links to the previous and next post ("← Older
    post") are no headline."""
    body = [j for j in range(body_start, len(paras)) if labels[j] is None][:HEADLINE_BODY_LINES]
    body_words = _content_words(" ".join(paras[j] for j in body))
    best, best_score = None, (-1.0, False)
    for i in range(body_start - 1, max(body_start - 1 - HEADLINE_REACH, -1), -1):
        taken = labels[i] is not None and labels[i] != (NAVIGATION, MAIN_TEXT_RULE)
        line = paras[i]
        if taken or not is_title_like(line) or _PAGER.search(line) or captions.first(line, i):
            continue
        words = _content_words(line)
        shared = len(words & body_words)
        # Shared words times their share: a one-word label that happens to be in the body
        # ("Video") scores below a headline that shares four of its six words.
        score = (shared * shared / len(words) if words else 0.0, len(line.split()) >= 3)
        if (score[1], score[0]) > (best_score[1], best_score[0]) or (
            score == best_score and score[0] > 0
        ):
            best, best_score = i, score
    return best


# A word (language.WORD) of four letters or more: a run of letters shorter than that has no
# part of four letters either, so this finds the long runs WORD finds, and only those.
_CONTENT_WORD = re.compile(r"[^\W\d_]{4,}")


def _content_words(text: str) -> set[str]:
    return set(_CONTENT_WORD.findall(text.lower()))


def reject_empty(raw: RawArticle, removals: Sequence[Removal]) -> Rejected:
    """An article whose every paragraph a step removed: quarantined as `empty`, naming why."""
    reasons = sorted({r.reason for r in removals})
    detail = f"nothing left after cleaning (removed: {', '.join(reasons) or 'nothing'})"
    return _reject(raw, "empty", detail)


def _reject(raw: RawArticle, reason: str, detail: str) -> Rejected:
    return Rejected(
        source_file=raw.source_file,
        item=raw.item,
        step="clean",
        reason=reason,
        detail=detail,
        article_id=raw.article_id,
        original_text=raw.content,
    )
