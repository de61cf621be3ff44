"""Input files: finding, decoding and splitting them into raw articles, bad ones rejected."""

from __future__ import annotations

import codecs
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from copydesk.ingest import (
    DecodeError,
    FoundFile,
    article_id,
    decode_bytes,
    escape_name,
    file_sha256,
    find_input_files,
    read_input,
    unescape_name,
)
from copydesk.settings import Settings

TEXT = "It’s a café — a coffee costs €3, “quoted” prices rose."
MAX_BYTES = 10_000


def read_articles(found: FoundFile, version: int, max_bytes: int):
    """The raw articles read from one input file, its rejections included."""
    return read_input(found, version, max_bytes)[1]


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
    # Pinned: a new formula would give every published article a new id on its next version.
    assert article_id("feeds/a.jsonl", 3) == "68e90e6b31dcc6ec40cc"
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


# --- odd names, links, pipes, deep trees and files that change under the scan

GOOD = "Harbor Council Approves Ferry Plan\n\nThe council voted on Tuesday to add ferries.\n"


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        (b"plain.txt", "plain.txt"),
        (b"caf\xe9.txt", "caf\\xe9.txt"),
        ("café.txt".encode(), "café.txt"),
        (b"back\\slash.txt", "back\\\\slash.txt"),
        (b"a\\xe9\xff.txt", "a\\\\xe9\\xff.txt"),  # a literal "\xe9" stays apart from the byte
    ],
)
def test_escape_name_is_plain_text_and_reversible(name, escaped):
    assert escape_name(os.fsdecode(name)) == escaped
    assert escaped.encode("utf-8")  # storable: no surrogates left
    assert unescape_name(escaped) == name


def test_file_whose_name_is_not_utf8_is_found_and_read_under_an_escaped_name(tmp_path):
    (tmp_path / os.fsdecode(b"sub")).mkdir()
    (tmp_path / os.fsdecode(b"sub/caf\xe9.txt")).write_text(GOOD, encoding="utf-8")
    [f] = find_input_files(tmp_path)
    assert f.source_file == "sub/caf\\xe9.txt" and f.problem is None
    file, result = read_input(f, 1, MAX_BYTES)
    assert [r.source_file for r in result.kept] == ["sub/caf\\xe9.txt"]
    assert file.sha256 == file_sha256(f.path)
    assert os.fsencode(tmp_path) + b"/" + unescape_name(f.source_file) == os.fsencode(f.path)


@pytest.mark.parametrize("charset", ["undefined", "hex", "utf-7", "no-such-charset"])
def test_page_declaring_a_charset_python_cannot_read_a_page_in_is_read_as_utf8(charset):
    html = f'<html><head><meta charset="{charset}"></head><body><p>{TEXT}</p></body></html>'
    text, encoding = decode_bytes(html.encode("utf-8"), html=True)
    assert TEXT in text
    assert encoding == f"utf-8 (declared charset '{charset}' unknown, ignored)"


def test_feed_line_with_a_lone_surrogate_escape_is_malformed_and_the_rest_is_kept(tmp_path):
    lines = ['{"text": "Half a pair \\ud800 here."}', '{"text": "Fine.", "title": "T \\udfff"}']
    write(tmp_path, "feed.jsonl", "\n".join([*lines, '{"text": "Good line."}']))
    result = read_articles(found(tmp_path, "feed.jsonl"), 1, MAX_BYTES)
    assert [r.content for r in result.kept] == ["Good line."]
    assert [(r.item, r.reason, r.original_text) for r in result.rejected] == [
        (1, "malformed", lines[0]),
        (2, "malformed", lines[1]),
    ]
    assert result.rejected[0].detail == (
        "line 1: a lone surrogate escape (\\udXXX) in 'text'; it is no Unicode character"
    )
    assert "'title'" in result.rejected[1].detail


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF16_LE + "Half a pair: ".encode("utf-16-le") + b"\x00\xd8",
        codecs.BOM_UTF8 + b"caf\xe9 au lait",
    ],
    ids=["utf-16 with a lone surrogate", "utf-8 BOM then cp1252"],
)
def test_decode_bytes_rejects_text_that_breaks_its_byte_order_mark(data):
    with pytest.raises(DecodeError) as info:
        decode_bytes(data)
    assert info.value.reason == "undecodable"
    assert "byte-order mark, but" in str(info.value)


