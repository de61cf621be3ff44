"""Site boilerplate learned from the warehouse: the threshold, the counts across runs, and the
pass that drops learned lines after the cleaner."""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pytest

from copydesk import warehouse
from copydesk.batch import CleanedBatch
from copydesk.records import RawArticle
from copydesk.site_boilerplate import (
    SITE_BOILERPLATE,
    LearnedLines,
    Learning,
    drop_learned_lines,
    load_learned,
    rule_id,
    site_of,
)
from tests.conftest import cleaned, paragraph_hash, publish_run, run_settings

# Lines a site prints on its pages: body-like enough that no rule pack or page-dump heuristic
# takes them, so only learning can.
CHROME = "The Valley Courier newsroom is open to visitors on weekday mornings at the old mill."
QUOTE = (
    "The mayor said the new bridge would be finished before the winter storms arrived in the "
    "valley, whatever the contractors told the council."
)
NOUNS = (
    "river council school harbour market bridge farmers budget station library teachers "
    "hospital museum railway festival orchard quarry ferry tenants workshop bakery courthouse "
    "stadium reservoir clinic garden village county depot chapel brewery mill pier square"
).split()
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
SENTENCES = (
    "The {} near the {} said on {} that the {} would cost {} thousand pounds more.",
    "Families from the {} told the {} that nobody had asked them about the {} or the {}.",
    "By {} the {} had agreed to pay for {} new places at the {} beside the {}.",
    "Work on the {} will start in {} weeks, and the {} expects the {} to reopen by {}.",
)


def story(n: int, paragraphs: int = 4) -> list[str]:
    """Paragraphs of prose no other story shares (so no two stories are near copies)."""
    rng = random.Random(n)

    return [
        " ".join(
            t.format(*(rng.choice(NOUNS) for _ in range(t.count("{}") - 1)), rng.randrange(2, 90))
            for t in rng.sample(SENTENCES, 3)
        )
        for _ in range(paragraphs)
    ]


def article(
    n: int, *lines: str, site: str = "https://www.valleycourier.example/news/", version: int = 1
) -> RawArticle:
    return RawArticle(
        article_id=f"a{n}",
        source_file=f"a{n}.txt",
        item=0,
        version=version,
        format="text",
        content="\n".join(lines),
        url=f"{site}{n}",
    )


def batch(raws, packs) -> CleanedBatch:
    result = cleaned(raws, packs)
    assert not result.rejected, result.rejected
    return result


@pytest.fixture
def con(tmp_path: Path):
    with warehouse.connect(tmp_path / "warehouse.duckdb") as connection:
        connection.execute("pragma disable_checkpoint_on_shutdown")
        yield connection


