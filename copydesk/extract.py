"""HTML to main text and metadata with trafilatura; never touches the network."""

from __future__ import annotations

from dataclasses import dataclass

import trafilatura


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


def extract_html(html: str, url: str | None = None) -> Extracted:
    """The main text and metadata of one HTML page; raises ExtractError when there is none."""
    try:
        doc = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=True
        )
    except Exception as exc:  # noqa: BLE001 - lxml and trafilatura fail in many ways on one bad page
        raise ExtractError(f"{type(exc).__name__}: {exc}") from exc
    if doc is None or not (doc.text or "").strip():
        raise ExtractError("trafilatura found no main text")
    return Extracted(
        text=doc.text,
        title=doc.title or None,
        author=doc.author or None,
        date=doc.date or None,
        site_name=doc.sitename or None,
        hostname=doc.hostname or None,
        url=doc.url or url,
    )