def read_one(root: Path, rel: str, **scan) -> tuple[FoundFile, list]:
    [f] = [f for f in find_input_files(root, **scan) if f.source_file == rel]
    return f, read_articles(f, 1, MAX_BYTES).rejected


def test_named_pipe_is_unreadable_and_never_opened(tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")  # opening it to read would wait for a writer forever
    f, [rej] = read_one(tmp_path, "pipe.txt")
    assert (rej.reason, rej.detail) == ("unreadable", "not a regular file (a named pipe)")


def test_broken_link_and_link_loop_are_unreadable(tmp_path):
    os.symlink(tmp_path / "missing.txt", tmp_path / "broken.txt")
    os.symlink(tmp_path / "loop-b.txt", tmp_path / "loop-a.txt")
    os.symlink(tmp_path / "loop-a.txt", tmp_path / "loop-b.txt")
    rejected = {
        f.source_file: read_articles(f, 1, MAX_BYTES).rejected[0]
        for f in find_input_files(tmp_path)
    }
    assert {k: r.reason for k, r in rejected.items()} == dict.fromkeys(
        ["broken.txt", "loop-a.txt", "loop-b.txt"], "unreadable"
    )
    assert rejected["broken.txt"].detail.startswith("broken symbolic link")
    assert rejected["loop-a.txt"].detail.startswith("symbolic link loop")


@pytest.fixture
def linked(tmp_path: Path) -> Path:
    """An input folder with links to a file and a folder outside it, and inside it."""
    outside = tmp_path / "elsewhere"
    write(outside, "secret.txt", GOOD)
    write(outside, "dir/also-secret.txt", GOOD)
    root = tmp_path / "input"
    write(root, "real/story.txt", GOOD)
    os.symlink(outside / "secret.txt", root / "secret.txt")
    os.symlink(outside / "dir", root / "outdir")
    os.symlink(root / "real" / "story.txt", root / "alias.txt")
    os.symlink(root / "real", root / "realdir")
    os.symlink(root, root / "real" / "up")  # a loop when links are followed
    return root


def test_links_out_of_the_input_folder_are_not_followed(linked):
    found = {f.source_file: f for f in find_input_files(linked)}
    assert sorted(found) == ["alias.txt", "outdir", "real/story.txt", "secret.txt"]
    for name in ("secret.txt", "outdir"):
        [rej] = read_articles(found[name], 1, MAX_BYTES).rejected
        assert rej.reason == "outside_input"
        assert (
            "outside the input folder" in rej.detail and "(setting follow_symlinks)" in rej.detail
        )
    # A link to a file inside is read (as a copy of it); one to a folder inside is not walked.
    [alias] = read_articles(found["alias.txt"], 1, MAX_BYTES).kept
    assert alias.content == GOOD


def test_a_link_is_read_as_the_kind_of_file_its_own_name_says(tmp_path):
    write(tmp_path, "notes/story.dat", GOOD)
    os.symlink(tmp_path / "notes" / "story.dat", tmp_path / "story.txt")
    found = {f.source_file: f for f in find_input_files(tmp_path)}
    assert [r.format for r in read_articles(found["story.txt"], 1, MAX_BYTES).kept] == ["text"]
    [rej] = read_articles(found["notes/story.dat"], 1, MAX_BYTES).rejected
    assert rej.reason == "unsupported_format"


def test_links_are_followed_when_asked_and_loops_end(linked):
    names = [f.source_file for f in find_input_files(linked, follow_symlinks=True)]
    assert "secret.txt" in names and "outdir/also-secret.txt" in names
    assert all(f.problem is None for f in find_input_files(linked, follow_symlinks=True))
    assert len(names) == len(set(names)) < 10  # each real folder walked once


@pytest.fixture
def deep_tree(tmp_path: Path):
    """A folder nested 1,200 levels deep, removed level by level afterwards: shutil.rmtree
    (and so pytest's own clean-up) recurses once per level and would fail on it."""
    deep = os.fspath(tmp_path / "deep")
    levels = [deep]
    os.mkdir(deep)
    for _ in range(1200):  # os.makedirs and pathlib would recurse once per level too
        levels.append(levels[-1] + "/d")
        os.mkdir(levels[-1])
    with open(levels[-1] + "/bottom.txt", "w", encoding="utf-8") as f:
        f.write(GOOD)
    yield Path(deep)
    os.unlink(levels[-1] + "/bottom.txt")
    for level in reversed(levels):
        for entry in os.scandir(level):
            if not entry.is_dir():
                os.unlink(entry.path)
        os.rmdir(level)


def test_very_deep_tree_is_scanned_without_recursion_and_cut_at_max_depth(deep_tree):
    write(deep_tree, "top.txt", GOOD)
    write(deep_tree, "/".join(["d"] * 100) + "/deepest-read.txt", GOOD)
    found = find_input_files(deep_tree)
    top, last, cut = sorted(found, key=lambda f: f.source_file.count("/"))
    assert (top.source_file, last.source_file.endswith("/deepest-read.txt")) == ("top.txt", True)
    assert last.source_file.count("/") == 100 and last.problem is None
    assert cut.source_file == "d/" * 101 and cut.problem[0] == "too_deep"
    [rej] = read_articles(cut, 1, MAX_BYTES).rejected
    assert rej.reason == "too_deep"
    assert rej.detail.startswith("folder 101 levels below the input folder; copydesk reads 100")


def test_file_deleted_after_the_scan_is_vanished(tmp_path):
    path = write(tmp_path, "gone.txt", GOOD)
    [f] = find_input_files(tmp_path)
    path.unlink()
    file, result = read_input(f, 2, MAX_BYTES)
    [rej] = result.rejected
    assert (rej.reason, rej.detail) == (
        "vanished",
        "deleted after the scan found it, before it was read",
    )
    assert (file.source_file, file.sha256, file.size_bytes, file.version) == ("gone.txt", "", 0, 2)
    assert file.mtime_ns is None  # a later run looks at the path again


def test_file_rewritten_after_the_scan_is_recorded_as_read(tmp_path):
    path = write(tmp_path, "story.txt", "Old text.")
    [f] = find_input_files(tmp_path)
    path.write_text(GOOD, encoding="utf-8")
    file, result = read_input(f, 1, MAX_BYTES)
    [raw] = result.kept
    assert raw.content == GOOD
    assert (file.sha256, file.size_bytes) == (file_sha256(path), len(GOOD.encode()))
    assert file.mtime_ns == path.stat().st_mtime_ns
    assert f.size_bytes == len("Old text.")  # what the scan saw is not what is recorded


def test_file_replaced_by_a_folder_or_a_link_after_the_scan_is_unreadable(tmp_path):
    write(tmp_path, "a.txt", GOOD)
    write(tmp_path, "b.txt", GOOD)
    fa, fb = find_input_files(tmp_path)
    (tmp_path / "a.txt").unlink()
    (tmp_path / "a.txt").mkdir()
    (tmp_path / "b.txt").unlink()
    os.symlink("/etc/hostname", tmp_path / "b.txt")
    [ra] = read_articles(fa, 1, MAX_BYTES).rejected
    [rb] = read_articles(fb, 1, MAX_BYTES).rejected
    assert (ra.reason, ra.detail) == ("unreadable", "replaced by a folder after the scan; not read")
    assert (rb.reason, rb.detail) == (
        "unreadable",
        "replaced by a symbolic link after the scan; not read",
    )


ROOT = os.geteuid() == 0


@pytest.mark.skipif(ROOT, reason="root reads a file whatever its mode bits")
def test_file_without_read_permission_is_unreadable(tmp_path):
    path = write(tmp_path, "locked.txt", GOOD)
    path.chmod(0)
    [rej] = read_articles(found(tmp_path, "locked.txt"), 1, MAX_BYTES).rejected
    assert (rej.reason, rej.detail) == ("unreadable", "cannot be opened (Permission denied)")


@pytest.mark.skipif(ROOT, reason="root lists a folder whatever its mode bits")
def test_folder_that_cannot_be_listed_is_unreadable(tmp_path):
    write(tmp_path, "locked/a.txt", GOOD)
    (tmp_path / "locked").chmod(0)
    try:
        [f] = find_input_files(tmp_path)
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert (f.source_file, f.problem[0]) == ("locked/", "unreadable")


def test_too_large_file_is_hashed_to_the_end_but_not_kept(tmp_path):
    path = write(tmp_path, "big.txt", "x" * 5000)
    file, result = read_input(found(tmp_path, "big.txt"), 1, max_bytes=100)
    assert [r.reason for r in result.rejected] == ["too_large"]
    assert (file.sha256, file.size_bytes) == (file_sha256(path), 5000)


AS_OTHER_USER = """
import json, sys
from pathlib import Path
from copydesk.ingest import find_input_files, read_input
found = find_input_files(Path(sys.argv[1]))
print(json.dumps({f.source_file: [[r.reason, r.detail] for r in
      read_input(f, 1, 10_000)[1].rejected] for f in found}))
"""


@pytest.mark.skipif(
    not ROOT or not shutil.which("setpriv"), reason="needs root and setpriv to become another user"
)
def test_no_permission_is_unreadable_for_a_user_the_mode_bits_stop():
    """Root ignores mode bits, so the scan and the read run as the user nobody (65534)."""
    folder = Path(tempfile.mkdtemp())
    try:
        folder.chmod(0o777)
        write(folder, "open.txt", GOOD)
        write(folder, "locked.txt", GOOD).chmod(0)
        write(folder, "shut/a.txt", GOOD)
        (folder / "shut").chmod(0)
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        run = subprocess.run(
            [*command, sys.executable, "-c", AS_OTHER_USER, str(folder)],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parents[1],
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
            timeout=60,
        )
        if run.returncode and "Permission denied" in run.stderr and "import" in run.stderr:
            pytest.skip(f"the user nobody cannot import copydesk here: {run.stderr[-200:]}")
        assert run.returncode == 0, run.stderr
        assert json.loads(run.stdout) == {
            "locked.txt": [["unreadable", "cannot be opened (Permission denied)"]],
            "open.txt": [],
            "shut/": [["unreadable", "folder cannot be listed (Permission denied)"]],
        }
    finally:
        (folder / "shut").chmod(0o755)
        shutil.rmtree(folder)


def test_feed_lines_python_cannot_parse_are_malformed_not_a_crash(tmp_path):
    nested = "[" * 100_000 + "]" * 100_000
    huge = '{"text": "A number.", "n": ' + "9" * 5000 + "}"
    write(tmp_path, "feed.jsonl", "\n".join([nested, huge, '{"text": "Good line."}']))
    result = read_articles(found(tmp_path, "feed.jsonl"), 1, 1_000_000)
    assert [r.content for r in result.kept] == ["Good line."]
    assert [(r.item, r.reason) for r in result.rejected] == [(1, "malformed"), (2, "malformed")]
    assert result.rejected[0].detail == "line 1: JSON nested too deeply"
    assert result.rejected[1].detail.startswith("line 2: JSON value out of range (Exceeds")


@pytest.mark.parametrize("pad", ["", " "], ids=["even length", "odd length"])
@pytest.mark.parametrize("charset", ["utf-16", "UTF-16LE", "utf-32"])
def test_page_declaring_utf16_in_ascii_markup_is_read_as_utf8(charset, pad):
    """An even number of bytes decodes as UTF-16 without error, into CJK garbage."""
    html = f'<html><head><meta charset="{charset}"></head><body><p>{TEXT}</p></body></html>'
    html += pad
    assert decode_bytes(html.encode("utf-8"), html=True) == (html, "utf-8")
