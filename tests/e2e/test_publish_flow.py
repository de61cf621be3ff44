"""The real Prefect flow end to end, into a DuckDB file in tmp_path, validated by real GX."""

from __future__ import annotations

import json
import re
import shutil
import unicodedata
from pathlib import Path

import pytest

from flows.publish_articles import PublishBlocked, publish_articles
from tests.e2e.conftest import SAMPLE, SEEDS, published_state, query

pytestmark = pytest.mark.e2e

LABELS_REMOVED = {
    "paywall",
    "cta",
    "comments",
    "author_bio",
    "promo",
    "section_label",
    "caption",
    "duplicate",
}


def squash(text: str) -> str:
    """NFKC with all white space removed: the cleaner may restore a lost space."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def test_seeds_and_sample_corpus_publish_with_gold_bodies(tmp_path, seeds_copy, quality_dir):
    shutil.copytree(SAMPLE, seeds_copy / "sample")
    db = tmp_path / "w.duckdb"

    summary = publish_articles(input_dir=seeds_copy, warehouse_path=db, batch_size=7)

    assert summary.balanced
    assert summary.articles_read == summary.published + summary.duplicates + summary.quarantined
    assert (quality_dir / "index.html").is_file()  # GX Data Docs for people to open
    outcomes = query(db, "select severity, success, count(*) from audit.validations group by all")
    assert ("article", False, 1) in outcomes  # the sample's feed stub is too short
    n_files = sum(1 for p in seeds_copy.rglob("*") if p.is_file())
    assert summary.files_seen == summary.files_ingested == n_files
    gold = json.loads((SEEDS / "gold.json").read_text(encoding="utf-8"))
    for name, expected in gold.items():
        [(article_id, title, body, captions, truncated)] = query(
            db,
            "select article_id, title, body, captions, truncated from published.articles "
            "where source_file = ?",
            [f"seeds/{name}"],
        )
        assert [squash(p) for p in body.split("\n\n")] == [squash(p) for p in expected["body"]]
        assert (title and squash(title)) == (expected["title"] and squash(expected["title"]))
        assert [squash(c) for c in captions] == [squash(c) for c in expected["captions"]]
        assert truncated == expected["truncated"]
        removed = dict(
            query(
                db,
                "select position, reason from published.removals where article_id = ?",
                [article_id],
            )
        )
        for para in expected["paragraphs"]:
            if para["label"] in LABELS_REMOVED:
                reason = "duplicate_exact" if para["label"] == "duplicate" else para["label"]
                assert removed.get(para["i"]) == reason, (name, para)
                if reason != "duplicate_exact":  # the first copy of a repeat stays in the body
                    assert squash(para["text"]) not in squash(body)
            else:
                assert para["i"] not in removed, (name, para)

    # The shipped sample exercises every outcome: published, duplicate and quarantined rows.
    outcomes = dict(
        query(
            db,
            "select duplicate_of is null, count(*) from published.articles "
            "where source_file like 'sample/%' group by 1",
        )
    )
    assert outcomes[True] >= 20 and outcomes.get(False, 0) >= 1
    quarantined = query(
        db,
        "select source_file, item, step, reason from published.quarantine "
        "where source_file like 'sample/%'",
    )
    assert quarantined == [("sample/feeds/wire.jsonl", 6, "validate", "too_short")]
    [(status, read, published)] = query(
        db, "select status, articles_read, published from published.runs"
    )
    assert (status, read, published) == ("published", summary.articles_read, summary.published)

    # Idempotence: the same input again publishes nothing and changes no row.
    before = published_state(db)
    again = publish_articles(input_dir=seeds_copy, warehouse_path=db)
    after = published_state(db)
    assert (again.files_unchanged, again.articles_read) == (summary.files_seen, 0)
    for table in ("articles", "paragraphs", "removals", "quarantine"):
        assert after[table] == before[table], table
    assert set(map(repr, before["runs"])) < set(map(repr, after["runs"]))


def test_changed_file_becomes_new_version_and_replaces_its_rows(tmp_path, seeds_copy):
    db = tmp_path / "w.duckdb"
    publish_articles(input_dir=seeds_copy, warehouse_path=db)
    seed = seeds_copy / "seeds" / "004_4b70ab8e8b8c5215.txt"
    added = "A spokesperson for the foreign ministry declined to comment on the timing."
    seed.write_text(seed.read_text(encoding="utf-8") + "\n" + added + "\n", encoding="utf-8")

    summary = publish_articles(input_dir=seeds_copy, warehouse_path=db)

    assert (summary.files_unchanged, summary.articles_read, summary.published) == (4, 1, 1)
    [(version, body)] = query(
        db,
        "select version, body from published.articles "
        "where source_file = 'seeds/004_4b70ab8e8b8c5215.txt'",
    )
    assert version == 2 and body.endswith(added)
    versions = query(db, "select version from raw.files where source_file like '%004_%' order by 1")
    assert versions == [(1,), (2,)]
    assert query(db, "select count(*) from published.articles") == [(5,)]


def test_bad_inputs_are_quarantined_and_the_rest_publishes(tmp_path):
    good = (
        "Harbor Council Approves New Ferry Schedule\n\n"
        "The harbor council voted on Tuesday to add three evening ferry crossings from June, "
        "after months of complaints from commuters who work late shifts at the container port.\n\n"
        "Council members said the extra crossings would cost about four hundred thousand a year, "
        "paid from the parking levy that the town introduced two summers ago.\n"
    )
    inputs = tmp_path / "input"
    inputs.mkdir()
    (inputs / "good.txt").write_text(good, encoding="utf-8")
    (inputs / "empty.txt").write_bytes(b"")
    (inputs / "blank.md").write_text("  \n\n \n", encoding="utf-8")
    (inputs / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)
    (inputs / "legacy.txt").write_bytes(
        good.replace("Harbor", "Café").replace("commuters", "“commuters”").encode("cp1252")
    )
    (inputs / "wide.txt").write_bytes(good.replace("ferry", "naïve ferry").encode("utf-16"))
    with (inputs / "huge.txt").open("wb") as f:
        f.write(b"All work and no play makes a very long file. " * (50 * 1024 * 1024 // 45 + 1))
    (inputs / "broken.html").write_text(
        "<html><head><title>Ferry</title><body><div><p>Unclosed <b>tags <p>and <<>> junk "
        + good.replace("\n", " ")
        + "</div></span></td>",
        encoding="utf-8",
    )
    (inputs / "boilerplate.txt").write_text(
        "Read More\n\nLeave a Reply\n\nSubscribe now to continue reading.\n\nTRY 14 DAYS FREE\n",
        encoding="utf-8",
    )
    (inputs / "notes.pdf").write_bytes(b"%PDF-1.4 not an article")
    db = tmp_path / "w.duckdb"

    summary = publish_articles(input_dir=inputs, warehouse_path=db)

    assert summary.balanced and summary.articles_read == 10
    reasons = dict(query(db, "select source_file, reason from published.quarantine"))
    assert reasons == {
        "empty.txt": "empty",
        "blank.md": "empty",
        "image.txt": "binary",
        "huge.txt": "too_large",
        "boilerplate.txt": "empty",
        "notes.pdf": "unsupported_format",
    }
    for (detail,) in query(db, "select detail from published.quarantine"):
        assert detail
    published = dict(query(db, "select source_file, body from published.articles"))
    assert set(published) == {"good.txt", "legacy.txt", "wide.txt", "broken.html"}
    assert "“commuters”" in published["legacy.txt"]
    assert query(db, "select title from published.articles where source_file = 'legacy.txt'") == [
        ("Café Council Approves New Ferry Schedule",)
    ]
    assert "naïve ferry" in published["wide.txt"]
    assert "container port" in published["broken.html"]
    # Four copies of one story: the first seen (in file order) is canonical, the rest copies.
    clusters = dict(
        query(
            db,
            "select source_file, relation from published.article_clusters "
            "join published.articles using (article_id)",
        )
    )
    assert clusters == {
        "broken.html": "canonical",  # the text of good.txt in broken markup
        "good.txt": "exact",
        "legacy.txt": "exact",  # only the title and quote marks differ
        "wide.txt": "near",  # a word added
    }


def test_critical_failure_blocks_publishing_and_leaves_tables_untouched(
    tmp_path, seeds_copy, monkeypatch
):
    db = tmp_path / "w.duckdb"
    first = seeds_copy / "seeds"
    later = tmp_path / "later"
    later.mkdir()
    for path in sorted(first.glob("*.txt"))[3:]:
        shutil.move(path, later / path.name)
    publish_articles(input_dir=seeds_copy, warehouse_path=db)
    before = published_state(db)
    assert len(before["articles"]) == 3

    # A suite whose critical expectation the next batch fails: no language may be English.
    strict = tmp_path / "strict"
    strict.mkdir()
    suite = json.loads((Path(__file__).parents[2] / "expectations" / "articles.json").read_text())
    suite["expectations"].append(
        {
            "type": "expect_column_values_to_not_be_in_set",
            "kwargs": {"column": "language", "value_set": ["en"]},
            "meta": {"severity": "critical"},
        }
    )
    (strict / "articles.json").write_text(json.dumps(suite))
    monkeypatch.setenv("COPYDESK_EXPECTATIONS_DIR", str(strict))
    for path in later.iterdir():
        shutil.move(path, first / path.name)

    with pytest.raises(PublishBlocked, match="expect_column_values_to_not_be_in_set"):
        publish_articles(input_dir=seeds_copy, warehouse_path=db)

    assert published_state(db) == before
    [(status, failed)] = query(
        db, "select status, failed_expectations from audit.runs where status <> 'published'"
    )
    assert status == "blocked" and any("not_be_in_set" in f for f in failed)
    # Nothing was recorded as ingested, so the next (fixed) run picks the files up again.
    monkeypatch.delenv("COPYDESK_EXPECTATIONS_DIR")
    retry = publish_articles(input_dir=seeds_copy, warehouse_path=db)
    assert retry.articles_read == 2 and retry.published == 2
