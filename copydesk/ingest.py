"""Input files: find them, fingerprint them, decode them and split them into raw articles."""

from __future__ import annotations

import codecs
import errno
import fnmatch
import hashlib
import json
import logging
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

from copydesk.records import NOT_READ, InputFile, RawArticle, Rejected, StepResult

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
# Codecs Python has but a page cannot be written in: a <meta charset> naming one is ignored, as
# a browser ignores a label it does not know ("undefined" raises on every byte; UTF-7 is
# refused by browsers because it hides markup).
_NOT_PAGE_CODECS = {
    "undefined",
    "unicode-escape",
    "raw-unicode-escape",
    "idna",
    "punycode",
    "utf-7",
}
_SURROGATE = re.compile("[\ud800-\udfff]")
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
    source_file: str  # relative to the input folder, forward slashes, escaped (escape_name)
    size_bytes: int
    mtime_ns: int  # last modification, nanoseconds since the epoch
    # (reason, detail) when the scan already knows the path cannot be read as an article
    # file: it is quarantined with that reason and never opened.
    problem: tuple[str, str] | None = None


MAX_DEPTH = 100  # folders nested deeper below the input folder are not read (too_deep)


def escape_name(name: str) -> str:
    """A relative path as the operating system gave it (str with surrogate escapes for bytes
    that are not UTF-8) written as plain text: a backslash is doubled and each byte that is not
    UTF-8 becomes \\xNN, so "caf\\xe9.txt" is the Latin-1 name caf<0xE9>.txt. unescape_name
    gives the bytes back."""
    if "\\" not in name and not _SURROGATE.search(name):
        return name
    out = []
    for char in name:
        if char == "\\":
            out.append("\\\\")
        elif "\udc80" <= char <= "\udcff":
            out.append(f"\\x{ord(char) - 0xDC00:02x}")
        else:
            out.append(char)
    return "".join(out)


def unescape_name(text: str) -> bytes:
    """The bytes of the path that escape_name wrote as `text`."""
    out, i = bytearray(), 0
    while i < len(text):
        if text.startswith("\\\\", i):
            out += b"\\"
            i += 2
        elif text.startswith("\\x", i):
            out.append(int(text[i + 2 : i + 4], 16))
            i += 4
        else:
            out += text[i].encode("utf-8")
            i += 1
    return bytes(out)


def find_input_files(
    root: Path,
    exclude: Sequence[str] = (),
    follow_symlinks: bool = False,
    max_depth: int = MAX_DEPTH,
) -> list[FoundFile]:
    """Every file below `root` whose relative name matches no `exclude` pattern, in path
    order. Paths that cannot be read as files come back with a `problem`: a link to a place
    outside `root` (unless `follow_symlinks`), a broken or looping link, a named pipe or
    device, a folder that cannot be listed or lies more than `max_depth` levels down. A link
    to a folder inside `root` is not descended into unless `follow_symlinks` (its files are
    found where they are). The walk keeps its own stack: no depth of folders can exhaust it."""
    if not root.is_dir():
        raise FileNotFoundError(f"input folder not found: {root}")
    real_root = os.path.realpath(root)
    found: list[FoundFile] = []
    visited = {_identity(os.stat(root))}  # folders already walked (a followed link loops)

    def skip(rel: str, name: str) -> bool:
        return any(fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(name, pat) for pat in exclude)

    def problem(path: str, rel: str, reason: str, detail: str) -> None:
        name = rel.rstrip("/").rsplit("/", 1)[-1]
        if not skip(rel.rstrip("/"), name):
            found.append(FoundFile(Path(path), escape_name(rel), 0, 0, (reason, detail)))

    stack: list[tuple[str, str, int]] = [(os.fspath(root), "", 0)]
    while stack:
        folder, rel_folder, depth = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            if not rel_folder:
                raise
            problem(
                folder, rel_folder + "/", "unreadable", f"folder cannot be listed ({_why(exc)})"
            )
            continue
        subfolders = []
        for entry in entries:
            rel = f"{rel_folder}/{entry.name}" if rel_folder else entry.name
            try:
                if entry.is_symlink():
                    path, info, trouble = _follow_link(entry.path, real_root, follow_symlinks)
                    if trouble:
                        problem(entry.path, rel, *trouble)
                    if info is None:
                        continue
                else:
                    path, info = entry.path, entry.stat(follow_symlinks=False)
            except OSError as exc:
                problem(entry.path, rel, "unreadable", f"cannot be examined ({_why(exc)})")
                continue
            if stat.S_ISDIR(info.st_mode):
                if _identity(info) in visited:
                    continue
                if depth + 1 > max_depth:
                    problem(
                        path,
                        rel + "/",
                        "too_deep",
                        f"folder {depth + 1} levels below the input folder; copydesk reads "
                        f"{max_depth} levels, so nothing in it was read",
                    )
                    continue
                visited.add(_identity(info))
                subfolders.append((path, rel, depth + 1))
            elif skip(rel, entry.name):
                continue
            elif stat.S_ISREG(info.st_mode):
                found.append(
                    FoundFile(Path(path), escape_name(rel), info.st_size, info.st_mtime_ns)
                )
            else:
                problem(path, rel, "unreadable", f"not a regular file ({_kind(info.st_mode)})")
        stack.extend(reversed(subfolders))
    found.sort(key=lambda f: f.source_file.split("/"))
    return found


