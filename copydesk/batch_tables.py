"""The read-and-clean stage: a batch of files read, cleaned and shaped as Arrow tables named
like the staging tables, with hashes and near-duplicate band keys computed. It runs where the
batch is cleaned (a worker process), so the warehouse's single writer only appends."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version
from itertools import chain
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from copydesk.batch import CleanedBatch, PlannedFile, prepare_batch
from copydesk.boilerplate import RulePack
from copydesk.near_duplicates import ARTICLES, PARAGRAPHS, band_key_table
from copydesk.records import CleanArticle
from copydesk.site_boilerplate import LearnedLines
from copydesk.text_keys import body_hash, key_hash, normalize_for_hash


@dataclass(frozen=True, slots=True)
class BatchTables:
    """A cleaned batch as Arrow tables named and shaped like the staging tables, hashes and
    near-duplicate band keys included. Built where the batch was cleaned (a worker process),
    so the warehouse's single writer only appends them; empty tables are left out."""

    tables: dict[str, pa.Table]
    started: float = 0.0  # epoch seconds when the work on the batch began and ended, comparable
    finished: float = 0.0  # with the flow's clock when the worker runs on the same machine

    def rows(self, table: str) -> int:
        return self.tables[table].num_rows if table in self.tables else 0

    @classmethod
    def combine(cls, batches: Sequence[BatchTables]) -> BatchTables:
        """Several cleaned batches as one, in order, so that they are staged in one write;
        each article's seq counts on from the batches before it."""
        if len(batches) == 1:
            return batches[0]
        parts: dict[str, list[pa.Table]] = {}
        seq = 0
        for batch in batches:
            for name, table in batch.tables.items():
                if name == "articles":
                    at = table.schema.get_field_index("seq")
                    table = table.set_column(at, "seq", pc.add(table["seq"], seq))
                parts.setdefault(name, []).append(table)
            seq += batch.rows("articles")
        tables = {n: pa.concat_tables(t, promote_options="default") for n, t in parts.items()}
        return cls(tables, min(b.started for b in batches), max(b.finished for b in batches))


def batch_tables(batch: CleanedBatch) -> BatchTables:
    """The batch's staging rows; an article's seq counts from 0 within the batch."""
    rows, article_words, paragraph_words = _article_rows(batch.articles)
    rows |= _input_rows(batch)
    tables = {name: pa.Table.from_pylist(r) for name, r in rows.items() if r}
    ids = [a.raw.article_id for a in batch.articles]
    tables["article_band_keys"] = band_key_table(ARTICLES, ids, article_words)
    tables["paragraph_band_keys"] = band_key_table(
        PARAGRAPHS, list(paragraph_words), list(paragraph_words.values())
    )
    return BatchTables({name: t for name, t in tables.items() if t.num_rows})


def _article_rows(
    cleaned: Sequence[CleanArticle],
) -> tuple[dict[str, list[dict]], list[list[str]], dict[str, list[str]]]:
    """Rows of articles, paragraphs and removals, with the words each article and each
    distinct paragraph text is shingled from: every text is normalized once."""
    articles: list[dict] = []
    paragraphs: list[dict] = []
    removals: list[dict] = []
    article_words: list[list[str]] = []
    paragraph_words: dict[str, list[str]] = {}
    for seq, a in enumerate(cleaned):
        keys = [normalize_for_hash(text) for text in a.paragraphs]  # hashed and shingled
        article_id = a.raw.article_id
        articles.append(
            {
                "article_id": article_id,
                "source_file": a.raw.source_file,
                "item": a.raw.item,
                "version": a.raw.version,
                "seq": seq,
                "source": a.source,
                "url": a.url,
                "title": a.title,
                "authors": a.authors,
                "published_at": a.published_at,
                "language": a.language,
                "captions": list(a.captions),
                "truncated": a.truncated,
                "body_hash": body_hash(keys),
            }
        )
        words = [key.split() for key in keys]
        article_words.append(list(chain.from_iterable(words)))
        paired = zip(a.positions, a.paragraphs, keys, words, strict=True)
        for position, text, key, key_words in paired:
            paragraph_hash = key_hash(key)
            paragraph_words.setdefault(paragraph_hash, key_words)
            paragraphs.append(
                {
                    "article_id": article_id,
                    "position": position,
                    "paragraph_text": text,
                    "paragraph_hash": paragraph_hash,
                    "word_count": len(text.split()),
                }
            )
        removals.extend(
            {
                "article_id": article_id,
                "position": r.position,
                "removed_text": r.text,
                "reason": r.reason,
                "rule_id": r.rule_id,
            }
            for r in a.removals
        )
    rows = {"articles": articles, "paragraphs": paragraphs, "removals": removals}
    return rows, article_words, paragraph_words


def _input_rows(batch: CleanedBatch) -> dict[str, list[dict]]:
    """Rows of the files read, the documents read from them, and what went to quarantine."""
    versions = {f.source_file: f.version for f in batch.files}
    return {
        "files": [
            {
                "source_file": f.source_file,
                "version": f.version,
                "sha256": f.sha256,
                "size_bytes": f.size_bytes,
                "mtime_ns": f.mtime_ns,
            }
            for f in batch.files
        ],
        "documents": [
            {
                "article_id": d.article_id,
                "version": d.version,
                "source_file": d.source_file,
                "item": d.item,
                "format": d.format,
                "encoding": d.encoding,
                "content": d.content,
                "url": d.url,
                "source": d.source,
                "title": d.title,
                "published": d.published,
            }
            for d in batch.documents
        ],
        "quarantine": [
            {
                "source_file": r.source_file,
                "item": r.item,
                "article_id": r.article_id,
                "version": versions[r.source_file],
                "step": r.step,
                "reason": r.reason,
                "detail": r.detail,
                "original_text": r.original_text,
            }
            for r in batch.rejected
        ],
    }


def cleaning_key(packs: Sequence[RulePack], max_bytes: int) -> str:
    """A hash of what decides how read_and_clean turns a file into rows: copydesk's code,
    trafilatura's version, the rule packs and the size limit. A run keeps batches an earlier
    run staged only under the same key (staging.take_over). Learned site lines are not in it:
    only a publish changes them, and a run that publishes has emptied staging first."""
    digest = hashlib.sha256(version("trafilatura").encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    digest.update(repr((tuple(packs), max_bytes)).encode())
    return digest.hexdigest()


def read_and_clean(
    files: Sequence[PlannedFile],
    packs: Sequence[RulePack],
    max_bytes: int,
    learned: LearnedLines | None = None,
) -> BatchTables:
    """The staging tables of one batch of files, and when the work on it began and ended;
    `learned` site lines (site_boilerplate.load_learned) are dropped after the cleaner."""
    started = time.time()
    tables = batch_tables(prepare_batch(files, packs, max_bytes, learned))
    return BatchTables(tables.tables, started, time.time())
