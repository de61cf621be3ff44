"""Input files: find them, fingerprint them, decode them and split them into raw articles."""

from __future__ import annotations

import codecs
import fnmatch
import hashlib
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

from copydesk.records import RawArticle, Rejected, StepResult

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".md"}
HTML_SUFFIXES = {".html", ".htm"}
FEED_SUFFIXES = {".jsonl"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | FEED_SUFFIXES

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_MAGIC = {
    b"%PDF": "PDF document",
    b"\x89PNG": "PNG image",
    b"\xff\xd8\xff": "JPEG image",
    b"GIF8": "GIF image",
    b"PK\x03\x04": "ZIP archive",
    b"\x1f\x8b": "gzip archive",
    b"\x7fELF": "executable",
}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_READ_AS_CP1252 = {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "us-ascii", "ascii"}
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
MAX_CONTROL_SHARE = 0.01  # decoded text with more control characters than this is not text
MAX_NON_ASCII_SHARE = 0.3  # Western text decoded as cp1252 is mostly ASCII letters


class DecodeError(ValueError):
    """Bytes that are not text: `reason` is a quarantine reason code."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class FoundFile:
    """A file under the input folder, before it is read."""

    path: Path
    source_file: str  # relative to the input folder, forward slashes
    size_bytes: int
    mtime_ns: int  # last modification, nanoseconds since the epoch


def find_input_files(root: Path, exclude: Sequence[str] = ()) -> list[FoundFile]:
    """Every file below `root` whose relative name matches no `exclude` pattern, sorted."""
    if not root.is_dir():
        raise FileNotFoundError(f"input folder not found: {root}")
    found = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        if any(fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(path.name, pat) for pat in exclude):
            continue
        stat = path.stat()
        found.append(FoundFile(path, rel, stat.st_size, stat.st_mtime_ns))
    return found


def file_sha256(path: Path) -> str:
    """The SHA-256 hex digest of a file, read in chunks so a large file costs no memory."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def article_id(source_file: str, item: int) -> str:
    """A stable id for the article at `item` of `source_file`; the same across versions."""
    return hashlib.sha256(f"{source_file}#{item}".encode()).hexdigest()[:20]


def decode_bytes(data: bytes, html: bool = False) -> tuple[str, str]:
    """The text of `data` and the encoding it was read with; raises DecodeError if not text."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _checked(data.decode(encoding, errors="strict"), encoding)
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            raise DecodeError("binary", f"binary file ({kind})")
    if b"\x00" in data[:4096]:
        raise DecodeError("binary", "binary file (NUL bytes and no UTF-16/32 byte-order mark)")
    candidates = ["utf-8"]
    if html and (declared := _META_CHARSET.search(data[:4096])):
        name = declared.group(1).decode("ascii").lower()
        # Browsers read a page declared Latin-1 or ASCII as windows-1252 (WHATWG Encoding).
        candidates.insert(0, "cp1252" if name in _READ_AS_CP1252 else name)
    if _mostly_utf8(data):
        candidates.insert(1, "utf-8-lenient")
    candidates.append("cp1252")
    for encoding in candidates:
        if encoding == "utf-8-lenient":  # a stray bad byte in UTF-8 text: replace just it
            return _checked(data.decode("utf-8", errors="replace"), "utf-8 (bad bytes replaced)")
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if encoding == "cp1252" and _non_ascii_share(text) > MAX_NON_ASCII_SHARE:
            break  # valid cp1252 bytes, but not Western text: let the detector judge
        return _checked(text, encoding)
    guess = from_bytes(data).best()
    if guess is None:
        raise DecodeError("undecodable", "no text encoding fits these bytes")
    return _checked(str(guess), guess.encoding)


def _mostly_utf8(data: bytes) -> bool:
    """Whether `data` is UTF-8 but for a few bad bytes: many valid multi-byte characters, and
    ten times fewer undecodable bytes (a cp1252 text has no valid ones)."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    return 0 < bad * 10 <= sum(1 for c in text if c > "\x7f" and c != "\ufffd")


def _non_ascii_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(not c.isascii() for c in letters) / max(len(letters), 1)


def _checked(text: str, encoding: str) -> tuple[str, str]:
    if len(_CONTROL.findall(text)) > MAX_CONTROL_SHARE * max(len(text), 1):
        raise DecodeError("binary", f"decoded as {encoding} but full of control characters")
    return text, encoding


def read_articles(found: FoundFile, version: int, max_bytes: int) -> StepResult[RawArticle]:
    """The raw articles in one input file; a bad file or feed line comes back rejected."""
    result: StepResult[RawArticle] = StepResult(step="ingest", received=0)
    suffix = found.path.suffix.lower()

    def reject(reason: str, detail: str, item: int = 0, text: str | None = None) -> None:
        result.received += 1
        result.reject(
            Rejected(
                source_file=found.source_file,
                item=item,
                step="ingest",
                reason=reason,
                detail=detail,
                article_id=article_id(found.source_file, item),
                original_text=text,
            )
        )

    def keep(item: int, fmt: str, content: str, encoding: str, meta: dict | None = None) -> None:
        meta = meta or {}
        result.received += 1
        result.keep(
            RawArticle(
                article_id=article_id(found.source_file, item),
                source_file=found.source_file,
                item=item,
                version=version,
                format=fmt,
                content=content,
                encoding=encoding,
                url=_text_or_none(meta.get("url")),
                source=_text_or_none(meta.get("source")),
                title=_text_or_none(meta.get("title")),
                published=_text_or_none(meta.get("published")),
            )
        )

    if suffix not in SUPPORTED_SUFFIXES:
        reject(
            "unsupported_format",
            f"unsupported file type {suffix or '(none)'}; "
            f"copydesk reads {', '.join(sorted(SUPPORTED_SUFFIXES))}",
        )
        return result
    if found.size_bytes > max_bytes:
        reject(
            "too_large",
            f"{found.size_bytes} bytes, over the limit of {max_bytes} (setting max_file_bytes)",
        )
        return result
    data = found.path.read_bytes()
    try:
        text, encoding = decode_bytes(data, html=suffix in HTML_SUFFIXES)
    except DecodeError as exc:
        reject(exc.reason, str(exc))
        return result
    if not text.strip():
        reject("empty", "empty file" if not data else "file holds only white space")
        return result
    if suffix in TEXT_SUFFIXES:
        keep(0, "text", text, encoding)
    elif suffix in HTML_SUFFIXES:
        keep(0, "html", text, encoding)
    else:
        # Only "\n" ends a record: splitlines() would also break on U+2028 inside a string.
        for line_no, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                reject("malformed", f"line {line_no}: not JSON ({exc.msg})", line_no, line)
                continue
            body = record.get("html") or record.get("text") if isinstance(record, dict) else None
            if not isinstance(body, str) or not body.strip():
                reject("malformed", f"line {line_no}: no 'text' or 'html' field", line_no, line)
                continue
            fmt = "html" if record.get("html") else "text"
            keep(line_no, fmt, body, encoding, record)
    result.check_balance()
    log.debug("read %s: %s", found.source_file, result.counts())
    return result


def _text_or_none(value: object) -> str | None:
    return str(value).strip() or None if value is not None else None
