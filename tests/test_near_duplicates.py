"""Near-duplicate clusters in the warehouse: articles and paragraphs, across runs, on DuckDB."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import duckdb
import numpy as np
import pytest

from copydesk import audit, batch_tables, near_duplicates, warehouse
from copydesk.minhash import MinHasher, overlaps
from copydesk.near_duplicates import MIN_CONTAINED, PARAGRAPHS, band_key_table
from copydesk.records import RawArticle
from copydesk.text_keys import normalize_for_hash
from tests.conftest import (
    cleaned,
    paragraph_hash,
    publish_run,
    raw_article,
    restage_band_keys,
    run_settings,
)

SHINGLES = MinHasher(ngram=3)  # shingles do not depend on the permutations

# A 158-word story in four paragraphs.
BRIDGE = (
    "The old swing bridge over the river Wensum will close to traffic for six weeks from "
    "Monday while engineers replace the worn bearings that let it turn, the county highways "
    "department said in a statement on Thursday afternoon.",
    "Drivers will be sent on a diversion of about four miles through the industrial estate "
    "on the eastern bank, and the council has asked lorry operators to plan their routes in "
    "advance because the narrow streets near the quay cannot take heavy vehicles.",
    "Pedestrians and cyclists will still be able to cross on a temporary footway fixed to "
    "the southern side of the bridge, except for two weekends in the middle of the work when "
    "the deck itself has to be lifted by a floating crane.",
    "Shops on the quay say they fear losing trade during the closure, and the chamber of "
    "commerce has asked the council to waive parking charges in the nearby car park until "
    "the bridge reopens.",
)
# The same story with four words changed.
BRIDGE_EDITED = (
    BRIDGE[0].replace("six weeks", "seven weeks").replace("Thursday", "Friday"),
    BRIDGE[1].replace("four miles", "five miles"),
    *BRIDGE[2:],
)
# Another copy, edited elsewhere.
BRIDGE_RETOLD = (
    BRIDGE[0],
    BRIDGE[1].replace("lorry operators", "haulage firms"),
    BRIDGE[2].replace("floating crane", "crane barge"),
    BRIDGE[3],
)
# A long story in six paragraphs, and a teaser of its first two.
MUSEUM = (
    "The town museum has been given a collection of more than three hundred Victorian "
    "photographs of the harbour, the fishing fleet and the families who worked on it, after "
    "a retired schoolteacher found them in the attic of a house she had inherited.",
    "The glass plates had been stored in wooden boxes lined with newspaper from the spring of "
    "1894, and most of them survived in good condition, although a few had cracked where the "
    "roof had leaked during a storm many decades ago.",
    "Curators have spent the winter cleaning and scanning the plates, and they say the "
    "pictures show streets and shopfronts that disappeared when the sea wall was rebuilt, "
    "along with boats whose names appear in the parish records of drownings.",
    "A selection of sixty prints will go on show in the main gallery from the first week of "
    "May, and the museum hopes that visitors will recognise some of the faces and help to "
    "name the people who stood in front of the camera more than a century ago.",
    "The whole collection will also be published online so that descendants of the fishing "
    "families who now live abroad can search it, and volunteers are being trained to add "
    "descriptions and dates to every image before the website opens.",
    "The donor said she had no idea what the boxes held until a neighbour who collects old "
    "cameras held one of the plates up to the light, and she wanted the photographs to stay "
    "in the town where they were taken rather than be sold at auction.",
)
# 62 words: its 60 shingles are exactly the lead of a text that starts with it.
MARATHON = (
    "Organisers of the city marathon have changed the route for this year's race to avoid "
    "the roadworks on the ring road, moving the start to the park gates and adding a loop "
    "past the cathedral and the university before runners return along the river path to "
    "the finish beside the town hall.",
    "About eight thousand runners have entered the race this year.",
)
WATER = (
    "A burst water main flooded three streets in the west end early on Sunday morning, and "
    "the water company said that about two hundred homes would be without supply until the "
    "evening while repair crews dug up the junction by the old cinema."
)
ORCHESTRA = (
    "The youth orchestra will play its summer concert in the cathedral for the first time "
    "this year, because the concert hall is closed for repairs to its roof, and tickets "
    "will be free for children under twelve who come with an adult."
)
BAKERY = (
    "A family bakery that has traded on the high street for four generations won a national "
    "award for its sourdough loaf, beating more than four hundred entries from across the "
    "country in a blind tasting held in a London hotel last week."
)
CYCLING = (
    "The council will paint new cycle lanes on the two main roads into the town centre this "
    "summer, and it has promised to put up barriers on the busiest junctions after a "
    "consultation in which most of the replies asked for separated lanes."
)
WATER_EDITED = WATER.replace("three streets", "four streets")
# The marathon story, then the museum story: the lead of one, most of the text of the other.
ROUNDUP = (*MARATHON, *MUSEUM)
COMMENT = "Leave a comment"
# Two lines of one template, 4 and 5 words: Jaccard 0.67, but different lines, not an edit.
PART_ONE = "Radio play, part one"
PART_ONE_RECAST = "Radio play, part one, recast"


def raw(aid: str, source_file: str, *lines: str, version: int = 1) -> RawArticle:
    return raw_article(aid, source_file, *lines, version=version)


def run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    raws: Sequence[RawArticle],
    packs,
    order: str = "earliest",
    hold: bool = False,
    failures: dict[str, tuple[str, str]] | None = None,
) -> dict:
    """One published run as the flow makes it (no validation); returns the audit counts."""
    batch = cleaned(raws, packs)
    assert not batch.rejected, batch.rejected
    cfg = run_settings(canonical_order=order, near_policy="hold" if hold else "publish")
    return publish_run(con, run_id, [batch], cfg, failures)


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def clusters(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    """article_id -> (cluster_id, relation, duplicate_of, run_id) of every published article."""
    return {
        aid: tuple(rest)
        for aid, *rest in rows(
            con,
            "select article_id, c.cluster_id, c.relation, a.duplicate_of, c.run_id "
            "from published.articles a join published.article_clusters c using (article_id)",
        )
    }


def similarity(con: duckdb.DuckDBPyConnection, aid: str) -> float:
    return rows(
        con, "select similarity from published.article_clusters where article_id = ?", [aid]
    )[0][0]


def jaccard(a: Sequence[str], b: Sequence[str]) -> float:
    """The exact Jaccard similarity of two bodies' shingle sets."""
    return paragraph_jaccard("\n".join(a), "\n".join(b))


