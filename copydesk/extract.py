"""HTML to main text and metadata with trafilatura; never touches the network."""

from __future__ import annotations

import re
from dataclasses import dataclass

from copydesk.comments import reads_as_comments


class ExtractError(ValueError):
    """trafilatura found no main text in a page."""


@dataclass(frozen=True, slots=True)
class Extracted:
    """Main text of a page (paragraphs on their own lines) and its metadata."""

    text: str
    title: str | None
    author: str | None
    date: str | None
    site_name: str | None
    hostname: str | None
    url: str | None
    with_comment_markup: bool = False  # the text came from markup trafilatura takes for comments


# With comments off, trafilatura prunes every element whose class or id says "comment"; on
# blogs and forums that is sometimes the article itself. A short extraction from a page with
# such markup is extracted again with comments on, and the longer text is kept when it reads
# as an article (tests/test_extract.py). Short: under this many characters, about 250 words.
# The second pass costs a whole extraction (0.2x trafilatura's time over the dev pages, where
# it never changed the text), so it runs only when the comment markup holds enough text to
# make the result long enough, and without metadata, which the first pass already found.
SHORT_TEXT_CHARS = 1500
LONGER_FACTOR = 3  # the text with comments must be this many times longer, and...
LONGER_CHARS = 500  # ...this many characters longer
_COMMENT_MARKUP = re.compile(
    r"""(?:id|class)\s*=\s*["'][^"']*(?:comment|disqus|kommentar)""", re.IGNORECASE
)
_COMMENT_NAME = re.compile("comment|disqus|kommentar", re.IGNORECASE)


def extract_html(html: str, url: str | None = None) -> Extracted:
    """The main text and metadata of one HTML page; raises ExtractError when there is none."""
    doc = _bare_extraction(html, url, comments=False)
    text = (doc.text or "").strip() if doc is not None else ""
    whole = False
    if (
        len(text) < SHORT_TEXT_CHARS
        and _COMMENT_MARKUP.search(html)
        and _comment_markup_chars(html) >= (LONGER_FACTOR - 1) * len(text) + LONGER_CHARS
    ):
        # metadata only if the first pass found no text (and so no metadata either)
        with_comments = _bare_extraction(html, url, comments=True, metadata=doc is None)
        longer = _article_in_comment_markup(text, with_comments)
        if longer is not None:
            doc, text, whole = doc or with_comments, longer, True
    if doc is None or not text:
        raise ExtractError("trafilatura found no main text")
    return Extracted(
        text=text,
        title=doc.title or None,
        author=doc.author or None,
        date=doc.date or None,
        site_name=doc.sitename or None,
        hostname=doc.hostname or None,
        url=doc.url or url,
        with_comment_markup=whole,
    )


def _bare_extraction(html: str, url: str | None, comments: bool, metadata: bool = True):
    # Imported on the first page, not with the module: a run of text files or with nothing
    # new never needs it (about a tenth of the flow's import time).
    import trafilatura

    try:
        return trafilatura.bare_extraction(
            html, url=url, with_metadata=metadata, include_comments=comments, include_tables=True
        )
    except Exception as exc:  # noqa: BLE001 - lxml and trafilatura fail in many ways on one bad page
        raise ExtractError(f"{type(exc).__name__}: {exc}") from exc


def _comment_markup_chars(html: str) -> int:
    """Characters of visible text inside elements whose class or id names comments (the
    outermost of nested ones): all a second pass with comments on could add."""
    from trafilatura import load_html  # imported lazily, as in _bare_extraction

    tree = load_html(html)
    if tree is None:
        return 0
    total = 0
    for element in tree.iter():
        if not isinstance(element.tag, str) or not _COMMENT_NAME.search(
            f"{element.get('class', '')} {element.get('id', '')}"
        ):
            continue
        if any(
            _COMMENT_NAME.search(f"{a.get('class', '')} {a.get('id', '')}")
            for a in element.iterancestors()
        ):
            continue
        text = element.xpath(".//text()[not(ancestor::script or ancestor::style)]")
        total += len(" ".join(" ".join(text).split()))
    return total


def _article_in_comment_markup(text: str, doc) -> str | None:
    """The text of a page extracted with comments on (body, then the comment text it does not
    already hold), when it is much longer than `text` and what it adds reads as an article,
    not as readers' posts; else None."""
    if doc is None:
        return None
    lines = [line for line in (doc.text or "").split("\n") if line.strip()]
    have = {_squeeze(line) for line in lines}
    lines += [
        line
        for line in (doc.comments or "").split("\n")
        if line.strip() and _squeeze(line) not in have
    ]
    longer = "\n".join(lines)
    if len(longer) < LONGER_FACTOR * len(text) + LONGER_CHARS:
        return None
    known = {_squeeze(line) for line in text.split("\n")}
    added = [line for line in lines if _squeeze(line) not in known]
    return None if reads_as_comments(added) else longer


def _squeeze(line: str) -> str:
    return " ".join(line.split())