def _identity(info: os.stat_result) -> tuple[int, int]:
    return info.st_dev, info.st_ino


def _follow_link(
    link: str, real_root: str, follow: bool
) -> tuple[str, os.stat_result | None, tuple[str, str] | None]:
    """Where a symbolic link leads: its real path and stat to read, or no stat and a (reason,
    detail) when it must not be read, or neither for a link to a folder inside the input
    folder when links are not followed (its files are found under their own names)."""
    try:
        info = os.stat(link)
    except FileNotFoundError:
        return link, None, ("unreadable", "broken symbolic link: its target does not exist")
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return link, None, ("unreadable", "symbolic link loop: the link leads back to itself")
        raise
    real = os.path.realpath(link)
    inside = os.path.commonpath([real_root, real]) == real_root
    if not inside and not follow:
        kind = "folder" if stat.S_ISDIR(info.st_mode) else "file"
        detail = (
            f"symbolic link to a {kind} outside the input folder; not read "
            "(setting follow_symlinks)"
        )
        return link, None, ("outside_input", detail)
    if stat.S_ISDIR(info.st_mode) and inside and not follow:
        return link, None, None
    return real, info, None


def _kind(mode: int) -> str:
    kinds = {
        stat.S_ISFIFO: "a named pipe",
        stat.S_ISSOCK: "a socket",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
    }
    return next((name for test, name in kinds.items() if test(mode)), "an unknown kind of file")


def _why(exc: OSError) -> str:
    """An OSError without the path it names (a path may hold bytes that are not text)."""
    return exc.strerror or type(exc).__name__


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
            try:
                return _checked(data.decode(encoding, errors="strict"), encoding)
            except UnicodeDecodeError as exc:
                detail = f"starts with a {encoding} byte-order mark, but {exc.reason}"
                raise DecodeError("undecodable", f"{detail} at byte {exc.start}") from None
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            raise DecodeError("binary", f"binary file ({kind})")
    if b"\x00" in data[:4096]:
        raise DecodeError("binary", "binary file (NUL bytes and no UTF-16/32 byte-order mark)")
    candidates = ["utf-8"]
    ignored = None  # a declared charset that is no text encoding Python has
    if html and (declared := _META_CHARSET.search(data[:4096])):
        name = declared.group(1).decode("ascii").lower()
        # Browsers read a page declared Latin-1 or ASCII as windows-1252, and one declared
        # UTF-16 or UTF-32 (which a <meta> read as ASCII cannot be in) as UTF-8 (WHATWG).
        name = "cp1252" if name in _READ_AS_CP1252 else name
        name = "utf-8" if re.fullmatch(r"(utf|ucs)-?(16|32|2|4)(-?[lb]e)?", name) else name
        if _page_codec(name):
            candidates.insert(0, name)
        else:
            ignored = name
    if _mostly_utf8(data):
        candidates.insert(1, "utf-8-lenient")
    candidates.append("cp1252")
    text, encoding = _first_fit(data, candidates)
    if ignored is not None:
        encoding = f"{encoding} (declared charset {ignored!r} unknown, ignored)"
    return text, encoding


