"""The real flow on a folder holding every kind of input that used to stop a run, beside good
files: the run publishes, and every odd path is accounted for with its reason."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import pytest

from flows.publish_articles import publish_articles
from tests.e2e.conftest import published_state, query

pytestmark = pytest.mark.e2e

ROOT_USER = os.geteuid() == 0


def story(place: str, subject: str, detail: str) -> str:
    """A distinct article of about seventy words, so that none is a copy of another."""
    return (
        f"{place} {subject}\n\n"
        f"Officials in {place} said on Monday that the plan for {subject.lower()} would go "
        f"ahead after a long public consultation, {detail}.\n\n"
        f"Residents of {place} who spoke at the last hearing asked for regular progress "
        f"reports, and the council agreed to publish one every quarter on its website, "
        f"starting with a report on {subject.lower()} early next year.\n"
    )


GOOD_ONE = story("Northfield", "Bridge Repairs Approved", "with work to begin in the spring")
GOOD_TWO = story("Eastbrook", "Library Hours Extended", "paid from the cultural fund")
LATIN_NAME = story("Lerignac", "Market Square Rebuilt", "with stalls back by the summer")
BAD_CHARSET = story("Pinecrest", "School Roof Replaced", "after leaks closed two classrooms")
FEED_GOOD = story("Valley", "Water Main Upgrade", "costing less than first estimated")
REWRITTEN = story("Coastline", "Harbor Wall Raised", "to protect the fish market from storms")
SECRET = story("Elsewhere", "Private Notes Kept", "never meant to be published")


@pytest.fixture
def zoo(tmp_path: Path):
    """The bad-input zoo; its 1,200-level folder is removed level by level afterwards."""
    root = tmp_path / "zoo"
    root.mkdir()
    (root / "good-one.txt").write_text(GOOD_ONE, encoding="utf-8")
    (root / "good-two.html").write_text(
        f"<html><head><title>x</title></head><body><article><h1>Eastbrook Library Hours "
        f"Extended</h1>{''.join(f'<p>{p}</p>' for p in GOOD_TWO.split(chr(10)) if p)}"
        "</article></body></html>",
        encoding="utf-8",
    )
    # A name that is not UTF-8 (Latin-1 é).
    with open(os.fsencode(root) + b"/caf\xe9-market.txt", "w", encoding="utf-8") as f:
        f.write(LATIN_NAME)
    # A page declaring a charset Python has as a codec that fails on every byte.
    (root / "undefined-charset.html").write_text(
        '<html><head><meta charset="undefined"><title>x</title></head><body><article>'
        + "".join(f"<p>{p}</p>" for p in BAD_CHARSET.split("\n") if p)
        + "</article></body></html>",
        encoding="utf-8",
    )
    # A feed line holding a lone surrogate escape, then a good line.
    (root / "feed.jsonl").write_text(
        '{"title": "Broken", "text": "Half a pair \\ud800 of UTF-16."}\n'
        + '{"title": "Valley Water Main Upgrade", "text": '
        + repr(FEED_GOOD).replace("'", '"')
        + "}\n",
        encoding="utf-8",
    )
    # A named pipe: opening it to read would wait for a writer for ever.
    os.mkfifo(root / "pipe.txt")
    # A file without read permission (root reads it anyway, so only for other users).
    if not ROOT_USER:
        (root / "locked.txt").write_text(GOOD_ONE, encoding="utf-8")
        (root / "locked.txt").chmod(0)
    # Links: one to a file outside the input folder, one broken.
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET, encoding="utf-8")
    os.symlink(outside / "secret.txt", root / "link-out.txt")
    os.symlink(root / "missing.txt", root / "broken-link.txt")
    # Folders nested 1,200 levels deep.
    levels = [os.fspath(root / "deep")]
    os.mkdir(levels[0])
    for _ in range(1200):
        levels.append(levels[-1] + "/d")
        os.mkdir(levels[-1])
    with open(levels[-1] + "/bottom.txt", "w", encoding="utf-8") as f:
        f.write(GOOD_ONE)
    # Two files the scan finds, then changed before they are read (see the hook below).
    (root / "vanishing.txt").write_text(GOOD_TWO, encoding="utf-8")
    (root / "rewritten.txt").write_text("An early draft.\n", encoding="utf-8")
    yield root
    os.unlink(levels[-1] + "/bottom.txt")
    for level in reversed(levels):
        os.rmdir(level)


class AfterScan(logging.Handler):
    """Deletes one file and rewrites another as soon as the scan has planned the run (its
    last log line), before any batch is read: a real file system race, made certain."""

    def __init__(self, root: Path) -> None:
        super().__init__(logging.INFO)
        self.root = root

    def emit(self, record: logging.LogRecord) -> None:
        if "to read" in record.getMessage() and (self.root / "vanishing.txt").exists():
            (self.root / "vanishing.txt").unlink()
            (self.root / "rewritten.txt").write_text(REWRITTEN, encoding="utf-8")


@pytest.fixture
def after_scan(zoo: Path):
    logger = logging.getLogger("copydesk.batch")
    handler, level = AfterScan(zoo), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_bad_input_zoo_publishes_the_good_files_and_quarantines_each_odd_one(
    tmp_path, zoo, after_scan
):
    db = tmp_path / "w.duckdb"

    summary = publish_articles(input_dir=zoo, warehouse_path=db, batch_size=3)

    assert summary.balanced
    assert summary.articles_read == summary.published + summary.duplicates + summary.quarantined
    published = dict(query(db, "select source_file, body from published.articles"))
    assert set(published) == {
        "good-one.txt",
        "good-two.html",
        "caf\\xe9-market.txt",
        "undefined-charset.html",
        "feed.jsonl",
        "rewritten.txt",
    }
    assert "progress reports" in published["good-one.txt"]
    assert "cultural fund" in published["good-two.html"]
    assert "fish market" in published["rewritten.txt"]  # the content read, not the draft
    assert not any("never meant to be published" in body for body in published.values())
    quarantined = {
        (source_file, item): (step, reason, detail)
        for source_file, item, step, reason, detail in query(
            db, "select source_file, item, step, reason, detail from published.quarantine"
        )
    }
    expected = {
        ("feed.jsonl", 1): ("malformed", "line 1: a lone surrogate escape"),
        ("pipe.txt", 0): ("unreadable", "not a regular file (a named pipe)"),
        ("link-out.txt", 0): ("outside_input", "symbolic link to a file outside the input"),
        ("broken-link.txt", 0): ("unreadable", "broken symbolic link"),
        ("deep/" + "d/" * 100, 0): ("too_deep", "folder 101 levels below the input folder"),
        ("vanishing.txt", 0): ("vanished", "deleted after the scan found it"),
    }
    if not ROOT_USER:
        expected["locked.txt", 0] = ("unreadable", "cannot be opened (Permission denied)")
    assert set(quarantined) == set(expected)
    for key, (reason, detail) in expected.items():
        step, got_reason, got_detail = quarantined[key]
        assert (step, got_reason) == ("ingest", reason), key
        assert got_detail.startswith(detail), (key, got_detail)

    # raw.files records every path with the hash of exactly the bytes that were read.
    files = {
        path: (sha, size)
        for path, sha, size in query(db, "select source_file, sha256, size_bytes from raw.files")
    }
    rewritten = REWRITTEN.encode()
    assert files["rewritten.txt"] == (hashlib.sha256(rewritten).hexdigest(), len(rewritten))
    assert files["vanishing.txt"] == ("", 0) and files["pipe.txt"] == ("", 0)
    assert summary.files_seen == summary.files_ingested == len(files) == len(expected) + 6 - 1
    [(encoding,)] = query(
        db, "select encoding from raw.documents where source_file = 'undefined-charset.html'"
    )
    assert encoding == "utf-8 (declared charset 'undefined' unknown, ignored)"

    # The same folder again: nothing new to read, no row changes.
    before = published_state(db)
    again = publish_articles(input_dir=zoo, warehouse_path=db)
    assert (again.files_unchanged, again.articles_read) == (again.files_seen, 0)
    after = published_state(db)
    for table in ("articles", "paragraphs", "removals", "quarantine"):
        assert after[table] == before[table], table


@pytest.mark.parametrize(
    ("env", "error", "message"),
    [
        ({"COPYDESK_MAX_FILE_BYTES": "-1"}, "SettingsError", "^COPYDESK_MAX_FILE_BYTES = '-1'"),
        (
            {"COPYDESK_BATCH_SIZE": "0"},
            "SettingsError",
            r"^COPYDESK_BATCH_SIZE \(or --batch-size\)",
        ),
        ({"COPYDESK_RULES_DIRS": "RULES"}, "RulePackError", "rule 'promo.x'.*exponential time"),
        ({"COPYDESK_QUALITY_DIR": "UNDER_A_FILE"}, "SettingsError", "^COPYDESK_QUALITY_DIR = "),
    ],
    ids=["negative max_file_bytes", "batch size 0", "slow rule pattern", "unwritable quality"],
)
def test_settings_that_make_no_sense_stop_the_flow_before_the_run_starts(
    tmp_path, monkeypatch, env, error, message
):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "house.toml").write_text(
        '[pack]\nid = "house"\n[[rules]]\nid = "promo.x"\nreason = "promo"\n'
        'pattern = "^(a|aa)+$"\n',
        encoding="utf-8",
    )
    (tmp_path / "a-file").write_text("x")
    values = {"RULES": f'["{rules}"]', "UNDER_A_FILE": str(tmp_path / "a-file" / "quality")}
    for name, value in env.items():
        monkeypatch.setenv(name, values.get(value, value))
    inputs = tmp_path / "input"
    inputs.mkdir()
    (inputs / "good.txt").write_text(GOOD_ONE, encoding="utf-8")
    db = tmp_path / "w.duckdb"

    with pytest.raises(ValueError, match=message) as info:
        publish_articles(input_dir=inputs, warehouse_path=db)

    assert type(info.value).__name__ == error
    assert not db.exists()  # no run was started, nothing was written