def learned(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    rows = con.execute(
        "select sample_text, rule_id, articles, site_articles, first_run_id, learned_run_id "
        "from published.learned_rules"
    ).fetchall()
    return {text: tuple(rest) for text, *rest in rows}


@pytest.mark.parametrize(
    ("url", "source", "site"),
    [
        ("https://www.ValleyCourier.example/news/1", None, "valleycourier.example"),
        ("http://user@news.example.org:8080/a?b#c", "News", "news.example.org"),
        ("https://harborledger.example", None, "harborledger.example"),
        (None, " Harbor Ledger ", "Harbor Ledger"),
        ("not a url", "Harbor Ledger", "Harbor Ledger"),
        (None, None, None),
        ("", "  ", None),
    ],
)
def test_site_is_the_host_else_the_source_and_sql_agrees(con, url, source, site):
    assert site_of(url, source) == site
    assert con.execute("select published.site_of(?, ?)", [url, source]).fetchone() == (site,)


def test_line_on_many_articles_of_a_site_is_learned_with_its_provenance(con, packs):
    raws = [article(n, *story(n)[:2], CHROME, *story(n)[2:]) for n in range(6)]
    # A sentence two articles quote is not the site's: it stays.
    raws += [article(n, *story(n)[:2], QUOTE, *story(n)[2:]) for n in range(6, 8)]
    publish_run(con, "r1", [batch(raws, packs)], learning=Learning(5, 0.05))

    hash12 = paragraph_hash(CHROME)[:12]
    assert learned(con) == {CHROME: (f"learned:valleycourier.example:{hash12}", 6, 8, "r1", "r1")}
    assert rule_id("valleycourier.example", paragraph_hash(CHROME)) == learned(con)[CHROME][0]


def test_copies_of_an_article_are_no_recurrences(con, packs):
    # Four articles carry the line, each published three times: 12 rows, 4 originals.
    raws = []
    for n in range(4):
        body = [*story(n)[:2], CHROME, *story(n)[2:]]
        raws += [article(n + 100 * copy, *body) for copy in range(3)]
    counts = publish_run(con, "r1", [batch(raws, packs)], learning=Learning(5, 0.05))

    assert counts["duplicates"] == 8
    assert learned(con) == {}
    assert con.execute(
        "select articles from published.site_lines where paragraph_hash = ?",
        [paragraph_hash(CHROME)],
    ).fetchall() == [(4,)]


def test_share_of_the_site_is_needed_too(con, packs):
    raws = [
        article(n, *story(n), *([CHROME] if n < 4 else [QUOTE] if n < 9 else [])) for n in range(10)
    ]
    publish_run(con, "r1", [batch(raws, packs)], learning=Learning(2, 0.5))

    assert list(learned(con)) == [QUOTE]  # 5 of 10 articles; CHROME's 4 of 10 is too few


def test_counts_grow_run_by_run_and_replaced_versions_count_once(con, packs):
    learning = Learning(5, 0.05)
    first = [article(n, *story(n)[:2], CHROME, *story(n)[2:]) for n in range(3)]
    publish_run(con, "r1", [batch(first, packs)], learning=learning)
    # The same three files changed: their new versions replace them, and count once.
    again = [article(n, *story(n + 50)[:2], CHROME, *story(n)[2:], version=2) for n in range(3)]
    publish_run(con, "r2", [batch(again, packs)], learning=learning)
    assert learned(con) == {}
    assert con.execute("select * from published.site_articles").fetchall() == [
        ("valleycourier.example", 3)
    ]

    more = [article(n, *story(n)[:2], CHROME, *story(n)[2:]) for n in range(3, 5)]
    publish_run(con, "r3", [batch(more, packs)], learning=learning)
    assert learned(con)[CHROME][1:] == (5, 5, "r1", "r3")


def counts(con: duckdb.DuckDBPyConnection, line: str = CHROME) -> tuple:
    """The site's count of original articles, and of those carrying `line`."""
    site = con.execute("select articles from published.site_articles").fetchall()
    lines = con.execute(
        "select articles from published.site_lines where paragraph_hash = ?",
        [paragraph_hash(line)],
    ).fetchall()
    return (site[0][0] if site else 0, lines[0][0] if lines else 0)


def test_a_line_cut_from_a_body_leaves_the_counts_with_its_article(con, packs):
    learning, cut = Learning(5, 0.05), run_settings(cross_article_paragraphs="cut")
    first = [article(n, *story(n)[:2], CHROME, *story(n)[2:]) for n in range(3)]
    publish_run(con, "r1", [batch(first, packs)], cut, learning=learning)
    carriers = con.execute(
        "select count(*) from published.paragraphs where paragraph_hash = ?",
        [paragraph_hash(CHROME)],
    ).fetchone()
    assert (counts(con), carriers) == ((3, 3), (1,))  # counted before the cut took it out

    # Two of the files change and no longer print the line: it leaves their counts.
    again = [article(n, *story(n), version=2) for n in (1, 2)]
    publish_run(con, "r2", [batch(again, packs)], cut, learning=learning)
    assert counts(con) == (3, 1)


def test_articles_that_stop_being_originals_leave_the_counts_even_with_learning_off(con, packs):
    learning = Learning(5, 0.05)
    first = [article(n, *story(n)[:2], CHROME, *story(n)[2:]) for n in range(4)]
    publish_run(con, "r1", [batch(first, packs)], learning=learning)
    assert counts(con) == (4, 4)

    # Learning off: a file now an exact copy of another, one quarantined, one changed.
    copy = article(1, *story(0)[:2], CHROME, *story(0)[2:], version=2)
    bad = article(2, *story(2)[:2], CHROME, *story(2)[2:], version=2)
    changed = article(3, *story(3), version=2)
    failures = {bad.article_id: ("boilerplate_left", "a test's failure")}
    publish_run(con, "r2", [batch([copy, bad, changed], packs)], failures=failures)
    assert counts(con) == (1, 1)
    assert con.execute("select distinct article_id from published.site_counted").fetchall() == [
        ("a0",)
    ]


def test_learning_off_counts_nothing(con, packs):
    raws = [article(n, *story(n)[:2], CHROME, *story(n)[2:]) for n in range(6)]
    publish_run(con, "r1", [batch(raws, packs)])

    assert con.execute("select count(*) from published.site_lines").fetchone() == (0,)
    assert learned(con) == {}


def test_learned_lines_leave_their_site_s_articles_only(con, packs):
    raws = [article(n, *story(n)[:2], CHROME, *story(n)[2:]) for n in range(6)]
    publish_run(con, "r1", [batch(raws, packs)], learning=Learning(5, 0.05))
    lines = load_learned(con)
    assert len(lines) == 1

    later = article(7, *story(7)[:2], CHROME, *story(7)[2:])
    elsewhere = article(8, *story(8)[:2], CHROME, site="https://harborledger.example/")
    chrome_only = article(9, CHROME)
    result = drop_learned_lines(batch([later, elsewhere], packs).articles, lines)

    kept, other = result.kept
    assert kept.paragraphs == tuple(story(7))
    [removal] = [r for r in kept.removals if r.reason == SITE_BOILERPLATE]
    assert removal.text == CHROME and removal.rule_id == learned(con)[CHROME][0]
    assert removal.position == kept.positions[1] + 1  # the gap it left
    assert CHROME in other.paragraphs  # another site's article may say it
    [rejected] = drop_learned_lines(cleaned([chrome_only], packs).articles, lines).rejected
    assert (rejected.reason, rejected.detail) == (
        "empty",
        "nothing left after cleaning (removed: site_boilerplate)",
    )


def test_no_learned_lines_changes_nothing(packs):
    articles = batch([article(n, *story(n), CHROME) for n in range(2)], packs).articles
    assert drop_learned_lines(articles, LearnedLines()).kept == list(articles)


def test_a_warehouse_counted_before_per_article_records_takes_its_published_lines(con, packs):
    learning = Learning(5, 0.05)
    first = [article(n, *story(n)[:2], CHROME, *story(n)[2:]) for n in range(4)]
    publish_run(con, "r1", [batch(first, packs)], learning=learning)
    con.execute("delete from published.site_counted")  # as a warehouse of the previous release

    # The first run after it replaces a counted article: its old lines leave the counts.
    publish_run(con, "r2", [batch([article(1, *story(1), version=2)], packs)], learning=learning)
    assert counts(con) == (4, 3)
    publish_run(con, "r3", [batch([article(2, *story(2), version=2)], packs)], learning=learning)
    assert counts(con) == (4, 2)
