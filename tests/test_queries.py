"""Smoke tests of sql/queries/: every file runs on a warehouse built from the shipped sample
(data/raw), returns the columns its header comment promises, and returns rows where the sample
has data for it. A new file in the folder is picked up by the parametrization: it must then be
given its promised columns below, and rows on the sample unless it is listed as empty there."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from copydesk.warehouse import SQL_DIR
from tests.conftest import build_warehouse

QUERIES = SQL_DIR / "queries"
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "raw"
QUERY_FILES = sorted(p.name for p in QUERIES.glob("*.sql"))

# The columns each file's header comment (and its line in docs/querying.md) promises; a file
# may return more.
PROMISED = {
    "articles_per_source.sql": {"source", "language", "articles", "duplicates"},
    "learned_rules.sql": {
        "site",
        "rule_id",
        "sample_text",
        "articles_when_learned",
        "site_articles_when_learned",
        "removed_since",
    },
    "duplicate_groups.sql": {
        "canonical_id",
        "canonical_source",
        "canonical_url",
        "copy_id",
        "copy_source",
        "copy_url",
        "copies_in_group",
        "same_body_now",
    },
    "near_duplicate_clusters.sql": {"cluster_id", "members", "relation", "similarity"},
    "paragraph_provenance.sql": {"cluster_id", "carrier_count", "carrier_rank", "source"},
    "quarantine_summary.sql": {"step", "reason", "items", "files", "example_detail"},
    "removals_by_reason.sql": {"reason", "rule_id", "spans", "articles", "example_text"},
    "removals_for_article.sql": {"article_id", "position", "reason", "rule_id", "removed_text"},
    "run_history.sql": {
        "run_id",
        "status",
        "seconds",
        "articles_read",
        "published",
        "held_back",
        "duplicates",
        "quarantined",
        "balanced",
    },
    "shared_paragraphs.sql": {"paragraph_hash", "first_article_id", "carriers"},
    "syndication_graph.sql": {"from_source", "to_source", "level", "copies"},
    "truncated_teasers.sql": {"article_id", "source_file", "removed_after_body"},
    "validation_failures.sql": {"run_id", "expectation", "severity", "effect"},
}
# How a test picks a value for each variable a file reads with getvariable(...).
VARIABLES = {
    # the article with the most removals, so the file has rows to return
    "article_id": "select article_id from published.removals "
    "group by article_id order by count(*) desc, article_id limit 1",
}
_GETVARIABLE = re.compile(r"getvariable\('(\w+)'\)")


@pytest.fixture(scope="module")
def sample_warehouse(tmp_path_factory, packs) -> Path:
    """A warehouse with one run over the shipped sample, built without Prefect."""
    path = tmp_path_factory.mktemp("queries") / "sample.duckdb"
    counts = build_warehouse(path, SAMPLE, packs)
    # The sample's make-up (README): a wire reprint and a feed stub under 30 words.
    assert (counts["duplicates"], counts["quarantined"]) == (1, 1), counts
    return path


@pytest.fixture
def con(sample_warehouse: Path):
    connection = duckdb.connect(str(sample_warehouse), read_only=True)
    yield connection
    connection.close()


def run_query(con: duckdb.DuckDBPyConnection, name: str) -> tuple[list[str], list[tuple]]:
    """The columns and rows of sql/queries/<name>, its variables set from the warehouse."""
    sql = (QUERIES / name).read_text(encoding="utf-8")
    for variable in sorted(set(_GETVARIABLE.findall(sql))):
        assert variable in VARIABLES, f"{name} reads variable {variable!r}: add it to VARIABLES"
        value = con.execute(VARIABLES[variable]).fetchone()
        assert value is not None, f"the sample gives no value for {variable!r}"
        con.execute(f"set variable {variable} = ?", [value[0]])
    relation = con.sql(sql)
    return relation.columns, relation.fetchall()


def test_the_folder_holds_queries():
    assert len(QUERY_FILES) >= 12


@pytest.mark.parametrize("name", QUERY_FILES)
def test_query_returns_the_promised_columns(con, name):
    assert name in PROMISED, f"{name} is new: add the columns its header comment promises"
    columns, _ = run_query(con, name)
    missing = PROMISED[name] - set(columns)
    assert not missing, f"{name} lacks {sorted(missing)}; it returns {columns}"
    assert len(columns) == len(set(columns)), f"{name} repeats a column name: {columns}"


@pytest.mark.parametrize("name", QUERY_FILES)
def test_query_returns_rows_where_the_sample_has_data(con, name):
    _, rows = run_query(con, name)
    assert rows, f"{name} returned no rows on the sample"


@pytest.mark.parametrize("name", QUERY_FILES)
def test_query_has_a_header_comment(name):
    first = (QUERIES / name).read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("-- ") and len(first) > 20, f"{name} starts with {first!r}"


def test_removals_for_article_returns_only_that_article_in_position_order(con):
    columns, rows = run_query(con, "removals_for_article.sql")
    chosen = con.execute("select getvariable('article_id')").fetchone()[0]
    ids = {row[columns.index("article_id")] for row in rows}
    positions = [row[columns.index("position")] for row in rows]
    want = con.execute(
        "select count(*) from published.removals where article_id = ?", [chosen]
    ).fetchone()[0]
    assert ids == {chosen}
    assert positions == sorted(positions)
    assert len(rows) == want


def test_removals_for_article_without_the_variable_returns_nothing(con):
    sql = (QUERIES / "removals_for_article.sql").read_text(encoding="utf-8")
    assert con.sql(sql).fetchall() == []


def test_sample_queries_agree_with_the_sample(con):
    """The sample's known facts, as the queries report them: one wire reprint of a text
    file, one quarantined feed stub, one published run that balances."""
    _, dup = run_query(con, "duplicate_groups.sql")
    _, quarantine = run_query(con, "quarantine_summary.sql")
    columns, runs = run_query(con, "run_history.sql")
    assert len(dup) == 1
    assert [(row[0], row[1], row[2]) for row in quarantine] == [("validate", "too_short", 1)]
    assert len(runs) == 1
    run = dict(zip(columns, runs[0], strict=True))
    assert run["status"] == "published" and run["balanced"] is True
    assert (run["articles_read"], run["published"], run["duplicates"]) == (31, 29, 1)
