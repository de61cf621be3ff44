"""Input files: finding, decoding and splitting them into raw articles, bad ones rejected."""

from __future__ import annotations

import codecs
import json
import os
import random
from pathlib import Path

import pytest

from copydesk.ingest import (
    DecodeError,
    FoundFile,
    article_id,
    decode_bytes,
    file_sha256,
    find_input_files,
    read_articles,
)
from copydesk.settings import Settings

TEXT = "It’s a café — a coffee costs €3, “quoted” prices rose."
MAX_BYTES = 10_000


def write(root: Path, rel: str, data: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def found(root: Path, rel: str) -> FoundFile:
    path = root / rel
    return FoundFile(path, rel, path.stat().st_size, path.stat().st_mtime_ns)


# --- finding files


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for rel in [
        "z.txt",
        "a/2.txt",
        "a/1.txt",
        "b/c/d.html",
        "feed.jsonl",
        "notes.md",
        "README.md",
        "b/README.txt",
        "LICENSE",
        ".env",
        "b/.DS_Store",
        ".git/config",
        ".hidden/x.txt",
    ]:
        write(tmp_path, rel, "x")
    (tmp_path / "empty-dir").mkdir()
    return tmp_path


def test_find_input_files_recurses_and_sorts_without_exclusions(tree):
    names = [f.source_file for f in find_input_files(tree)]
    assert names == sorted(names)
    assert {"a/1.txt", "a/2.txt", "b/c/d.html", ".git/config", "b/.DS_Store"} <= set(names)
    assert "empty-dir" not in names
    assert len(names) == 13


def test_find_input_files_default_exclude_drops_readme_licence_and_dot_files(tree):
    names = [f.source_file for f in find_input_files(tree, Settings().exclude)]
    assert names == ["a/1.txt", "a/2.txt", "b/c/d.html", "feed.jsonl", "notes.md", "z.txt"]


def test_find_input_files_custom_exclude_matches_relative_path_and_name(tree):
    names = [f.source_file for f in find_input_files(tree, ["*.html", "a/*", ".*", "*/.*"])]
    assert names == ["LICENSE", "README.md", "b/README.txt", "feed.jsonl", "notes.md", "z.txt"]


def test_found_file_records_size_time_and_path(tmp_path):
    path = write(tmp_path, "sub/one.txt", "hello")
    os.utime(path, ns=(1_700_000_000_123_456_789, 1_700_000_000_123_456_789))
    [f] = find_input_files(tmp_path)
    assert f == FoundFile(tmp_path / "sub" / "one.txt", "sub/one.txt", 5, 1_700_000_000_123_456_789)


def test_find_input_files_raises_on_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="input folder not found"):
        find_input_files(tmp_path / "missing")


def test_file_sha256(tmp_path):
    path = write(tmp_path, "a.txt", b"abc")
    assert file_sha256(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


# --- decoding

DECODED = [
    ("utf-8", TEXT.encode("utf-8"), False, "utf-8"),
    ("utf-8 with BOM", codecs.BOM_UTF8 + TEXT.encode("utf-8"), False, "utf-8-sig"),
    ("utf-16 LE with BOM", codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), False, "utf-16"),
    ("utf-16 BE with BOM", codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), False, "utf-16"),
    ("cp1252", TEXT.encode("cp1252"), False, "cp1252"),
    ("cp1252 in html", TEXT.encode("cp1252"), True, "cp1252"),
]


@pytest.mark.parametrize(
    ("data", "html", "encoding"), [d[1:] for d in DECODED], ids=[d[0] for d in DECODED]
)
def test_decode_bytes_reads_text_encodings(data, html, encoding):
    assert decode_bytes(data, html=html) == (TEXT, encoding)


def test_decode_bytes_replaces_a_stray_bad_byte_in_utf8_text():
    good = ("Grüße aus München, schöne Straße. " * 20).encode()
    text, encoding = decode_bytes(good[:100] + b"\xff" + good[100:], html=True)
    assert encoding == "utf-8 (bad bytes replaced)"
    assert text.count("\ufffd") == 1 and "Grüße aus München" in text


def test_decode_bytes_does_not_take_cp1252_with_one_accent_for_broken_utf8():
    assert decode_bytes("Le café est fermé.".encode("cp1252")) == ("Le café est fermé.", "cp1252")


