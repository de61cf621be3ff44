"""A warehouse with a history of three real runs, for the dashboard and Data Docs tests.

1. the shipped sample (data/raw);
2. the sample plus new files: a feed whose title, source and text carry XSS payloads, with a
   stub (quarantined as too short) and an article whose body has a payload and a comment
   prompt (quarantined as boilerplate_left, so GX quotes its body); a copy of a sample story
   (a duplicate); and an empty file whose *name* is an XSS payload (quarantined as empty);
3. one more feed, validated by an operator's stricter suite: blocked.

None of the shipped critical expectations can be failed by input: article_id comes from the
file path, body and source_file are never null, and every staged article has at least one
word by construction (they guard against bugs). So the blocked run is produced the way an
operator would produce one: a copy of the suite in its own COPYDESK_EXPECTATIONS_DIR with one
critical expectation more, "no <script> tag left in a body", and an article that has one.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from flows.publish_articles import PublishBlocked, publish_articles
from tests.e2e.conftest import SAMPLE

SUITE = Path(__file__).resolve().parents[2] / "expectations" / "articles.json"
SCRIPT = "<script>window.__xss = 1; alert(1)</script>"
IMG = '<img src=x onerror="window.__xss = 2; alert(2)">'
EVIL_FILE = "<img src=x onerror=window.__xss=3>.txt"
STORY = (
    "The river authority said on Monday that it would open two new flood gates before the "
    "spring melt, after engineers found that the old gates could no longer hold back the "
    "volume of water that arrived in the valley during last year's storms. Residents of the "
    "lower town, who were evacuated twice last spring, welcomed the decision but asked for "
    "a public meeting on how the gates would be run."
)

LATE = (
    "Work on the new flood gates will start three weeks later than planned, the contractor "
    "told the county board on Thursday, because the steel for the gate frames was held up at "
    "the port during the dockworkers' strike. The board asked for a written schedule by the "
    f"end of the month, and its clerk pasted the notice into the county site as {SCRIPT} "
    "by mistake."
)


@dataclass(frozen=True)
class History:
    warehouse: Path
    input_dir: Path
    run_ids: tuple[str, str, str]  # sample, added files, blocked
    blocked_message: str


def build_history(root: Path, monkeypatch: pytest.MonkeyPatch) -> History:
    """Run the real flow three times into root/w.duckdb; Data Docs go to the default place."""
    monkeypatch.delenv("COPYDESK_QUALITY_DIR", raising=False)
    inputs = root / "input"
    shutil.copytree(SAMPLE, inputs)
    db = root / "warehouse" / "w.duckdb"
    db.parent.mkdir()

    first = publish_articles(input_dir=inputs, warehouse_path=db)

    feed = [
        {
            "url": "https://evil.example/story",
            "title": f"Flood gates {SCRIPT}",
            "source": f"Evil Gazette {IMG}",
            "text": f"{STORY}\n\nA reader wrote in: {SCRIPT} and {IMG}.",
        },
        {"url": "https://evil.example/stub", "title": "Stub", "text": "Gates open soon."},
        {
            "url": "https://evil.example/comments",
            "title": "Readers on the gates",
            "text": f"Readers {SCRIPT} were asked to leave a reply below. {STORY}",
        },
    ]
    (inputs / "added").mkdir()
    lines = "\n".join(json.dumps(item) for item in feed) + "\n"
    (inputs / "added" / "evil.jsonl").write_text(lines, encoding="utf-8")
    (inputs / "added" / EVIL_FILE).write_bytes(b"")
    copy = inputs / "added" / "copy-of-port-strike.txt"
    shutil.copy(inputs / "text" / "harbor-ledger-port-strike.txt", copy)
    second = publish_articles(input_dir=inputs, warehouse_path=db)

    strict = root / "strict-expectations"
    strict.mkdir()
    suite = json.loads(SUITE.read_text(encoding="utf-8"))
    suite["expectations"].append(
        {
            "type": "expect_column_values_to_not_match_regex",
            "kwargs": {"column": "body", "regex": "(?i)<script"},
            "meta": {"severity": "critical"},
        }
    )
    (strict / "articles.json").write_text(json.dumps(suite), encoding="utf-8")
    monkeypatch.setenv("COPYDESK_EXPECTATIONS_DIR", str(strict))
    (inputs / "late").mkdir()
    late = {"url": "https://late.example/works", "title": "Gate works delayed", "text": LATE}
    (inputs / "late" / "player.jsonl").write_text(json.dumps(late) + "\n", encoding="utf-8")
    with pytest.raises(PublishBlocked) as blocked:
        publish_articles(input_dir=inputs, warehouse_path=db)
    monkeypatch.delenv("COPYDESK_EXPECTATIONS_DIR")

    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        [(third,)] = con.execute(
            "select run_id from audit.runs where status = 'blocked'"
        ).fetchall()
    finally:
        con.close()
    return History(db, inputs, (first.run_id, second.run_id, third), str(blocked.value))