def paragraph_clusters(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    """paragraph_hash -> (cluster_id, relation, similarity, run_id)."""
    return {
        h: tuple(r)
        for h, *r in rows(
            con,
            "select paragraph_hash, cluster_id, relation, similarity, run_id "
            "from published.paragraph_clusters",
        )
    }


def paragraph_jaccard(a: str, b: str) -> float:
    return float(overlaps([SHINGLES.shingles(a)], [SHINGLES.shingles(b)])[0][0])


# The warehouse is thrown away: closing it need not write a checkpoint (a third of a second).
NO_CHECKPOINT = "pragma disable_checkpoint_on_shutdown"


@pytest.fixture
def con(tmp_path: Path):
    with warehouse.connect(tmp_path / "warehouse.duckdb") as connection:
        connection.execute(NO_CHECKPOINT)
        yield connection


@pytest.fixture(scope="module")
def warehouse_at(tmp_path_factory):
    """Opens a fresh warehouse file for a scenario shared by several tests."""
    opened = []

    def open_one(name: str) -> duckdb.DuckDBPyConnection:
        context = warehouse.connect(tmp_path_factory.mktemp(name) / "warehouse.duckdb")
        opened.append(context)
        connection = context.__enter__()
        connection.execute(NO_CHECKPOINT)
        return connection

    yield open_one
    for context in opened:
        context.__exit__(None, None, None)


def test_texts_are_what_the_tests_say():
    assert sum(len(p.split()) for p in BRIDGE) == 158
    assert 0.85 < jaccard(BRIDGE, BRIDGE_EDITED) < 0.9
    assert 0.85 < jaccard(BRIDGE, BRIDGE_RETOLD) < 0.95
    assert jaccard(MUSEUM[:2], MUSEUM) < 0.5  # a teaser, found by containment only
    assert len(SHINGLES.shingle_sequence("\n".join(MARATHON))) == 61
    assert 0.8 < jaccard(MUSEUM, ROUNDUP)
    assert jaccard(MARATHON, ROUNDUP) < 0.5
    assert 0.8 < paragraph_jaccard(WATER, WATER_EDITED) < 1.0
    assert overlaps([SHINGLES.shingles(SHORT)], [SHINGLES.shingles(MUSEUM[0])])[1][0] == 1.0
    assert len(SHINGLES.shingles(SHORT)) < MIN_CONTAINED


# --- one run with copies of every kind

# The story's opening words: contained whole, but fewer shingles than MIN_CONTAINED.
SHORT = (
    "The town museum has been given a collection of more than three hundred Victorian photographs."
)


@pytest.fixture(scope="module")
def one_run(warehouse_at, packs):
    """One run: a story and its near and exact copies, a story and its teaser, a sentence from
    it, and two articles sharing an edited paragraph. Ids sort against the run's order."""
    con = warehouse_at("one_run")
    counts = run(
        con,
        "r1",
        [
            raw("zz-bridge", "a.txt", *BRIDGE),
            raw("aa-near", "b.txt", *BRIDGE_EDITED),
            raw("mm-exact", "c.txt", *(p.upper() for p in BRIDGE)),
            raw("museum", "d.txt", *MUSEUM),
            raw("teaser", "e.txt", *MUSEUM[:2], "Read the full story"),
            raw("short", "f.txt", SHORT),
            raw("water", "g.txt", WATER, ORCHESTRA),
            raw("cycling", "h.txt", CYCLING, WATER_EDITED, BAKERY),
        ],
        packs,
    )
    return con, counts


def test_near_copy_in_one_run_points_at_the_earlier(one_run):
    con, _ = one_run

    assert clusters(con)["zz-bridge"] == ("zz-bridge", "canonical", None, "r1")
    assert clusters(con)["aa-near"] == ("zz-bridge", "near", "zz-bridge", "r1")
    assert similarity(con, "zz-bridge") == 1.0
    assert similarity(con, "aa-near") == pytest.approx(jaccard(BRIDGE, BRIDGE_EDITED))
    assert 0.5 < similarity(con, "aa-near") < 1.0


def test_exact_copy_in_one_run_has_relation_exact(one_run):
    con, _ = one_run

    assert clusters(con)["mm-exact"] == ("zz-bridge", "exact", "zz-bridge", "r1")
    assert similarity(con, "mm-exact") == 1.0


def test_teaser_points_at_its_full_story(one_run):
    con, _ = one_run

    assert clusters(con)["museum"] == ("museum", "canonical", None, "r1")
    assert clusters(con)["teaser"] == ("museum", "teaser", "museum", "r1")
    # The call to action is cut: the teaser is the first two paragraphs exactly.
    assert rows(con, "select body from published.articles where article_id = 'teaser'") == [
        ("\n\n".join(MUSEUM[:2]),)
    ]
    assert similarity(con, "teaser") == pytest.approx(jaccard(MUSEUM[:2], MUSEUM))


def test_opening_sentence_of_a_story_is_not_its_teaser(one_run):
    con, _ = one_run

    assert clusters(con)["short"] == ("short", "canonical", None, "r1")


def test_articles_sharing_one_edited_paragraph_are_not_copies(one_run):
    con, _ = one_run

    assert clusters(con)["water"] == ("water", "canonical", None, "r1")
    assert clusters(con)["cycling"] == ("cycling", "canonical", None, "r1")


def test_one_run_counts_and_published_bands(one_run):
    con, counts = one_run

    assert (counts["articles_read"], counts["published"], counts["duplicates"]) == (8, 5, 3)
    assert rows(
        con,
        "select article_id, duplicate_of from published.articles "
        "where duplicate_of is not null order by 1",
    ) == [("aa-near", "zz-bridge"), ("mm-exact", "zz-bridge"), ("teaser", "museum")]
    # Both kinds of band keys of every article: its whole body and its lead.
    assert rows(
        con,
        "select kind, count(distinct article_id), count(*) from published.article_bands "
        "group by 1 order by 1",
    ) == [("full", 8, 8 * 16), ("lead", 8, 8 * 16)]
    assert rows(con, "select * from audit.cluster_merges") == []


def test_edited_paragraph_in_one_run_joins_the_original_paragraphs_cluster(one_run):
    con, _ = one_run
    got = paragraph_clusters(con)

    assert got[paragraph_hash(WATER)] == (paragraph_hash(WATER), "canonical", 1.0, "r1")
    assert got[paragraph_hash(WATER_EDITED)] == (
        paragraph_hash(WATER),
        "near",
        pytest.approx(paragraph_jaccard(WATER, WATER_EDITED)),
        "r1",
    )
    for text in (ORCHESTRA, CYCLING, BAKERY, SHORT, *MUSEUM):
        assert got[paragraph_hash(text)] == (paragraph_hash(text), "canonical", 1.0, "r1")
    # The edited bridge paragraphs join theirs; the upper-cased copy is the same text.
    assert got[paragraph_hash(BRIDGE_EDITED[1])][:2] == (paragraph_hash(BRIDGE[1]), "near")
    assert len(got) == len({paragraph_hash(t) for t in (*BRIDGE, *BRIDGE_EDITED, *MUSEUM)}) + 6
    assert rows(
        con,
        "select kind, count(distinct paragraph_hash), count(*) "
        "from published.paragraph_bands group by 1",
    ) == [("full", len(got), len(got) * PARAGRAPHS.bands)]


def test_short_paragraphs_get_no_band_keys_and_long_ones_all():
    words = [
        normalize_for_hash(text).split()
        for text in ("Five words and no more", "Six words make four shingles here", WATER)
    ]
    keys = band_key_table(PARAGRAPHS, ["five", "six", "water"], words)

    assert {r["paragraph_hash"]: len(r["band_keys"]) for r in keys.to_pylist()} == {
        "six": PARAGRAPHS.bands,
        "water": PARAGRAPHS.bands,
    }
    assert band_key_table(PARAGRAPHS, ["five"], words[:1]).num_rows == 0


def test_near_copies_of_a_short_line_stay_apart_and_their_exact_copies_together(con, packs):
    assert paragraph_jaccard(PART_ONE, PART_ONE_RECAST) >= 0.5
    run(
        con,
        "r1",
        [
            raw("one", "a.txt", WATER, PART_ONE),
            raw("two", "b.txt", CYCLING, PART_ONE_RECAST),
            raw("three", "c.txt", BAKERY, PART_ONE.replace(",", " -")),
        ],
        packs,
    )

    got = paragraph_clusters(con)
    assert got[paragraph_hash(PART_ONE)][:2] == (paragraph_hash(PART_ONE), "canonical")
    assert got[paragraph_hash(PART_ONE_RECAST)][:2] == (
        paragraph_hash(PART_ONE_RECAST),
        "canonical",
    )
    assert rows(
        con,
        "select article_id, first_article_id from published.paragraphs "
        "where paragraph_hash = ? order by 1",
        [paragraph_hash(PART_ONE)],
    ) == [("one", "one"), ("three", "one")]
    assert rows(
        con,
        "select count(distinct paragraph_hash) from published.paragraph_bands "
        "where paragraph_hash in (?, ?)",
        [paragraph_hash(PART_ONE), paragraph_hash(PART_ONE_RECAST)],
    ) == [(0,)]


def test_candidates_found_a_band_and_verified_a_few_at_a_time_give_the_same_clusters(
    warehouse_at, packs, monkeypatch
):
    articles = [
        raw("zz-bridge", "a.txt", *BRIDGE),
        raw("aa-near", "b.txt", *BRIDGE_EDITED),
        raw("retold", "c.txt", *BRIDGE_RETOLD),
        raw("water", "d.txt", WATER, ORCHESTRA),
        raw("cycling", "e.txt", CYCLING, WATER_EDITED),
    ]
    whole = warehouse_at("whole_chunks")
    run(whole, "r1", articles, packs)
    pairs = "select a, b from audit.{}_candidates order by all"
    candidates = rows(whole, pairs.format("paragraph"))
    for name in ("ARTICLES", "PARAGRAPHS"):  # two candidate pairs verified at a time
        level = getattr(near_duplicates, name)
        monkeypatch.setattr(near_duplicates, name, replace(level, pairs_per_chunk=2))
    monkeypatch.setattr(near_duplicates, "SHINGLE_GROUP", 1)
    monkeypatch.setattr(near_duplicates, "BAND_ROWS_PER_PASS", 1)  # one band a pass
    chunked = warehouse_at("small_chunks")
    run(chunked, "r1", articles, packs)

    assert len(candidates) > 2 * 2  # more than two chunks of two pairs
    for level in ("article", "paragraph"):
        assert rows(chunked, pairs.format(level)) == rows(whole, pairs.format(level))
        bands = f"select * from published.{level}_bands order by all"
        assert rows(chunked, bands) == rows(whole, bands)
    assert clusters(chunked) == clusters(whole)
    assert paragraph_clusters(chunked) == paragraph_clusters(whole)
    assert {r[1] for r in paragraph_clusters(whole).values()} == {"canonical", "near"}


def test_a_bucket_beyond_the_bound_pairs_its_members_with_its_first_only(
    warehouse_at, packs, monkeypatch
):
    # One templated line on many pages, a word changed each time: one band bucket holds them.
    line = (
        "{} is a reporter at the Valley Ledger covering the county council, the courts and schools."
    )
    names = ["Ada Lund", "Bo Marsh", "Cy Nolan", "Di Ortiz", "Ed Price", "Flo Quinn"]
    stories = (BRIDGE[0], WATER, ORCHESTRA, CYCLING, BRIDGE_RETOLD[0], WATER_EDITED)
    articles = [
        raw(f"a{i}", f"{i}.txt", line.format(name), story)
        for i, (name, story) in enumerate(zip(names, stories, strict=True))
    ]
    whole = warehouse_at("all_pairs")
    run(whole, "r1", articles, packs)
    all_pairs = rows(whole, "select count(*) from audit.paragraph_candidates")[0][0]
    monkeypatch.setattr(near_duplicates, "MAX_BUCKET", 2)
    bounded = warehouse_at("bounded")
    run(bounded, "r1", articles, packs)

    heads = rows(bounded, "select count(distinct a) from audit.paragraph_candidates")[0][0]
    pairs = rows(bounded, "select count(*) from audit.paragraph_candidates")[0][0]
    assert pairs < all_pairs
    assert heads < pairs  # stars: a few first members, each paired with many
    # Each line is near its bucket's first one, so the clusters do not change.
    assert paragraph_clusters(bounded) == paragraph_clusters(whole)


def test_a_published_bucket_beyond_the_bound_pairs_a_new_member_with_its_first_only(
    warehouse_at, packs, monkeypatch
):
    line = "{} is a reporter at the Valley Ledger covering the county council, the courts."
    names = ["Ada Lund", "Bo Marsh", "Cy Nolan", "Di Ortiz", "Ed Price"]
    stories = (BRIDGE[0], WATER, ORCHESTRA, CYCLING, BRIDGE_RETOLD[0])
    earlier = [
        raw(f"a{i}", f"{i}.txt", line.format(name), story)
        for i, (name, story) in enumerate(zip(names, stories, strict=True))
    ]
    later = [raw("late", "late.txt", line.format("Gil Rowe"), WATER_EDITED)]
    late = paragraph_hash(line.format("Gil Rowe"))

    def partners(con) -> set[str]:
        pairs = rows(con, "select a, b from audit.paragraph_candidates")
        return {b for a, b in pairs if a == late}

    whole = warehouse_at("published_all")
    run(whole, "r1", earlier, packs)
    run(whole, "r2", later, packs)
    monkeypatch.setattr(near_duplicates, "MAX_BUCKET", 2)
    bounded = warehouse_at("published_star")
    run(bounded, "r1", earlier, packs)
    run(bounded, "r2", later, packs)

    assert partners(bounded) < partners(whole)  # not every published line of the big buckets
    assert paragraph_clusters(bounded) == paragraph_clusters(whole)


# --- policies


def test_longest_policy_makes_the_full_story_canonical_though_the_teaser_came_first(con, packs):
    run(
        con,
        "r1",
        [raw("teaser", "a.txt", *MUSEUM[:2]), raw("full", "b.txt", *MUSEUM)],
        packs,
        order="longest",
    )

    assert clusters(con) == {
        "full": ("full", "canonical", None, "r1"),
        "teaser": ("full", "teaser", "full", "r1"),
    }


def test_hold_moves_near_copies_and_teasers_to_quarantine_and_keeps_exact_ones(con, packs):
    near = raw("near", "b.txt", *BRIDGE_EDITED)
    teaser = raw("teaser", "e.txt", *MUSEUM[:2])

    counts = run(
        con,
        "r1",
        [
            raw("first", "a.txt", *BRIDGE),
            near,
            raw("exact", "c.txt", *BRIDGE, COMMENT),
            raw("museum", "d.txt", *MUSEUM),
            teaser,
        ],
        packs,
        hold=True,
    )

    assert clusters(con) == {
        "first": ("first", "canonical", None, "r1"),
        "exact": ("first", "exact", "first", "r1"),
        "museum": ("museum", "canonical", None, "r1"),
    }
    near_detail = (
        "near copy in the cluster of first (closest member: Jaccard "
        f"{jaccard(BRIDGE, BRIDGE_EDITED):.2f})"
    )
    teaser_detail = (
        "teaser copy in the cluster of museum (closest member: Jaccard "
        f"{jaccard(MUSEUM[:2], MUSEUM):.2f})"
    )
    assert rows(con, "select * exclude (run_id) from published.quarantine order by 1") == [
        ("b.txt", 0, "near", 1, "validate", "duplicate_near", near_detail, near.content),
        ("e.txt", 0, "teaser", 1, "validate", "duplicate_near", teaser_detail, teaser.content),
    ]
    for table in ("articles", "paragraphs", "article_bands"):
        assert rows(con, f"select distinct article_id from published.{table} order by 1") == [
            ("exact",),
            ("first",),
            ("museum",),
        ], table
    assert counts == {
        "files_ingested": 5,
        "articles_read": 5,
        "published": 2,
        "duplicates": 1,
        "quarantined": 2,
        "removed_spans": 1,
        "quarantine_by_reason": {"duplicate_near": 2},
        "removals_by_reason": {"comments": 1},
    }


# --- real articles


def test_seed_articles_on_one_event_are_not_clustered(con, packs, gold):
    # Five real reports of one Xi-Putin call: the same event and shared quotes, not copies.
    articles = [raw(name, name, *g["body"]) for name, g in sorted(gold.items())]
    assert len(articles) == 5

    counts = run(con, "r1", articles, packs)

    assert clusters(con) == {name: (name, "canonical", None, "r1") for name in gold}
    assert (counts["published"], counts["duplicates"]) == (5, 0)
    assert rows(con, "select * from audit.cluster_merges") == []


# --- across runs


def test_copies_in_later_runs_join_the_first_cluster_whose_id_never_changes(con, packs):
    run(con, "r1", [raw("a", "a.txt", *BRIDGE)], packs)
    assert clusters(con) == {"a": ("a", "canonical", None, "r1")}

    # An id that sorts first, in a later run: it still joins a's cluster.
    run(con, "r2", [raw("0-b", "b.txt", *BRIDGE_EDITED)], packs)
    assert clusters(con) == {
        "a": ("a", "canonical", None, "r1"),
        "0-b": ("a", "near", "a", "r2"),
    }

    counts = run(con, "r3", [raw("c", "c.txt", *BRIDGE_RETOLD)], packs)
    assert clusters(con) == {
        "a": ("a", "canonical", None, "r1"),
        "0-b": ("a", "near", "a", "r2"),
        "c": ("a", "near", "a", "r3"),
    }
    assert similarity(con, "a") == 1.0
    assert similarity(con, "0-b") == pytest.approx(jaccard(BRIDGE, BRIDGE_EDITED))
    # c's best match may be a or b: its similarity is the better of the two.
    assert similarity(con, "c") == pytest.approx(
        max(jaccard(BRIDGE_RETOLD, BRIDGE), jaccard(BRIDGE_RETOLD, BRIDGE_EDITED))
    )
    assert (counts["published"], counts["duplicates"]) == (0, 1)
    assert rows(con, "select * from audit.cluster_merges") == []


@pytest.fixture(scope="module")
def merged(warehouse_at, packs):
    """x, then y and an exact copy of y, in runs of their own; then z, which starts with x
    (the same lead: a teaser-like containment) and goes on with y (Jaccard above 0.8)."""
    con = warehouse_at("merged")
    run(con, "r1", [raw("x", "x.txt", *MARATHON)], packs)
    run(con, "r2", [raw("y", "y.txt", *MUSEUM), raw("y-copy", "y2.txt", *MUSEUM)], packs)
    counts = run(con, "r3", [raw("z", "z.txt", *ROUNDUP)], packs)
    return con, counts


def test_texts_of_the_merge_make_a_bridge():
    # z's lead (its first 60 shingles) is x's own lead: the two leads have the same band keys.
    z = SHINGLES.shingle_sequence("\n".join(ROUNDUP))
    x = SHINGLES.shingle_sequence("\n".join(MARATHON))

    assert len(x) >= 60
    np.testing.assert_array_equal(z[:60], x[:60])


def test_article_bridging_two_clusters_merges_them_into_the_earlier(merged):
    con, counts = merged

    assert rows(con, "select * from audit.cluster_merges") == [("r3", "article", "x", "y")]
    assert clusters(con) == {
        "x": ("x", "canonical", None, "r1"),
        "y": ("x", "merged", "x", "r2"),  # canonical of the merged cluster
        "y-copy": ("x", "exact", "x", "r2"),
        "z": ("x", "near", "x", "r3"),
    }
    assert similarity(con, "z") == pytest.approx(jaccard(MUSEUM, ROUNDUP))
    assert similarity(con, "y-copy") == 1.0
    assert (counts["published"], counts["duplicates"]) == (0, 1)
    assert rows(con, "select count(*) from published.articles where duplicate_of is null") == [(1,)]


def test_merge_moves_no_paragraph_cluster(merged):
    # z's paragraphs are all published already: no paragraph is clustered again.
    con, _ = merged

    assert rows(con, "select count(*) from published.paragraph_clusters where run_id = 'r3'") == [
        (0,)
    ]
    assert rows(con, "select count(*) from published.paragraph_clusters") == [(8,)]


def test_merged_canonical_has_no_similarity_to_claim(merged):
    # It never met x: it joined x's cluster through z, so no Jaccard describes it.
    con, _ = merged

    assert similarity(con, "y") is None


def test_merge_keeps_the_cluster_seen_first_in_the_same_run(con, packs):
    # x is seen first in r1 but sorts after m by id.
    run(con, "r1", [raw("x", "a.txt", *MARATHON), raw("m", "b.txt", *MUSEUM)], packs)

    run(con, "r2", [raw("z", "z.txt", *ROUNDUP)], packs)

    assert rows(con, "select kept_cluster_id, merged_cluster_id from audit.cluster_merges") == [
        ("x", "m")
    ]


def test_held_bridge_does_not_merge_clusters(con, packs):
    run(con, "r1", [raw("x", "x.txt", *MARATHON), raw("y", "y.txt", *MUSEUM)], packs)

    run(con, "r2", [raw("z", "z.txt", *ROUNDUP)], packs, hold=True)

    assert rows(con, "select article_id from published.quarantine") == [("z",)]
    assert rows(con, "select * from audit.cluster_merges") == []
    assert clusters(con) == {
        "x": ("x", "canonical", None, "r1"),
        "y": ("y", "canonical", None, "r1"),
    }


# --- paragraphs across runs


def test_edited_paragraph_in_a_later_run_joins_the_original_paragraphs_cluster(con, packs):
    run(con, "r1", [raw("water", "a.txt", WATER, ORCHESTRA)], packs)
    before = paragraph_clusters(con)

    run(
        con,
        "r2",
        [
            raw("cycling", "b.txt", CYCLING, WATER_EDITED, BAKERY),
            # A paragraph published before, in another form: the same text, not clustered again.
            raw("concert", "c.txt", MARATHON[0], ORCHESTRA.upper()),
        ],
        packs,
    )

    got = paragraph_clusters(con)
    assert {h: got[h] for h in before} == before
    assert before == {
        paragraph_hash(WATER): (paragraph_hash(WATER), "canonical", 1.0, "r1"),
        paragraph_hash(ORCHESTRA): (paragraph_hash(ORCHESTRA), "canonical", 1.0, "r1"),
    }
    assert {h: r for h, r in got.items() if h not in before} == {
        paragraph_hash(WATER_EDITED): (
            paragraph_hash(WATER),
            "near",
            pytest.approx(paragraph_jaccard(WATER, WATER_EDITED)),
            "r2",
        ),
        paragraph_hash(CYCLING): (paragraph_hash(CYCLING), "canonical", 1.0, "r2"),
        paragraph_hash(BAKERY): (paragraph_hash(BAKERY), "canonical", 1.0, "r2"),
        paragraph_hash(MARATHON[0]): (paragraph_hash(MARATHON[0]), "canonical", 1.0, "r2"),
    }
    assert {aid: c[:2] for aid, c in clusters(con).items()} == {
        aid: (aid, "canonical") for aid in ("water", "cycling", "concert")
    }


def test_bands_of_another_layout_are_recomputed_before_a_later_run_matches(con, packs, monkeypatch):
    # A warehouse written with 32 x 4 paragraph bands, before band_layouts was kept.
    old = replace(near_duplicates.PARAGRAPHS, bands=32, rows=4, min_shingles=0)
    monkeypatch.setattr(near_duplicates, "PARAGRAPHS", old)
    monkeypatch.setattr(batch_tables, "PARAGRAPHS", old)
    run(con, "r1", [raw("water", "a.txt", WATER, ORCHESTRA, PART_ONE)], packs)
    assert rows(con, "select count(*) from published.paragraph_bands") == [(3 * 32,)]
    con.execute("delete from published.band_layouts")
    monkeypatch.undo()
    monkeypatch.setattr(near_duplicates, "REKEY_CHUNK", 2)  # three texts: two pages

    run(con, "r2", [raw("cycling", "b.txt", CYCLING, WATER_EDITED)], packs)

    assert paragraph_clusters(con)[paragraph_hash(WATER_EDITED)][:2] == (
        paragraph_hash(WATER),
        "near",
    )
    assert rows(
        con,
        "select count(distinct paragraph_hash), count(*), max(band) from published.paragraph_bands",
    ) == [(4, 4 * PARAGRAPHS.bands, PARAGRAPHS.bands - 1)]
    # Every published text keyed as a run keys it today, none left out by the paging.
    texts = rows(con, "select distinct paragraph_hash, paragraph_text from published.paragraphs")
    fresh = band_key_table(
        PARAGRAPHS, [h for h, _ in texts], [normalize_for_hash(t).split() for _, t in texts]
    )
    assert sorted(rows(con, "select * from published.paragraph_bands")) == sorted(
        (r["paragraph_hash"], r["kind"], band, key)
        for r in fresh.to_pylist()
        for band, key in enumerate(r["band_keys"])
    )
    assert rows(con, "select * from published.band_layouts order by 1") == [
        ("article", 16, 8, 60, 0),
        ("paragraph", PARAGRAPHS.bands, PARAGRAPHS.rows, 0, PARAGRAPHS.min_shingles),
    ]


# --- re-processed files


def test_reprocessed_canonical_keeps_its_cluster_and_role(con, packs):
    run(con, "r1", [raw("canon", "a.txt", *BRIDGE), raw("copy", "b.txt", *BRIDGE_EDITED)], packs)

    # Version 2 of canon's file: a comment prompt more and one word changed.
    edited = (*BRIDGE[:2], BRIDGE[2].replace("two weekends", "three weekends"), BRIDGE[3])
    run(con, "r2", [raw("canon", "a.txt", *edited, COMMENT, version=2)], packs)

    assert clusters(con) == {
        "canon": ("canon", "canonical", None, "r2"),
        "copy": ("canon", "near", "canon", "r1"),
    }
    assert similarity(con, "canon") == 1.0
    assert rows(con, "select version from published.articles where article_id = 'canon'") == [(2,)]
    assert rows(
        con,
        "select kind, count(*) from published.article_bands where article_id = 'canon' "
        "group by 1 order by 1",
    ) == [("full", 16), ("lead", 16)]
    assert rows(con, "select * from audit.cluster_merges") == []


def test_reprocessed_canonical_stays_canonical_beside_a_new_copy(con, packs):
    run(con, "r1", [raw("canon", "b.txt", *BRIDGE), raw("copy", "c.txt", *BRIDGE_EDITED)], packs)

    # The new copy is seen first in r2 (a.txt < b.txt).
    run(
        con,
        "r2",
        [
            raw("newcopy", "a.txt", *BRIDGE_RETOLD),
            raw("canon", "b.txt", *BRIDGE, COMMENT, version=2),
        ],
        packs,
    )

    assert {aid: c[:3] for aid, c in clusters(con).items()} == {
        "canon": ("canon", "canonical", None),
        "copy": ("canon", "near", "canon"),
        "newcopy": ("canon", "near", "canon"),
    }
    assert rows(con, "select * from audit.cluster_merges") == []


def test_reprocessed_copies_stay_in_their_cluster(con, packs):
    run(
        con,
        "r1",
        [
            raw("canon", "a.txt", *BRIDGE),
            raw("near", "b.txt", *BRIDGE_EDITED),
            raw("exact", "c.txt", *BRIDGE),
        ],
        packs,
    )

    # Version 2 of both copies' files: a comment prompt more, the same bodies.
    counts = run(
        con,
        "r2",
        [
            raw("near", "b.txt", *BRIDGE_EDITED, COMMENT, version=2),
            raw("exact", "c.txt", *BRIDGE, COMMENT, version=2),
        ],
        packs,
    )

    assert clusters(con) == {
        "canon": ("canon", "canonical", None, "r1"),
        "near": ("canon", "near", "canon", "r2"),
        "exact": ("canon", "exact", "canon", "r2"),
    }
    assert (counts["published"], counts["duplicates"]) == (0, 2)


# --- quarantined members


@pytest.fixture(scope="module")
def canonical_quarantined(warehouse_at, packs):
    """A story, two copies of it, and a paragraph first seen in the story and edited in a
    copy; the story fails validation."""
    con = warehouse_at("canonical_quarantined")
    run(
        con,
        "r1",
        [
            raw("a", "a.txt", *BRIDGE, WATER),
            raw("b", "b.txt", *BRIDGE_EDITED, WATER_EDITED),
            raw("c", "c.txt", *BRIDGE_RETOLD),
        ],
        packs,
        failures={"a": ("too_short", "failed word_count")},
    )
    return con


def test_first_copy_of_a_quarantined_canonical_becomes_canonical(canonical_quarantined):
    con = canonical_quarantined

    assert {aid: c[:3] for aid, c in clusters(con).items()} == {
        "b": ("b", "canonical", None),
        "c": ("b", "near", "b"),
    }
    assert rows(con, "select article_id, reason from published.quarantine") == [("a", "too_short")]


def test_copy_promoted_to_canonical_has_similarity_one(canonical_quarantined):
    assert similarity(canonical_quarantined, "b") == 1.0


def test_a_rebuild_after_quarantine_finds_what_a_full_build_would(warehouse_at, packs):
    # The rebuild keeps the band join's candidates less the quarantined members'; building
    # from scratch on what is left must find the same pairs and clusters.
    con = warehouse_at("rebuild_equals_build")
    run(con, "r1", [raw("old", "o.txt", *MUSEUM)], packs)
    batch = cleaned(
        [
            raw("a", "a.txt", *BRIDGE, WATER),
            raw("b", "b.txt", *BRIDGE_EDITED, WATER_EDITED),
            raw("c", "c.txt", *BRIDGE_RETOLD),
            raw("m", "m.txt", *MUSEUM),
        ],
        packs,
    )
    cfg = run_settings()
    publish_run(con, "r2", [batch], cfg, {"a": ("too_short", "x")}, publish=False)
    kept = audit_state(con)
    restage_band_keys(con, batch)

    audit.audit_batch(con, "r2", cfg)  # from scratch, on the batch without "a"

    assert audit_state(con) == kept
    assert ("m", "old") in kept["article_candidates"]


def test_a_quarantined_new_version_takes_its_published_copy_away(warehouse_at, packs):
    # Publishing replaces every article of a file the run read, so the old version of a
    # quarantined one is gone: a near copy of it in the same run is an original.
    con = warehouse_at("quarantined_version")
    run(con, "r1", [raw("a", "a.txt", *BRIDGE)], packs)

    run(
        con,
        "r2",
        [raw("a", "a.txt", *BRIDGE_RETOLD, version=2), raw("b", "b.txt", *BRIDGE_EDITED)],
        packs,
        failures={"a": ("too_short", "failed word_count")},
    )

    assert clusters(con)["b"][:3] == ("b", "canonical", None)
    dangling = rows(
        con,
        "select paragraph_hash from published.paragraphs "
        "where first_article_id not in (select article_id from published.articles)",
    )
    assert dangling == []


def test_an_article_whose_file_now_fails_to_read_is_no_ones_original(warehouse_at, packs):
    # a.txt is read again and now holds nothing: its published article goes with this run,
    # so a near copy of it staged now must not be published as its duplicate.
    con = warehouse_at("file_now_empty")
    run(con, "r1", [raw("a", "a.txt", *BRIDGE)], packs)
    batch = cleaned([raw("a", "a.txt", version=2), raw("b", "b.txt", *BRIDGE_EDITED)], packs)
    assert [r.reason for r in batch.rejected] == ["empty"]

    publish_run(con, "r2", [batch], run_settings())

    assert clusters(con)["b"][:3] == ("b", "canonical", None)


def audit_state(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """The audit batch's candidate and verified pairs and cluster assignments, sorted."""
    return {
        f"{level}_{table}": sorted(rows(con, f"select * from audit.{level}_{table}"))
        for level in ("article", "paragraph")
        for table in ("candidates", "verified", "matches")
    }


def test_paragraph_cluster_ids_are_published_canonicals(canonical_quarantined):
    con = canonical_quarantined

    assert (
        rows(
            con,
            "select c.paragraph_hash, c.cluster_id from published.paragraph_clusters c "
            "anti join published.paragraph_clusters k "
            "on k.paragraph_hash = c.cluster_id and k.relation = 'canonical'",
        )
        == []
    )
