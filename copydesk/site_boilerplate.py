"""Site boilerplate learned from the warehouse: a body line that recurs in many distinct
articles of one site is the site's chrome, not its reporting.

Learning is set-based SQL inside the publish transaction (sql/site_boilerplate/): each run
adds its published originals' lines to a per-site count table, takes out those of the articles
that stopped being published originals, and learns the lines that pass the threshold. Applying
is a small pass after the cleaner: the flow loads the learned lines once per run
(load_learned) and each batch drops them (drop_learned_lines), every removal recorded with
reason `site_boilerplate` and the rule id `learned:<site>:<hash12>`."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import duckdb

from copydesk.clean import reject_empty
from copydesk.records import CleanArticle, Removal, StepResult
from copydesk.text_keys import key_hash, normalize_for_hash
from copydesk.warehouse import read_sql

SITE_BOILERPLATE = "site_boilerplate"
RULE_PREFIX = "learned"
# The host of a URL, as published.site_of takes it in SQL (sql/schema.sql): both must agree,
# or a learned line would never meet the articles it was learned from.
_HOST = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?([^/?#:]+)")


def site_of(url: str | None, source: str | None) -> str | None:
    """The site an article belongs to: its URL's host without "www.", else its source name."""
    host = _HOST.match(url) if url else None
    if host:
        name = re.sub(r"^www\.", "", host.group(1).lower())
        if name:
            return name
    source = source.strip(" ") if source else ""  # as DuckDB's trim(), which trims spaces only
    return source or None


def rule_id(site: str, paragraph_hash: str) -> str:
    """The id of a learned rule: `learned:<site>:<first 12 hex digits of the line's hash>`."""
    return f"{RULE_PREFIX}:{site}:{paragraph_hash[:12]}"


@dataclass(frozen=True, slots=True)
class LearnedLines:
    """Every learned line, by site: {site: {paragraph_hash: rule_id}}."""

    by_site: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return sum(len(lines) for lines in self.by_site.values())


@dataclass(frozen=True, slots=True)
class Learning:
    """When a line becomes a learned rule: carried by at least `min_articles` distinct
    original articles of its site (duplicates not counted) and by `min_share` of them."""

    min_articles: int
    min_share: float

    def params(self) -> dict[str, object]:
        return {"min_articles": self.min_articles, "min_share": self.min_share}


def load_learned(con: duckdb.DuckDBPyConnection) -> LearnedLines:
    """The learned lines of every site, to hand to the cleaning of each batch."""
    by_site: dict[str, dict[str, str]] = {}
    rows = con.execute(read_sql("site_boilerplate/load_learned")).fetchall()
    for site, paragraph_hash, rule in rows:
        by_site.setdefault(site, {})[paragraph_hash] = rule
    return LearnedLines(by_site)


def take_counted_before(con: duckdb.DuckDBPyConnection) -> None:
    """Once, on a warehouse whose site counts predate published.site_counted: take every
    published original as counted with its published lines. Runs before the publish deletes
    or merges anything, so the articles this run replaces can leave the counts too."""
    counted = con.execute("select count(*) from published.site_counted").fetchone()
    sites = con.execute("select count(*) from published.site_articles").fetchone()
    if counted == (0,) and sites != (0,):
        con.execute(read_sql("site_boilerplate/counted_before"))


def update_counts(con: duckdb.DuckDBPyConnection, run_id: str, learning: Learning | None) -> int:
    """Take the counted articles that are no longer published originals out of the per-site
    line counts; with `learning`, add this run's published originals and learn the lines that
    pass the threshold. Returns how many rules it learned. Runs inside the publish
    transaction, after the audit batch is published and before staging is cleared."""
    con.execute(read_sql("site_boilerplate/forgotten"))
    _change_counts(con, run_id, "forgotten", -1)
    con.execute("delete from published.site_counted where article_id in (from forgotten)")
    if learning is not None:
        con.execute(read_sql("site_boilerplate/count_run"))
        _change_counts(con, run_id, "audit.articles", 1)
    # Only now: a line this run published again keeps the first run that published it.
    con.execute("delete from published.site_lines where articles <= 0")
    con.execute("delete from published.site_articles where articles <= 0")
    if learning is None:
        return 0
    params = {"run_id": run_id, **learning.params()}
    row = con.execute(read_sql("site_boilerplate/learned_rules"), params).fetchone()
    return int(row[0]) if row else 0


def _change_counts(con: duckdb.DuckDBPyConnection, run_id: str, articles: str, sign: int) -> None:
    """Add (`sign` 1) or subtract (-1) the counted lines of the articles in table `articles`."""
    params = {"sign": sign, "run_id": run_id}
    con.execute(read_sql("site_boilerplate/site_lines", articles=articles), params)
    con.execute(read_sql("site_boilerplate/site_articles", articles=articles), {"sign": sign})


def drop_learned_lines(
    articles: Sequence[CleanArticle], learned: LearnedLines
) -> StepResult[CleanArticle]:
    """The articles without their site's learned lines, each removal explained; an article
    left with no body is rejected as `empty`, as the cleaner rejects one."""
    result: StepResult[CleanArticle] = StepResult.start("drop_learned", received=len(articles))
    for article in articles:
        site = site_of(article.url, article.source)
        lines = learned.by_site.get(site) if site else None
        if not lines:
            result.keep(article)
            continue
        keep: list[int] = []
        removed: list[Removal] = []
        paired = zip(article.positions, article.paragraphs, strict=True)
        for i, (position, text) in enumerate(paired):
            rule = lines.get(key_hash(normalize_for_hash(text)))
            if rule is None:
                keep.append(i)
            else:
                removed.append(Removal(position, text, SITE_BOILERPLATE, rule))
        if not removed:
            result.keep(article)
        elif not keep:
            result.reject(reject_empty(article.raw, article.removals + tuple(removed)))
        else:
            result.keep(
                dataclasses.replace(
                    article,
                    paragraphs=tuple(article.paragraphs[i] for i in keep),
                    positions=tuple(article.positions[i] for i in keep),
                    removals=tuple(sorted(article.removals + tuple(removed), key=_at)),
                )
            )
    result.check_balance()
    return result


def _at(removal: Removal) -> int:
    return removal.position
