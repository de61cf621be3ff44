"""The DuckDB warehouse: staging -> audit -> published, driven as the flow does, on a real file."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from copydesk import audit, publish, runlog, staging, warehouse
from copydesk.batch import CleanedBatch, plan_files, prepare_batch
from copydesk.batch_tables import BatchTables, batch_tables
from copydesk.ingest import article_id, file_sha256, find_input_files
from copydesk.publish import publish_batch
from copydesk.records import KnownFile
from copydesk.scan import known_versions
from tests.conftest import (
    cleaned,
    paragraph_hash,
    publish_run,
    raw_article,
    restage_band_keys,
    run_settings,
    start_run,
    summary_for,
)

HEADLINE = "Council Approves Two New Bus Lines"
BUDGET = (
    "The city council voted on Tuesday night to approve a new budget for public transport, "
    "adding two bus lines that will serve the northern districts from next spring and "
    "extending evening service on the busiest routes by one hour."
)
COST = (
    "Officials said the plan would cost about twelve million dollars over three years, paid "
    "for in part by a state grant and in part by higher parking fees in the downtown core, "
    "which several merchants had opposed at earlier hearings."
)
RIDERSHIP = (
    "The transport authority said ridership had recovered to nearly ninety percent of its "
    "level before the pandemic, with the largest gains on weekend routes and among students "
    "who travel between the two university campuses every day."
)
HARBOUR = (
    "Work on the harbour wall began in March after winter storms washed away a section of "
    "the old promenade, and engineers expect the repairs to last until the end of the summer "
    "if the weather stays calm enough for the barges."
)
FERRY = (
    "The ferry company has moved its morning crossings to the north pier while the work goes "
    "on, adding about ten minutes to each trip, and it has promised refunds to season ticket "
    "holders who can show they missed a connection."
)
SCHOOL = (
    "Parents at the primary school on Mill Road collected more than two thousand signatures "
    "asking the district to keep the building open, arguing that the nearest alternative "
    "would mean a bus ride of forty minutes for the youngest children."
)
LIBRARY = (
    "The library board said it would extend opening hours on weekday evenings from September, "
    "after a survey found that most of its visitors work during the day and had asked for "
    "more time to borrow books and use the computers there."
)
COMMENT = "Leave a comment"
PAYWALL = "Subscribe now to keep reading our coverage."
COMMENT_RULE = "generic-en/comments.leave-reply"
PAYWALL_RULE = "generic-en/paywall.subscribe-to-continue"
CUT_RULE = "dedup/cross-article"
PUBLISHED = ("articles", "paragraphs", "removals", "quarantine")


def words(*paragraphs: str) -> int:
    return sum(len(p.split()) for p in paragraphs)


def body(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs)


raw = raw_article
staged = cleaned


def run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    batches: Sequence[CleanedBatch],
    cut: bool = False,
    failures: Mapping[str, tuple[str, str]] | None = None,
    publish: bool = True,
) -> dict:
    """One run as the flow makes it, without validation; returns the audit batch's counts."""
    cfg = run_settings(cross_article_paragraphs="cut" if cut else "keep")
    return publish_run(con, run_id, batches, cfg, failures, publish)


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def published_state(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {t: sorted(rows(con, f"select * from published.{t}"), key=repr) for t in PUBLISHED}


def duplicates(con: duckdb.DuckDBPyConnection, schema: str = "published") -> dict[str, str | None]:
    return dict(rows(con, f"select article_id, duplicate_of from {schema}.articles"))


def first_seen(con: duckdb.DuckDBPyConnection, schema: str = "published") -> list[tuple]:
    return rows(
        con, f"select article_id, position, first_article_id from {schema}.paragraphs order by 1, 2"
    )


@pytest.fixture
def con(tmp_path: Path):
    with warehouse.connect(tmp_path / "warehouse.duckdb") as connection:
        yield connection


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run_files(con: duckdb.DuckDBPyConnection, run_id: str, root: Path, packs) -> dict:
    """One run over the files of `root`, planned against what the warehouse knows."""
    plan = plan_files(find_input_files(root), known_versions(con))
    batch = prepare_batch(plan.to_read, packs, max_bytes=1_000_000)
    counts = run(con, run_id, [batch])
    return {**counts, "files_unchanged": plan.unchanged}


# --- a first run


FEED_GOOD = {
    "text": f"{HARBOUR}\n{FERRY}",
    "title": "Harbour Wall Repairs Move Ferry",
    "url": "https://news.example.org/harbour",
    "source": "Coast Gazette",
    "published": "2026-03-03T08:30:00",
}


@pytest.fixture
def first_inputs(tmp_path: Path) -> Path:
    root = tmp_path / "input"
    write(root, "council.txt", "\n".join([HEADLINE, BUDGET, COMMENT, COST, PAYWALL, RIDERSHIP]))
    write(root, "blank.txt", " \n\n ")
    write(root, "empty.txt", "")
    write(root, "feed.jsonl", json.dumps(FEED_GOOD) + "\n{broken line\n")
    return root


def test_first_run_publishes_articles_paragraphs_removals_and_quarantine(con, first_inputs, packs):
    counts = run_files(con, "r1", first_inputs, packs)

    council, feed1 = article_id("council.txt", 0), article_id("feed.jsonl", 1)
    assert rows(
        con,
        "select article_id, source_file, item, version, title, url, source, "
        "published_at::varchar, body, word_count, truncated, duplicate_of, run_id "
        "from published.articles order by source_file",
    ) == [
        (
            council,
            "council.txt",
            0,
            1,
            HEADLINE,
            None,
            None,
            None,
            body(BUDGET, COST, RIDERSHIP),
            words(BUDGET, COST, RIDERSHIP),
            False,
            None,
            "r1",
        ),
        (
            feed1,
            "feed.jsonl",
            1,
            1,
            "Harbour Wall Repairs Move Ferry",
            "https://news.example.org/harbour",
            "Coast Gazette",
            "2026-03-03 08:30:00",
            body(HARBOUR, FERRY),
            words(HARBOUR, FERRY),
            False,
            None,
            "r1",
        ),
    ]
    # Positions index the paragraph split (the headline is 0), the same space as removals.
    assert rows(
        con, "select * from published.paragraphs where article_id = ? order by position", [council]
    ) == [
        (council, 1, BUDGET, paragraph_hash(BUDGET), council, "r1"),
        (council, 3, COST, paragraph_hash(COST), council, "r1"),
        (council, 5, RIDERSHIP, paragraph_hash(RIDERSHIP), council, "r1"),
    ]
    assert rows(con, "select * from published.removals order by article_id, position") == [
        (council, 2, COMMENT, "comments", COMMENT_RULE, "r1"),
        (council, 4, PAYWALL, "paywall", PAYWALL_RULE, "r1"),
    ]
    assert rows(
        con, "select * exclude (detail) from published.quarantine order by source_file"
    ) == [
        ("blank.txt", 0, article_id("blank.txt", 0), 1, "ingest", "empty", None, "r1"),
        ("empty.txt", 0, article_id("empty.txt", 0), 1, "ingest", "empty", None, "r1"),
        (
            "feed.jsonl",
            2,
            article_id("feed.jsonl", 2),
            1,
            "ingest",
            "malformed",
            "{broken line",
            "r1",
        ),
    ]
    details = [
        d for (d,) in rows(con, "select detail from published.quarantine order by source_file")
    ]
    assert details[:2] == ["file holds only white space", "empty file"]
    assert details[2].startswith("line 2: not JSON")

    assert rows(
        con, "select source_file, version, sha256, size_bytes, run_id from raw.files order by 1"
    ) == [
        (name, 1, file_sha256(first_inputs / name), (first_inputs / name).stat().st_size, "r1")
        for name in ("blank.txt", "council.txt", "empty.txt", "feed.jsonl")
    ]
    assert rows(
        con,
        "select article_id, version, source_file, item, format, title, run_id "
        "from raw.documents order by source_file",
    ) == [
        (council, 1, "council.txt", 0, "text", None, "r1"),
        (feed1, 1, "feed.jsonl", 1, "text", "Harbour Wall Repairs Move Ferry", "r1"),
    ]
    assert rows(con, "select content from raw.documents where article_id = ?", [council]) == [
        ((first_inputs / "council.txt").read_text(encoding="utf-8"),)
    ]

    assert counts == {
        "files_ingested": 4,
        "articles_read": 5,
        "published": 2,
        "duplicates": 0,
        "quarantined": 3,
        "removed_spans": 2,
        "files_unchanged": 0,
        "quarantine_by_reason": {"empty": 2, "malformed": 1},
        "removals_by_reason": {"comments": 1, "paywall": 1},
    }


def test_unchanged_files_are_not_read_again(con, first_inputs, packs):
    run_files(con, "r1", first_inputs, packs)
    before = published_state(con)

    counts = run_files(con, "r2", first_inputs, packs)

    assert counts["files_unchanged"] == 4
    assert (counts["files_ingested"], counts["articles_read"], counts["published"]) == (0, 0, 0)
    assert published_state(con) == before


def test_the_audit_says_how_long_each_step_of_its_build_took(con, first_inputs, packs, caplog):
    with caplog.at_level(logging.INFO, logger="copydesk.audit"):
        run_files(con, "r1", first_inputs, packs)

    built = [r.getMessage() for r in caplog.records if r.name == "copydesk.audit"]
    steps = [line.removeprefix("audit: ").rsplit(" built in ", 1) for line in built]
    assert [step for step, _ in steps] == list(audit.BUILD)
    assert all(seconds.endswith(" s") for _, seconds in steps)


def test_publishing_says_how_long_each_of_its_steps_took(con, first_inputs, packs, caplog):
    with caplog.at_level(logging.INFO, logger="copydesk.publish"):
        run_files(con, "r1", first_inputs, packs)

    said = [r.getMessage() for r in caplog.records if r.message.startswith("publish: ")]
    steps = [line.removeprefix("publish: ").rsplit(" in ", 1) for line in said]
    assert [step for step, _ in steps] == list(publish.STEPS)
    assert all(seconds.endswith(" s") for _, seconds in steps)


def test_body_and_paragraphs_follow_stage_order_across_batches(con, packs):
    first = staged([raw("harbour", "a.txt", HARBOUR, FERRY)], packs)
    second = staged([raw("school", "b.txt", SCHOOL, LIBRARY, COMMENT)], packs)

    run(con, "r1", [first, second])

    assert rows(con, "select article_id, seq from staging.articles order by seq") == [
        ("harbour", 0),
        ("school", 1),
    ]
    assert rows(con, "select article_id, body, word_count from published.articles order by 1") == [
        ("harbour", body(HARBOUR, FERRY), words(HARBOUR, FERRY)),
        ("school", body(SCHOOL, LIBRARY), words(SCHOOL, LIBRARY)),
    ]
    assert rows(con, "select article_id, position, reason from published.removals") == [
        ("school", 2, "comments")
    ]


def test_batches_staged_in_one_write_keep_their_order(con, packs):
    first = batch_tables(staged([raw("harbour", "a.txt", HARBOUR, FERRY)], packs))
    second = batch_tables(staged([raw("school", "b.txt", SCHOOL, LIBRARY, COMMENT)], packs))
    start_run(con, "r1")

    result = staging.stage_batch(con, "r1", BatchTables.combine([first, second]), 5)

    assert (result.files, result.articles) == (2, 2)
    assert rows(con, "select article_id, seq from staging.articles order by seq") == [
        ("harbour", 5),
        ("school", 6),
    ]
    for table in ("paragraphs", "removals", "paragraph_band_keys"):
        alone = first.rows(table) + second.rows(table)
        assert rows(con, f"select count(*) from staging.{table}") == [(alone,)]


def test_a_batch_that_fails_to_stage_leaves_nothing_behind(con, packs):
    tables = batch_tables(staged([raw("school", "b.txt", SCHOOL, LIBRARY)], packs))
    assert list(tables.tables).index("paragraphs") > 0  # other tables are staged before it
    broken = dict(tables.tables, paragraphs=pa.table({"position": ["not a number"]}))
    start_run(con, "r1")

    with pytest.raises(duckdb.ConversionException):
        staging.stage_batch(con, "r1", BatchTables(broken), 0)

    for table in ("files", "documents", "articles", "paragraphs"):
        assert rows(con, f"select count(*) from staging.{table}") == [(0,)]
    staging.stage_batch(con, "r1", tables, 0)  # the retry stages it once
    assert rows(con, "select article_id from staging.articles") == [("school",)]


# --- whole-article duplicates


def test_same_body_in_one_run_later_seq_is_the_duplicate(con, packs):
    # Ids sort the other way round from seq: the canonical is the first one seen, not min(id).
    batch = staged(
        [
            raw("zz-wire", "wire.txt", BUDGET, COST),
            raw("mm-other", "other.txt", SCHOOL, LIBRARY),
            # Same body but for case and punctuation, and with boilerplate around it.
            raw("aa-copy", "copy.txt", BUDGET.upper(), COMMENT, COST.replace(",", "")),
        ],
        packs,
    )

    counts = run(con, "r1", [batch])

    assert duplicates(con) == {"zz-wire": None, "mm-other": None, "aa-copy": "zz-wire"}
    assert (counts["published"], counts["duplicates"], counts["articles_read"]) == (2, 1, 3)
    # A duplicate is still published whole, with its own body.
    assert rows(con, "select body from published.articles where article_id = 'aa-copy'") == [
        (body(BUDGET.upper(), COST.replace(",", "")),)
    ]


def test_copy_in_a_later_run_points_at_the_published_canonical(con, packs):
    run(
        con,
        "r1",
        [staged([raw("canon", "a.txt", BUDGET, COST), raw("dup", "b.txt", BUDGET, COST)], packs)],
    )

    counts = run(con, "r2", [staged([raw("late", "c.txt", PAYWALL, BUDGET, COST)], packs)])

    assert duplicates(con) == {"canon": None, "dup": "canon", "late": "canon"}
    assert (counts["published"], counts["duplicates"]) == (0, 1)
    assert rows(con, "select article_id, run_id from published.articles order by 1") == [
        ("canon", "r1"),
        ("dup", "r1"),
        ("late", "r2"),
    ]


def test_reprocessed_canonical_is_not_a_duplicate_of_itself(con, packs):
    run(
        con,
        "r1",
        [staged([raw("canon", "a.txt", BUDGET, COST), raw("dup", "b.txt", BUDGET, COST)], packs)],
    )

    # Version 2 of the file: a comment prompt more, the same body.
    run(con, "r2", [staged([raw("canon", "a.txt", BUDGET, COST, COMMENT, version=2)], packs)])

    assert duplicates(con) == {"canon": None, "dup": "canon"}
    assert rows(
        con, "select version, run_id from published.articles where article_id = 'canon'"
    ) == [(2, "r2")]
    assert first_seen(con) == [
        ("canon", 0, "canon"),
        ("canon", 1, "canon"),
        ("dup", 0, "canon"),
        ("dup", 1, "canon"),
    ]


def test_reprocessed_canonical_stays_canonical_beside_a_new_copy(con, packs):
    run(con, "r1", [staged([raw("canon", "b.txt", BUDGET, COST)], packs)])

    # The new copy sorts first in the run (a.txt < b.txt), so it gets seq 0.
    run(
        con,
        "r2",
        [
            staged(
                [
                    raw("newcopy", "a.txt", BUDGET, COST),
                    raw("canon", "b.txt", BUDGET, COST, COMMENT, version=2),
                ],
                packs,
            )
        ],
    )

    assert duplicates(con) == {"canon": None, "newcopy": "canon"}


# --- paragraphs shared across articles


def test_shared_paragraph_is_first_seen_in_the_earlier_article_of_the_run(con, packs):
    batch = staged(
        [
            raw("zz-early", "a.txt", HARBOUR, RIDERSHIP),
            raw("aa-late", "b.txt", RIDERSHIP, SCHOOL, FERRY),
        ],
        packs,
    )

    run(con, "r1", [batch])

    assert first_seen(con) == [
        ("aa-late", 0, "zz-early"),
        ("aa-late", 1, "aa-late"),
        ("aa-late", 2, "aa-late"),
        ("zz-early", 0, "zz-early"),
        ("zz-early", 1, "zz-early"),
    ]
    # Keep policy: the shared paragraph stays in both bodies, nothing is removed.
    assert rows(con, "select article_id, word_count from published.articles order by 1") == [
        ("aa-late", words(RIDERSHIP, SCHOOL, FERRY)),
        ("zz-early", words(HARBOUR, RIDERSHIP)),
    ]
    assert rows(con, "select count(*) from published.removals") == [(0,)]


def test_shared_paragraph_is_first_seen_in_the_published_article_across_runs(con, packs):
    run(con, "r1", [staged([raw("zz-published", "z.txt", HARBOUR, RIDERSHIP)], packs)])

    # The new article has seq 0 in its run, but the published one carried the paragraph first.
    run(con, "r2", [staged([raw("aa-new", "a.txt", SCHOOL, COMMENT, RIDERSHIP)], packs)])

    assert first_seen(con) == [
        ("aa-new", 0, "aa-new"),
        ("aa-new", 2, "zz-published"),
        ("zz-published", 0, "zz-published"),
        ("zz-published", 1, "zz-published"),
    ]


def test_reprocessed_first_carrier_stays_first(con, packs):
    run(con, "r1", [staged([raw("old", "b.txt", HARBOUR, RIDERSHIP)], packs)])

    run(
        con,
        "r2",
        [
            staged(
                [
                    raw("new", "a.txt", SCHOOL, RIDERSHIP),
                    raw("old", "b.txt", HARBOUR, RIDERSHIP, COMMENT, version=2),
                ],
                packs,
            )
        ],
    )

    assert first_seen(con) == [
        ("new", 0, "new"),
        ("new", 1, "old"),
        ("old", 0, "old"),
        ("old", 1, "old"),
    ]


# --- the cut policy


def test_cut_moves_a_shared_paragraph_out_of_the_later_body(con, packs):
    batch = staged(
        [
            raw("early", "a.txt", HARBOUR, RIDERSHIP),
            raw("late", "b.txt", SCHOOL, COMMENT, RIDERSHIP, FERRY),
        ],
        packs,
    )

    counts = run(con, "r1", [batch], cut=True)

    assert rows(con, "select article_id, body, word_count from published.articles order by 1") == [
        ("early", body(HARBOUR, RIDERSHIP), words(HARBOUR, RIDERSHIP)),
        ("late", body(SCHOOL, FERRY), words(SCHOOL, FERRY)),
    ]
    assert first_seen(con) == [
        ("early", 0, "early"),
        ("early", 1, "early"),
        ("late", 0, "late"),
        ("late", 3, "late"),
    ]
    expected_removals = [
        ("late", 1, COMMENT, "comments", COMMENT_RULE),
        ("late", 2, RIDERSHIP, "duplicate_exact", CUT_RULE),
    ]
    assert rows(con, "select * from audit.removals order by 1, 2") == expected_removals
    assert (
        rows(con, "select * exclude (run_id) from published.removals order by 1, 2")
        == expected_removals
    )
    assert counts["removed_spans"] == 2
    assert counts["removals_by_reason"] == {"comments": 1, "duplicate_exact": 1}
    assert (counts["published"], counts["duplicates"]) == (2, 0)


def test_cut_applies_to_a_paragraph_published_in_an_earlier_run(con, packs):
    run(con, "r1", [staged([raw("early", "z.txt", HARBOUR, RIDERSHIP)], packs)], cut=True)

    run(con, "r2", [staged([raw("late", "a.txt", RIDERSHIP, SCHOOL)], packs)], cut=True)

    assert rows(con, "select body from published.articles where article_id = 'late'") == [(SCHOOL,)]
    assert rows(con, "select * from published.removals") == [
        ("late", 0, RIDERSHIP, "duplicate_exact", CUT_RULE, "r2")
    ]


@pytest.mark.parametrize("later_run", [False, True], ids=["same-run", "later-run"])
def test_cut_keeps_the_full_body_of_a_whole_article_duplicate(con, packs, later_run):
    canon = raw("canon", "a.txt", HARBOUR, FERRY)
    copy = raw("copy", "b.txt", HARBOUR, FERRY)
    if later_run:
        run(con, "r1", [staged([canon], packs)], cut=True)
        counts = run(con, "r2", [staged([copy], packs)], cut=True)
    else:
        counts = run(con, "r1", [staged([canon, copy], packs)], cut=True)

    assert rows(
        con, "select article_id, body, word_count, duplicate_of from published.articles order by 1"
    ) == [
        ("canon", body(HARBOUR, FERRY), words(HARBOUR, FERRY), None),
        ("copy", body(HARBOUR, FERRY), words(HARBOUR, FERRY), "canon"),
    ]
    assert first_seen(con) == [
        ("canon", 0, "canon"),
        ("canon", 1, "canon"),
        ("copy", 0, "canon"),
        ("copy", 1, "canon"),
    ]
    assert rows(con, "select count(*) from published.removals") == [(0,)]
    assert counts["duplicates"] == 1


def test_without_cut_nothing_is_cut(con, packs):
    batch = staged(
        [
            raw("early", "a.txt", HARBOUR, RIDERSHIP),
            raw("late", "b.txt", SCHOOL, COMMENT, RIDERSHIP, FERRY),
        ],
        packs,
    )

    counts = run(con, "r1", [batch], cut=False)

    assert rows(con, "select body from published.articles where article_id = 'late'") == [
        (body(SCHOOL, RIDERSHIP, FERRY),)
    ]
    assert ("late", 2, "early") in first_seen(con)
    assert rows(con, "select article_id, position, reason, rule_id from published.removals") == [
        ("late", 1, "comments", COMMENT_RULE)
    ]
    assert counts["removals_by_reason"] == {"comments": 1}


def test_cut_never_leaves_an_article_with_an_empty_body(con, packs):
    batch = staged(
        [raw("full", "a.txt", BUDGET, COST, RIDERSHIP), raw("excerpt", "b.txt", BUDGET, RIDERSHIP)],
        packs,
    )

    run(con, "r1", [batch], cut=True, publish=False)

    assert (
        rows(con, "select article_id from audit.articles where body = '' or word_count = 0") == []
    )


# --- quarantine_articles


def test_quarantine_articles_moves_an_article_out_of_the_audit_batch(con, packs):
    flagged = raw("flagged", "b.txt", SCHOOL, COMMENT, LIBRARY)
    batch = staged(
        [
            raw("kept", "a.txt", HARBOUR, PAYWALL, FERRY),
            flagged,
            raw("other", "c.txt", BUDGET, COST),
        ],
        packs,
    )
    detail = "failed expect_column_values_to_not_match_regex_list on body"

    counts = run(
        con, "r1", [batch], failures={"flagged": ("boilerplate_left", detail)}, publish=False
    )

    for table in ("articles", "paragraphs", "removals"):
        assert rows(con, f"select count(*) from audit.{table} where article_id = 'flagged'") == [
            (0,)
        ], table
    assert rows(con, "select article_id, position from audit.removals") == [("kept", 1)]
    assert rows(con, "select * from staging.quarantine") == [
        ("b.txt", 0, "flagged", 1, "validate", "boilerplate_left", detail, flagged.content)
    ]
    assert counts == {
        "files_ingested": 3,
        "articles_read": 3,
        "published": 2,
        "duplicates": 0,
        "quarantined": 1,
        "removed_spans": 1,
        "quarantine_by_reason": {"boilerplate_left": 1},
        "removals_by_reason": {"paywall": 1},
    }

    publish_batch(con, "r1", summary_for("r1", counts))

    assert sorted(duplicates(con)) == ["kept", "other"]
    assert rows(con, "select article_id, step, reason, run_id from published.quarantine") == [
        ("flagged", "validate", "boilerplate_left", "r1")
    ]
    # The raw layer still holds the document: nothing vanishes.
    assert rows(con, "select article_id from raw.documents order by 1") == [
        ("flagged",),
        ("kept",),
        ("other",),
    ]


def test_marts_built_in_chunks_equal_one_build(con, packs, monkeypatch):
    batch = staged(
        [
            raw("a", "a.txt", HARBOUR, FERRY),
            raw("b", "b.txt", SCHOOL, COMMENT, LIBRARY),
            raw("c", "c.txt", BUDGET, COST),
            raw("d", "d.txt", HARBOUR, FERRY),
            raw("e", "e.txt", RIDERSHIP, FERRY),
        ],
        packs,
    )
    failures = {"c": ("boilerplate_left", "a gap in the staged rowids")}
    run(con, "r1", [batch], cut=True, failures=failures, publish=False)
    marts = ("articles", "paragraphs", "removals")
    whole = {t: sorted(rows(con, f"select * from audit.{t}"), key=repr) for t in marts}
    assert len(whole["articles"]) == 4
    assert ("e", 1, FERRY, "duplicate_exact", CUT_RULE) in whole["removals"]

    monkeypatch.setattr(audit, "ARTICLES_PER_CHUNK", 2)  # chunks {a, b}, {d}, {e}: c is gone
    restage_band_keys(con, batch)
    audit._build(con, "r1", run_settings(cross_article_paragraphs="cut"))

    assert {t: sorted(rows(con, f"select * from audit.{t}"), key=repr) for t in marts} == whole
    assert duplicates(con, "audit")["d"] == "a"


def test_marts_after_a_quarantine_equal_a_build_without_the_failed_articles(
    con, packs, monkeypatch
):
    # "canon" is the canonical copy of "copy" and first carries HARBOUR and FERRY, which
    # "later", "copy" and "other" repeat; "lone" shares nothing. Once canon and lone fail,
    # later first carries HARBOUR and copy FERRY, and copy is no longer a duplicate: the
    # marts are built again for the articles whose inputs changed, and must equal a build
    # from scratch.
    batch = staged(
        [
            raw("canon", "a.txt", HARBOUR, FERRY),
            raw("lone", "b.txt", SCHOOL, COMMENT, LIBRARY),
            raw("later", "c.txt", BUDGET, HARBOUR, COST),
            raw("copy", "d.txt", HARBOUR, FERRY),
            raw("other", "e.txt", RIDERSHIP, PAYWALL, FERRY),
        ],
        packs,
    )
    cfg = run_settings(cross_article_paragraphs="cut")
    run(con, "r1", [batch], cut=True, publish=False)
    assert duplicates(con, "audit")["copy"] == "canon"
    bodies = "select article_id, body from audit.articles"
    assert dict(rows(con, bodies))["later"] == body(BUDGET, COST)

    monkeypatch.setattr(audit, "ARTICLES_PER_CHUNK", 2)  # the changed ones in two chunks
    audit.quarantine_articles(con, "r1", {a: ("empty", "-") for a in ("canon", "lone")}, cfg)
    marts = ("articles", "paragraphs", "removals")
    after = {t: sorted(rows(con, f"select * from audit.{t}"), key=repr) for t in marts}
    restage_band_keys(con, batch)
    audit._build(con, "r1", cfg)  # from scratch

    assert {t: sorted(rows(con, f"select * from audit.{t}"), key=repr) for t in marts} == after
    assert duplicates(con, "audit") == {"later": None, "copy": None, "other": None}
    assert dict(rows(con, bodies)) == {
        "later": body(BUDGET, HARBOUR, COST),
        "copy": body(FERRY),
        "other": body(RIDERSHIP),
    }


def test_a_rebuild_that_failed_half_way_leaves_no_copies_to_the_next_audit(con, packs, monkeypatch):
    batch = staged([raw("canon", "a.txt", HARBOUR, FERRY), raw("copy", "b.txt", HARBOUR)], packs)
    run(con, "r1", [batch], publish=False)
    built = "select table_name from duckdb_tables() where table_name like '%\\_built' escape '\\'"

    def stop(con):
        raise RuntimeError("stopped half-way")

    monkeypatch.setattr(audit, "_drop_changed_mart_rows", stop)
    with pytest.raises(RuntimeError, match="half-way"):
        audit.quarantine_articles(con, "r1", {"canon": ("empty", "-")}, run_settings())
    assert len(rows(con, built)) == len(audit.MARTS_READ)

    run(con, "r2", [staged([raw("next", "c.txt", SCHOOL, LIBRARY)], packs)], publish=False)

    assert rows(con, built) == []


def test_quarantine_articles_with_no_failures_changes_nothing(con, packs):
    run(con, "r1", [staged([raw("kept", "a.txt", HARBOUR, FERRY)], packs)], publish=False)

    audit.quarantine_articles(con, "r1", {}, run_settings())

    assert rows(con, "select article_id from audit.articles") == [("kept",)]
    assert rows(con, "select count(*) from staging.quarantine") == [(0,)]


def test_quarantining_a_canonical_leaves_no_dangling_duplicate(con, packs):
    # In the flow this happens under the cut policy: the canonical is cut below 30 words and
    # fails too_short while its duplicate keeps the full body and passes.
    batch = staged(
        [raw("canon", "a.txt", HARBOUR, FERRY), raw("copy", "b.txt", HARBOUR, FERRY)], packs
    )

    run(con, "r1", [batch], failures={"canon": ("too_short", "failed word_count")})

    dangling = rows(
        con,
        "select article_id, duplicate_of from published.articles "
        "where duplicate_of not in (select article_id from published.articles)",
    )
    assert dangling == []


# --- a changed file version


def test_version_2_of_a_file_replaces_only_that_files_rows(con, tmp_path, packs):
    root = tmp_path / "input"
    write(
        root,
        "feed.jsonl",
        "\n".join(
            [
                json.dumps({"text": f"{BUDGET}\n{COMMENT}\n{COST}", "title": "Bus Budget"}),
                json.dumps({"text": f"{HARBOUR}\n{FERRY}", "title": "Harbour Wall"}),
                "{not json",
            ]
        ),
    )
    write(root, "other.txt", "\n".join([SCHOOL, PAYWALL, LIBRARY]))
    write(root, "empty.txt", "")
    run_files(con, "r1", root, packs)
    before = published_state(con)
    feed1, feed2, feed3 = (article_id("feed.jsonl", n) for n in (1, 2, 3))
    other = article_id("other.txt", 0)

    # Version 2: line 1 rewritten, line 2 now malformed, line 3 gone.
    write(
        root,
        "feed.jsonl",
        "\n".join(
            [
                json.dumps({"text": f"{RIDERSHIP}\n{LIBRARY}", "title": "Ridership Recovers"}),
                json.dumps({"title": "No Body"}),
            ]
        ),
    )
    counts = run_files(con, "r2", root, packs)

    assert (counts["files_unchanged"], counts["files_ingested"], counts["articles_read"]) == (
        2,
        1,
        2,
    )
    assert rows(
        con,
        "select article_id, version, title, body, run_id from published.articles "
        "order by source_file",
    ) == [
        (feed1, 2, "Ridership Recovers", body(RIDERSHIP, LIBRARY), "r2"),
        (other, 1, None, body(SCHOOL, LIBRARY), "r1"),
    ]
    # LIBRARY first appeared in other.txt (published in r1).
    assert first_seen(con) == sorted(
        [(feed1, 0, feed1), (feed1, 1, other), (other, 0, other), (other, 2, other)]
    )
    assert rows(con, "select article_id, position, reason, run_id from published.removals") == [
        (other, 1, "paywall", "r1")
    ]
    assert rows(
        con,
        "select source_file, item, version, reason, run_id from published.quarantine order by 1, 2",
    ) == [("empty.txt", 0, 1, "empty", "r1"), ("feed.jsonl", 2, 2, "malformed", "r2")]
    # Other files' rows are exactly as before.
    after = published_state(con)
    untouched = {"articles": 0, "paragraphs": 0, "removals": 0, "quarantine": 0}
    for table, column in untouched.items():
        keep = {other, "empty.txt"}
        assert [r for r in after[table] if r[column] in keep] == [
            r for r in before[table] if r[column] in keep
        ], table
    assert feed2 not in {r[0] for r in after["articles"]}
    assert feed3 not in {r[2] for r in after["quarantine"]}

    sha2 = file_sha256(root / "feed.jsonl")
    known = {path: (k.sha256, k.version) for path, k in known_versions(con).items()}
    assert known == {
        "feed.jsonl": (sha2, 2),
        "other.txt": (file_sha256(root / "other.txt"), 1),
        "empty.txt": (file_sha256(root / "empty.txt"), 1),
    }
    stat = (root / "feed.jsonl").stat()  # what the next run compares without reading
    feed = known_versions(con)["feed.jsonl"]
    assert (feed.size_bytes, feed.mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    assert rows(
        con, "select version, run_id from raw.files where source_file = 'feed.jsonl' order by 1"
    ) == [(1, "r1"), (2, "r2")]
    assert rows(con, "select article_id, version from raw.documents order by 2, 1") == sorted(
        [(feed1, 1), (feed2, 1), (other, 1)], key=lambda r: (r[1], r[0])
    ) + [(feed1, 2)]


def test_known_versions_is_empty_for_a_new_warehouse(con):
    assert known_versions(con) == {}


def test_known_versions_takes_the_sha_of_the_highest_version(con):
    # The latest sha sorts neither first nor last, so neither min() nor max() would find it.
    for version, sha, size in [(1, "a" * 64, 10), (3, "b" * 64, 30), (2, "c" * 64, 20)]:
        con.execute(
            "insert into raw.files values ('feed.jsonl', ?, ?, ?, 'r', now(), ?)",
            [version, sha, size, 100 * version],
        )
    # A file ingested before modification times were recorded.
    con.execute("insert into raw.files values ('one.txt', 1, ?, 5, 'r', now(), null)", ["d" * 64])

    assert known_versions(con) == {
        "feed.jsonl": KnownFile("b" * 64, 3, 30, 300),
        "one.txt": KnownFile("d" * 64, 1, 5, None),
    }


# --- publish is atomic


def test_publish_failing_midway_leaves_published_tables_as_before(con, packs):
    run(
        con,
        "r1",
        [
            staged(
                [raw("a", "a.txt", HARBOUR, COMMENT, FERRY), raw("gone", "g.txt", BUDGET, COST)],
                packs,
            )
        ],
    )
    before = published_state(con)
    files_before = rows(con, "select * from raw.files order by 1")
    batch = staged(
        [raw("a", "a.txt", SCHOOL, LIBRARY, version=2), raw("b", "b.txt", RIDERSHIP, PAYWALL)],
        packs,
    )
    counts = run(con, "r2", [batch], publish=False)
    # A row already holding b's key makes the last insert of publish() fail.
    con.execute(
        "insert into raw.documents values ('b', 1, 'b.txt', 0, 'text', 'utf-8', 'x', "
        "null, null, null, null, 'elsewhere')"
    )

    with pytest.raises(duckdb.ConstraintException, match="article_id: b, version: 1"):
        publish_batch(con, "r2", summary_for("r2", counts))

    assert published_state(con) == before
    assert rows(con, "select * from raw.files order by 1") == files_before
    assert rows(con, "select article_id, run_id from raw.documents order by 1") == [
        ("a", "r1"),
        ("b", "elsewhere"),
        ("gone", "r1"),
    ]
    # The connection is out of the failed transaction and usable.
    assert rows(con, "select status from audit.runs order by run_id") == [
        ("published",),
        ("running",),
    ]


# --- finish_run and the runs tables


def test_finish_run_records_counts_maps_and_failed_expectations(con, packs):
    counts = run(
        con,
        "r1",
        [
            staged(
                [
                    raw("a", "a.txt", HARBOUR, COMMENT, FERRY),
                    raw("b", "b.txt", HARBOUR, FERRY),
                    raw("c", "c.txt", COMMENT),
                ],
                packs,
            )
        ],
        publish=False,
    )
    failed = ["expect_column_values_to_be_between(word_count)"]
    summary = summary_for("r1", counts, files_seen=4, files_unchanged=1, failed_expectations=failed)
    publish_batch(con, "r1", summary)

    row = con.execute(
        "select status, finished_at is not null, files_seen, files_unchanged, files_ingested, "
        "articles_read, published, duplicates, quarantined, removed_spans, quarantine_by_reason, "
        "removals_by_reason, failed_expectations from audit.runs where run_id = 'r1'"
    ).fetchone()
    assert row[:10] == ("published", True, 4, 1, 3, 3, 1, 1, 1, 1)
    assert json.loads(row[10]) == {"empty": 1}
    assert json.loads(row[11]) == {"comments": 1}
    assert row[12] == ["expect_column_values_to_be_between(word_count)"]


def test_published_runs_shows_only_published_runs(con, packs):
    run(con, "r1", [staged([raw("a", "a.txt", HARBOUR, FERRY)], packs)])
    counts = run(con, "r2", [staged([raw("b", "b.txt", SCHOOL, LIBRARY)], packs)], publish=False)
    runlog.finish_run(
        con, "r2", "blocked", summary_for("r2", counts, failed_expectations=["x(body)"])
    )
    start_run(con, "r3")

    assert rows(con, "select run_id, status from audit.runs order by 1") == [
        ("r1", "published"),
        ("r2", "blocked"),
        ("r3", "running"),
    ]
    assert rows(con, "select run_id, published from published.runs") == [("r1", 1)]
    # A blocked run leaves the audit batch but publishes nothing.
    assert rows(con, "select article_id from published.articles") == [("a",)]
    assert rows(
        con, "select failed_expectations, files_seen from audit.runs where run_id = 'r2'"
    ) == [(["x(body)"], 0)]


# --- connect


def test_connect_read_only_to_a_missing_file_raises(tmp_path):
    path = tmp_path / "nowhere" / "warehouse.duckdb"
    with pytest.raises(FileNotFoundError, match=str(path)):
        with warehouse.connect(path, read_only=True):
            pass
    assert not path.exists()
    assert not path.parent.exists()


@pytest.mark.parametrize("name", ["audit.duckdb", "Published.db", "raw"])
def test_a_warehouse_named_like_a_layer_is_refused_with_a_clear_error(tmp_path, name):
    with pytest.raises(ValueError, match="named like one of its layers"):
        with warehouse.connect(tmp_path / name):
            pass
    assert not (tmp_path / name).exists()


def test_connect_creates_the_schema_and_read_only_reads_it(tmp_path, packs):
    path = tmp_path / "data" / "warehouse.duckdb"
    with warehouse.connect(path) as con:
        run(con, "r1", [staged([raw("a", "a.txt", HARBOUR, FERRY)], packs)])

    with warehouse.connect(path, read_only=True) as con:
        assert rows(con, "select article_id, run_id from published.articles") == [("a", "r1")]
        with pytest.raises(duckdb.InvalidInputException, match="read-only"):
            con.execute("delete from published.articles")


def test_a_held_warehouse_spills_past_its_memory_limit_into_its_temp_dir(tmp_path: Path) -> None:
    spill = tmp_path / "spill"
    # A sort of about 250 MB of hashes: more than the limit, so it runs only by spilling.
    sort = (
        "select count(*) from (select row_number() over (order by md5(r::varchar)) "
        "from range(3000000) t(r))"
    )
    with warehouse.hold(tmp_path / "w.duckdb", memory_limit="100MB", temp_dir=spill) as con:
        assert con.sql("select current_setting('temp_directory')").fetchone() == (str(spill),)
        assert con.sql(sort).fetchone() == (3_000_000,)
        assert spill.is_dir()
    with duckdb.connect() as bare:  # the same limit, nowhere to spill: the sort cannot run
        bare.execute("set memory_limit = '100MB'")
        bare.execute("set temp_directory = ''")
        with pytest.raises(duckdb.OutOfMemoryException):
            bare.sql(sort).fetchone()


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("2GB", 2_000_000_000),
        ("512MB", 512_000_000),
        (" 1.5 GiB ", 1_610_612_736),
        ("300kb", 300_000),
        ("64B", 64),
        ("lots", None),
        ("80%", None),
        ("", None),
    ],
)
def test_memory_sizes_read_as_duckdb_reads_them(text: str, size: int | None) -> None:
    assert warehouse.size_bytes(text) == size