def test_decode_bytes_reads_latin1():
    text = "Le café était fermé à Genève; Ärger über die Straßenbahn in München."
    decoded, encoding = decode_bytes(text.encode("latin-1"))
    assert decoded == text
    assert encoding in {"cp1252", "latin-1", "iso-8859-1"}


def test_decode_bytes_follows_html_meta_charset():
    html = (
        b'<html><head><meta charset="windows-1252"><title>x</title></head><body><p>'
        + "“Café” costs €5".encode("cp1252")
        + b"</p></body></html>"
    )
    text, encoding = decode_bytes(html, html=True)
    assert encoding == "windows-1252"
    assert "<p>“Café” costs €5</p>" in text


def test_decode_bytes_follows_http_equiv_charset():
    html = (
        b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
        + "<p>“Café” costs €5</p>".encode("cp1252")
    )
    text, encoding = decode_bytes(html, html=True)
    assert encoding == "windows-1252"
    assert text.endswith("<p>“Café” costs €5</p>")


def test_decode_bytes_reads_iso_8859_1_label_as_windows_1252():
    body = "The mayor said the plan was “a good start” for the city’s buses. " * 5
    html = (
        b'<html><head><meta charset="iso-8859-1"></head><body><p>'
        + body.encode("cp1252")
        + b"</p></body></html>"
    )
    text, _ = decode_bytes(html, html=True)
    assert "“a good start”" in text


BINARY = [
    ("png", b"\x89PNG\r\n\x1a\n" + bytes(range(256))),
    ("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj"),
    ("jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF"),
    ("zip", b"PK\x03\x04" + b"\x14" * 40),
    ("random with NULs", random.Random(7).randbytes(2000) + b"\x00\x00"),
    ("control characters", b"\x01\x02\x03\x04\x05\x06\x07\x08" * 40),
]