def _page_codec(name: str) -> bool:
    """Whether `name` is a text encoding a page can be written in."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        return False
    return info._is_text_encoding and info.name not in _NOT_PAGE_CODECS


def _first_fit(data: bytes, candidates: Sequence[str]) -> tuple[str, str]:
    for encoding in candidates:
        if encoding == "utf-8-lenient":  # a stray bad byte in UTF-8 text: replace just it
            return _checked(data.decode("utf-8", errors="replace"), "utf-8 (bad bytes replaced)")
        try:
            text = data.decode(encoding)
        except (UnicodeError, LookupError):
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
    if _SURROGATE.search(text):  # no UTF-8 string can hold one: the warehouse would refuse it
        raise DecodeError("undecodable", f"decoded as {encoding} but holds lone surrogates")
    return text, encoding


# Read-only, never through a link (the scan resolved links already), never waiting for a
# writer on a pipe; the last two do not exist on Windows.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


@dataclass(frozen=True, slots=True)
class FileBytes:
    """One read of an input file: its bytes and the facts recorded about exactly them."""

    data: bytes | None  # None when the file was too large to keep, or could not be read
    sha256: str  # of every byte read; NOT_READ when none could be
    size_bytes: int  # how many bytes were read
    mtime_ns: int | None  # modification time of the file opened; None when not opened
    problem: tuple[str, str] | None = None  # (reason, detail) when it is no article file


def read_file(found: FoundFile, max_bytes: int) -> FileBytes:
    """The bytes of `found`, read once and hashed as read: a file changed after the scan is
    recorded as it was read, one deleted after it comes back `vanished`, and one over
    `max_bytes` is hashed to the end but not kept. Never follows a link the scan did not
    resolve, and never waits on a pipe."""
    if found.problem:
        return FileBytes(None, NOT_READ, 0, None, found.problem)
    try:
        fd = os.open(found.path, _OPEN_FLAGS)
    except FileNotFoundError:
        return _not_read("vanished", "deleted after the scan found it, before it was read")
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return _not_read("unreadable", "replaced by a symbolic link after the scan; not read")
        return _not_read("unreadable", f"cannot be opened ({_why(exc)})")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            what = "a folder" if stat.S_ISDIR(info.st_mode) else _kind(info.st_mode)
            return _not_read("unreadable", f"replaced by {what} after the scan; not read")
        with os.fdopen(fd, "rb") as f:
            data = f.read(max_bytes + 1)
            digest = hashlib.sha256(data)
            if len(data) <= max_bytes:
                return FileBytes(data, digest.hexdigest(), len(data), info.st_mtime_ns)
            size = len(data)
            while chunk := f.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        return _not_read("unreadable", f"read failed ({_why(exc)})")
    detail = f"{size} bytes, over the limit of {max_bytes} (setting max_file_bytes)"
    return FileBytes(None, digest.hexdigest(), size, info.st_mtime_ns, ("too_large", detail))


def _not_read(reason: str, detail: str) -> FileBytes:
    return FileBytes(None, NOT_READ, 0, None, (reason, detail))


def read_input(
    found: FoundFile, version: int, max_bytes: int
) -> tuple[InputFile, StepResult[RawArticle]]:
    """One input file read once: what to record of it (size, time and SHA-256 of the bytes
    read) and the raw articles in it, a bad file or feed line rejected."""
    got = read_file(found, max_bytes)
    file = InputFile(found.source_file, got.size_bytes, got.sha256, version, got.mtime_ns)
    return file, _split(found, version, got)


def _split(found: FoundFile, version: int, got: FileBytes) -> StepResult[RawArticle]:
    result: StepResult[RawArticle] = StepResult(step="ingest", received=0)

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

    if got.problem and got.problem[0] != "too_large":
        reject(*got.problem)
        return result
    # The name found decides, not a link's target: found.path is where a link leads.
    suffix = Path(found.source_file).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        reject(
            "unsupported_format",
            f"unsupported file type {suffix or '(none)'}; "
            f"copydesk reads {', '.join(sorted(SUPPORTED_SUFFIXES))}",
        )
        return result
    if got.problem or got.data is None:  # too large: rejected once its format is known
        reject(*(got.problem or ("unreadable", "nothing was read")))
        return result
    data = got.data
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
            except RecursionError:
                reject("malformed", f"line {line_no}: JSON nested too deeply", line_no, line)
                continue
            except ValueError as exc:  # a number too long to convert
                detail = f"line {line_no}: JSON value out of range ({str(exc).split(';')[0]})"
                reject("malformed", detail, line_no, line)
                continue
            body = record.get("html") or record.get("text") if isinstance(record, dict) else None
            if not isinstance(body, str) or not body.strip():
                reject("malformed", f"line {line_no}: no 'text' or 'html' field", line_no, line)
                continue
            # JSON may escape half of a UTF-16 pair ("\ud800"), which no UTF-8 text can hold.
            broken = [k for k in _FEED_FIELDS if _SURROGATE.search(str(record.get(k) or ""))]
            if broken:
                detail = f"line {line_no}: a lone surrogate escape (\\udXXX) in '{broken[0]}'"
                reject("malformed", f"{detail}; it is no Unicode character", line_no, line)
                continue
            fmt = "html" if record.get("html") else "text"
            keep(line_no, fmt, body, encoding, record)
    result.check_balance()
    log.debug("read %s: %s", found.source_file, result.counts())
    return result


_FEED_FIELDS = ("text", "html", "url", "title", "source", "published")


def _text_or_none(value: object) -> str | None:
    return str(value).strip() or None if value is not None else None
