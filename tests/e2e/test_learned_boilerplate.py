"""Site boilerplate learned by one real flow run and removed by the next."""

from __future__ import annotations

import json
import shutil

import pytest

from copydesk.site_boilerplate import SITE_BOILERPLATE
from flows.publish_articles import publish_articles
from tests.e2e.conftest import REPO, SAMPLE, query

pytestmark = pytest.mark.e2e

LATER = REPO / "data" / "later"
# The line the sample's Valley Courier briefs all end on (data/raw/feeds/valley-courier-briefs).
LINE = (
    "Valley Courier briefs are compiled by the metro desk from council agendas, police logs "
    "and calls from readers."
)


def test_line_learned_from_the_sample_leaves_the_next_run_s_article(tmp_path):
    inputs, db = tmp_path / "input", tmp_path / "w.duckdb"
    shutil.copytree(SAMPLE, inputs)

    first = publish_articles(input_dir=inputs, warehouse_path=db)

    [(rule_id, site, articles, first_run, learned_run)] = query(
        db,
        "select rule_id, site, articles, first_run_id, learned_run_id "
        "from published.learned_rules where sample_text = ?",
        [LINE],
    )
    assert site == "valleycourier.example" and rule_id.startswith("learned:valleycourier.example:")
    assert articles == 5 and first_run == learned_run == first.run_id
    # Learned from run 1, the line stays in run 1's articles: rules apply to later runs.
    assert query(
        db, "select count(*) from published.removals where reason = ?", [SITE_BOILERPLATE]
    ) == [(0,)]

    shutil.copytree(LATER, inputs, dirs_exist_ok=True)
    second = publish_articles(input_dir=inputs, warehouse_path=db)

    assert (second.files_ingested, second.published) == (1, 1)
    [(article_id, body)] = query(
        db, "select article_id, body from published.articles where run_id = ?", [second.run_id]
    )
    assert LINE not in body and "countdown timers" in body
    assert query(
        db,
        "select position, removed_text, reason, rule_id, run_id from published.removals "
        "where article_id = ?",
        [article_id],
    ) == [(2, LINE, SITE_BOILERPLATE, rule_id, second.run_id)]
    [(by_reason,)] = query(
        db, "select removals_by_reason from published.runs where run_id = ?", [second.run_id]
    )
    assert json.loads(by_reason) == {SITE_BOILERPLATE: 1}