def test_a_memory_limit_holds_for_a_block_then_goes_back(con) -> None:
    def limit() -> str:
        return con.execute("select current_setting('memory_limit')").fetchone()[0]

    con.execute("set memory_limit = '2GB'")
    configured = limit()
    with warehouse.setting(con, "memory_limit", "512MB", restore="2GB"):
        assert limit() == "488.2 MiB"
    assert limit() == configured


def test_a_setting_goes_back_to_what_it_was_after_a_block_that_failed(con) -> None:
    def threshold() -> str:
        return con.execute("select current_setting('checkpoint_threshold')").fetchone()[0]

    before = threshold()
    with pytest.raises(RuntimeError), warehouse.setting(con, "checkpoint_threshold", "256MB"):
        assert threshold() == "244.1 MiB"
        raise RuntimeError("a batch failed")
    assert threshold() == before


def test_a_warehouse_with_paragraph_keys_is_rebuilt_without_them_rows_kept(
    tmp_path, first_inputs, packs
):
    path = tmp_path / "keyed.duckdb"
    with warehouse.connect(path) as con:
        run_files(con, "r1", first_inputs, packs)
        before = published_state(con)
        # The tables as a warehouse written before had them: a primary key on each.
        for table, key in (
            ("paragraphs", "article_id, position"),
            ("paragraph_clusters", "paragraph_hash"),
        ):
            con.execute(f"create table published.{table}_old as from published.{table}")
            con.execute(f"drop table published.{table}")
            con.execute(
                f"create table published.{table} as from published.{table}_old limit 0; "
                f"alter table published.{table} add primary key ({key}); "
                f"insert into published.{table} from published.{table}_old; "
                f"drop table published.{table}_old"
            )
        assert len(rows(con, PRIMARY_KEYS)) == 2

    with warehouse.connect(path) as con:
        assert rows(con, PRIMARY_KEYS) == []
        assert published_state(con) == before
        assert warehouse.drop_paragraph_keys(con) == []  # once done, nothing to do


PRIMARY_KEYS = (
    "select table_name from duckdb_constraints() where schema_name = 'published' "
    "and constraint_type = 'PRIMARY KEY' and table_name in ('paragraphs', 'paragraph_clusters')"
)