@pytest.mark.parametrize("data", [b[1] for b in BINARY], ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("html", [False, True])
def test_decode_bytes_rejects_binary(data, html):
    with pytest.raises(DecodeError) as info:
        decode_bytes(data, html=html)
    assert info.value.reason == "binary"


# --- reading articles


def test_read_text_file(tmp_path):
    write(tmp_path, "news/a.txt", "Title\n\nBody text.\n")
    result = read_articles(found(tmp_path, "news/a.txt"), version=3, max_bytes=MAX_BYTES)
    assert result.counts() == {"received": 1, "kept": 1, "rejected": 0}
    [raw] = result.kept
    assert (raw.source_file, raw.item, raw.version, raw.format, raw.encoding) == (
        "news/a.txt",
        0,
        3,
        "text",
        "utf-8",
    )
    assert raw.content == "Title\n\nBody text.\n"
    assert raw.article_id == article_id("news/a.txt", 0)


def test_read_markdown_and_html_files(tmp_path):
    write(tmp_path, "a.md", "# Title\n\nBody.")
    write(tmp_path, "b.HTML", "<html><body><p>Body.</p></body></html>")
    md = read_articles(found(tmp_path, "a.md"), 1, MAX_BYTES).kept
    html = read_articles(found(tmp_path, "b.HTML"), 1, MAX_BYTES).kept
    assert [r.format for r in md + html] == ["text", "html"]


def test_read_cp1252_file_keeps_its_encoding(tmp_path):
    write(tmp_path, "a.txt", TEXT.encode("cp1252"))
    [raw] = read_articles(found(tmp_path, "a.txt"), 1, MAX_BYTES).kept
    assert (raw.content, raw.encoding) == (TEXT, "cp1252")


@pytest.mark.parametrize(
    ("rel", "data", "reason", "detail"),
    [
        ("empty.txt", b"", "empty", "empty file"),
        ("blank.txt", b"  \n\t\r\n  \n", "empty", "file holds only white space"),
        ("bom-only.txt", codecs.BOM_UTF8, "empty", "file holds only white space"),
        ("image.txt", b"\x89PNG\r\n\x1a\n" + bytes(64), "binary", "binary file (PNG image)"),
        ("report.pdf", b"%PDF-1.7\n", "unsupported_format", "unsupported file type .pdf"),
        ("story.docx", b"PK\x03\x04", "unsupported_format", "unsupported file type .docx"),
        ("noext", b"text", "unsupported_format", "unsupported file type (none)"),
    ],
)
def test_read_bad_file_is_rejected(tmp_path, rel, data, reason, detail):
    write(tmp_path, rel, data)
    result = read_articles(found(tmp_path, rel), 1, MAX_BYTES)
    assert result.kept == []
    [rej] = result.rejected
    assert (rej.source_file, rej.item, rej.step, rej.reason) == (rel, 0, "ingest", reason)
    assert rej.detail.startswith(detail)
    assert rej.article_id == article_id(rel, 0)
    result.check_balance()


def test_file_over_max_bytes_is_too_large_and_not_read(tmp_path):
    write(tmp_path, "big.txt", "x" * 101)
    result = read_articles(found(tmp_path, "big.txt"), 1, max_bytes=100)
    [rej] = result.rejected
    assert rej.reason == "too_large"
    assert rej.detail.startswith("101 bytes, over the limit of 100")
    assert read_articles(found(tmp_path, "big.txt"), 1, max_bytes=101).rejected == []


def test_jsonl_keeps_good_lines_and_rejects_bad_ones_by_line_number(tmp_path):
    lines = [
        json.dumps(
            {
                "text": "First body.",
                "title": " Title One ",
                "url": "https://x.org/1",
                "source": "X",
                "published": "2026-01-02",
            }
        ),
        "",
        "{not json",
        json.dumps({"title": "no body"}),
        json.dumps({"html": "<p>Second body.</p>"}),
        json.dumps(["a", "list"]),
        json.dumps({"text": "   "}),
        json.dumps({"text": "Third body.", "title": ""}),
    ]
    write(tmp_path, "feed.jsonl", "\n".join(lines) + "\n")
    result = read_articles(found(tmp_path, "feed.jsonl"), 2, MAX_BYTES)

    assert result.counts() == {"received": 7, "kept": 3, "rejected": 4, "rejected.malformed": 4}
    assert [(r.item, r.format, r.content) for r in result.kept] == [
        (1, "text", "First body."),
        (5, "html", "<p>Second body.</p>"),
        (8, "text", "Third body."),
    ]
    first = result.kept[0]
    assert (first.title, first.url, first.source, first.published, first.version) == (
        "Title One",
        "https://x.org/1",
        "X",
        "2026-01-02",
        2,
    )
    assert result.kept[2].title is None  # an empty string is no title
    assert [(r.item, r.reason) for r in result.rejected] == [
        (3, "malformed"),
        (4, "malformed"),
        (6, "malformed"),
        (7, "malformed"),
    ]
    assert result.rejected[0].detail.startswith("line 3: not JSON")
    assert result.rejected[0].original_text == "{not json"
    assert result.rejected[1].detail == "line 4: no 'text' or 'html' field"
    assert {r.article_id for r in result.kept} == {article_id("feed.jsonl", i) for i in (1, 5, 8)}


def test_jsonl_with_windows_line_ends(tmp_path):
    write(tmp_path, "feed.jsonl", b'{"text": "A"}\r\n{"text": "B"}\r\n')
    result = read_articles(found(tmp_path, "feed.jsonl"), 1, MAX_BYTES)
    assert [(r.item, r.content) for r in result.kept] == [(1, "A"), (2, "B")]


def test_jsonl_line_separator_inside_a_string_is_not_a_line_break(tmp_path):
    lines = [
        json.dumps({"text": "One line\u2028and its second half."}, ensure_ascii=False),
        json.dumps({"text": "Second article."}),
    ]
    write(tmp_path, "feed.jsonl", "\n".join(lines) + "\n")
    result = read_articles(found(tmp_path, "feed.jsonl"), 1, MAX_BYTES)
    assert result.rejected == []
    assert [(r.item, r.content) for r in result.kept] == [
        (1, "One line\u2028and its second half."),
        (2, "Second article."),
    ]


def test_article_id_is_stable_and_distinct():
    assert article_id("feeds/a.jsonl", 3) == article_id("feeds/a.jsonl", 3)
    assert len(article_id("feeds/a.jsonl", 3)) == 20
    ids = {article_id(f, i) for f in ("feeds/a.jsonl", "feeds/b.jsonl", "a.txt") for i in (0, 1, 3)}
    assert len(ids) == 9


def test_article_id_is_the_same_across_versions(tmp_path):
    write(tmp_path, "a.txt", "First version.")
    one = read_articles(found(tmp_path, "a.txt"), 1, MAX_BYTES).kept[0]
    write(tmp_path, "a.txt", "Second version.")
    two = read_articles(found(tmp_path, "a.txt"), 2, MAX_BYTES).kept[0]
    assert one.article_id == two.article_id
    assert (one.version, two.version) == (1, 2)
