"""Scale of the audit stage (near-duplicate clusters and the marts built on them): time and
peak memory of audit.audit_batch at 10k, 100k (and 1M) articles generated from real text, and
of an incremental run against them.

    uv run --group bench python -m bench.dedup_scale --sizes 10000 100000 \
        [--incremental-share 0.01] [--out bench/out/dedup_scale.json]

Each size runs in fresh child processes (one per phase, so each peak RSS is its own) on a fresh
DuckDB file in a temporary folder:

1. load: generate the N articles batch by batch and stage them through the library
   (runlog.start_run, then batch_tables.batch_tables and staging.stage_batch per batch of
   CleanArticle records: the hashes and band keys are computed here, as a cleaning worker does);
2. dedup: time audit.audit_batch with the Settings defaults (article order, near-duplicate
   clusters, then the intermediate and mart relations); score the clusters against the planted
   copies; then publish.publish_batch (no GX), start a second run and stage the increment;
3. incr: time audit.audit_batch on the increment, matched against everything published.

The generator works from the real text of the dev pages (bench/corpus.py): an article is a
few hundred words of real sentences drawn from the whole pool, grouped into 5-12 paragraphs,
with a share of its words replaced by words drawn from the pool's word stream (so the unigram
distribution stays that of real text). Every random choice is a hash of (article number,
slot), so any article can be regenerated on its own: batches stream, and a copy of article j
is made by regenerating j. A known share of articles are near copies (the edits of
bench/neardup.py) or exact copies of an earlier original."""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import logging
import os
import pstats
import random
import re
import resource
import shutil
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bench.common import REPO, changed, commit, rss_mb, run_watched, say, write_json
from bench.corpus import dev_texts
from bench.neardup import ARTICLE_EDITS
from copydesk import audit, near_duplicates, publish, runlog, warehouse
from copydesk.batch import CleanedBatch, Plan
from copydesk.batch_tables import batch_tables
from copydesk.language import detect_language
from copydesk.quality import ValidationReport
from copydesk.records import CleanArticle, RawArticle
from copydesk.settings import Settings
from copydesk.staging import stage_batch
from copydesk.summary import RunSummary

BATCH = 20_000
GENERATED = Path("bench/generated")  # the input folder the runs record (nothing is read)
MIN_POOL_SENTENCES = 1_000
SENTENCE = re.compile(r"(?<=[.!?])\s+")
EDITS = list(ARTICLE_EDITS)  # words, sentences, reorder, boilerplate, teaser, rewrap

# --- a deterministic, random-access generator --------------------------------------------

SALT = {
    name: np.uint64(k * 0x9E3779B97F4A7C15 & 0xFFFFFFFFFFFFFFFF)
    for k, name in enumerate(
        ["sent", "words", "paras", "brk", "sub", "rep", "kind", "src", "edit", "lang"], 1
    )
}


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer, elementwise on uint64."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _hash(article, slot, salt: str, seed: int) -> np.ndarray:
    """A 64-bit hash of (seed, article, slot) per element (arrays broadcast)."""
    a = np.asarray(article, dtype=np.uint64)
    s = np.asarray(slot, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return _mix(_mix(a + SALT[salt] + np.uint64(seed) * np.uint64(0xD1B54A32D192ED03)) + s)


def _unit(h: np.ndarray) -> np.ndarray:
    return (h >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


@dataclass(frozen=True)
class Pool:
    """The sentences of one language: their words (ids into the vocabulary), back to back."""

    tokens: np.ndarray
    sent_start: np.ndarray
    sent_len: np.ndarray


class Generator:
    """Articles 0, 1, 2, ... of one deterministic corpus (same seed, same articles)."""

    SLOTS = 72  # sentences drawn per article; ~16 words each, enough for 700 words

    def __init__(
        self,
        seed: int = 7,
        substitution: float = 0.3,
        near_share: float = 0.05,
        exact_share: float = 0.02,
    ) -> None:
        self.seed, self.substitution = seed, substitution
        self.near_share, self.exact_share = near_share, exact_share
        # One pool of sentences per language (a page's language, guessed by copydesk), so an
        # article and the words substituted into it keep to one language, as news does.
        vocab: dict[str, int] = {}
        pools: dict[str, tuple[list[int], list[int], list[int]]] = {}
        seen: set[str] = set()
        for page in dev_texts():
            language = detect_language(page["text"])
            if language is None:
                continue
            tokens, starts, lengths = pools.setdefault(language, ([], [], []))
            for para in page["text"].split("\n"):
                for sentence in SENTENCE.split(para.strip()):
                    words = sentence.split()
                    if not 5 <= len(words) <= 60 or sentence in seen:
                        continue
                    seen.add(sentence)
                    starts.append(len(tokens))
                    lengths.append(len(words))
                    tokens.extend(vocab.setdefault(w, len(vocab)) for w in words)
        self.pools = {
            language: Pool(
                np.array(t, dtype=np.int32),
                np.array(s, dtype=np.int64),
                np.array(n, dtype=np.int64),
            )
            for language, (t, s, n) in sorted(pools.items())
            if len(n) >= MIN_POOL_SENTENCES
        }
        self.languages = list(self.pools)
        # An article's language is drawn in proportion to the pool's sentences, so every
        # sentence is reused about as often whatever its language.
        sizes = np.array([len(p.sent_len) for p in self.pools.values()], dtype=float)
        self.language_cdf = np.cumsum(sizes) / sizes.sum()
        self.words = np.array(list(vocab), dtype=object)

    def language_of(self, idx: np.ndarray) -> np.ndarray:
        u = _unit(_hash(idx, 0, "lang", self.seed))
        return np.minimum(
            np.searchsorted(self.language_cdf, u, side="right"), len(self.languages) - 1
        )

    # kinds: 0 original, 1 near copy, 2 exact copy of an earlier original
    def kinds(self, idx: np.ndarray) -> np.ndarray:
        u = _unit(_hash(idx, 0, "kind", self.seed))
        kind = np.where(
            u < self.near_share, 1, np.where(u < self.near_share + self.exact_share, 2, 0)
        )
        kind[np.asarray(idx) == 0] = 0
        return kind

    def sources(self, idx: np.ndarray) -> np.ndarray:
        """The original each article was made from (itself for an original): a copy's parent
        is a uniformly drawn earlier article, followed down to an original."""
        idx = np.asarray(idx, dtype=np.int64)
        src = idx.copy()
        todo = self.kinds(idx) != 0
        while todo.any():
            cur = src[todo]
            cur = (_hash(cur, 0, "src", self.seed) % cur.astype(np.uint64)).astype(np.int64)
            src[todo] = cur
            still = self.kinds(cur) != 0
            todo[np.flatnonzero(todo)[~still]] = False
        return src

    def originals(self, idx: np.ndarray) -> list[list[str]]:
        """The paragraphs of article i as an original, for each i in idx."""
        idx = np.asarray(idx, dtype=np.int64)
        out: list[list[str]] = [[] for _ in range(len(idx))]
        language = self.language_of(idx)
        for k, pool in enumerate(self.pools.values()):
            where = np.flatnonzero(language == k)
            if len(where):
                for n, paras in zip(where.tolist(), self._originals(pool, idx[where]), strict=True):
                    out[n] = paras
        return out

    def _originals(self, pool: Pool, idx: np.ndarray) -> list[list[str]]:
        a = idx.astype(np.uint64)[:, None]
        k = np.arange(self.SLOTS, dtype=np.uint64)[None, :]
        sid = (_hash(a, k, "sent", self.seed) % np.uint64(len(pool.sent_len))).astype(np.int64)
        slen = pool.sent_len[sid]
        target = 300 + (_hash(a, 0, "words", self.seed) % np.uint64(401)).astype(np.int64)
        before = np.cumsum(slen, axis=1) - slen
        take = before < target  # sentences until the article reaches its word target
        # Paragraphs: 5-12 per article, split at random weights along the sentences.
        paras = 5 + (_hash(a, 1, "paras", self.seed) % np.uint64(8)).astype(np.int64)
        weight = (0.5 + _unit(_hash(a, k, "brk", self.seed))) * take
        cum = np.cumsum(weight, axis=1)
        para_of = np.floor(paras * (cum - weight) / cum[:, -1:]).astype(np.int64)

        rows, cols = np.nonzero(take)  # row-major: article by article, sentences in order
        sel = sid[rows, cols]
        lens = pool.sent_len[sel]
        total = int(lens.sum())
        first = np.cumsum(lens) - lens
        token_pos = np.arange(total) - np.repeat(first, lens)
        tok = pool.tokens[np.repeat(pool.sent_start[sel], lens) + token_pos]
        tok_row = np.repeat(rows, lens)
        # Position of each token within its article, for the per-token substitution hash.
        row_first = np.zeros(len(idx), dtype=np.int64)
        row_first[1:] = np.cumsum(np.bincount(tok_row, minlength=len(idx)))[:-1]
        pos = np.arange(total) - row_first[tok_row]
        art = idx[tok_row].astype(np.uint64)
        swap = _unit(_hash(art, pos, "sub", self.seed)) < self.substitution
        repl = _hash(art[swap], pos[swap], "rep", self.seed) % np.uint64(len(pool.tokens))
        tok[swap] = pool.tokens[repl.astype(np.int64)]  # frequency-weighted: the word stream

        words = self.words[tok].tolist()  # (object indexing: most of the generator's time)
        key = np.repeat(rows * 64 + para_of[rows, cols], lens)  # (article, paragraph) per token
        cuts = np.flatnonzero(np.r_[True, key[1:] != key[:-1], True])
        owners = tok_row[cuts[:-1]].tolist()
        cuts = cuts.tolist()
        out: list[list[str]] = [[] for _ in range(len(idx))]
        for owner, lo, hi in zip(owners, cuts[:-1], cuts[1:], strict=True):
            out[owner].append(" ".join(words[lo:hi]))
        return out

    def articles(self, start: int, stop: int) -> tuple[list[list[str]], list[dict]]:
        """Paragraphs and truth (kind, source, edit) of articles start..stop-1."""
        idx = np.arange(start, stop, dtype=np.int64)
        kinds, src = self.kinds(idx), self.sources(idx)
        base = self.originals(src)  # a copy starts from its original, regenerated
        edits = _hash(idx, 0, "edit", self.seed) % np.uint64(len(EDITS))
        paras, truth = [], []
        for n, i in enumerate(idx.tolist()):
            if kinds[n] == 1:
                edit = EDITS[int(edits[n])]
                body = ARTICLE_EDITS[edit](base[n], random.Random(self.seed * 1_000_003 + i))
            else:
                edit = ("original", "near", "exact")[kinds[n]]
                body = base[n]
            paras.append([p for p in body if p.strip()])
            truth.append({"kind": int(kinds[n]), "source": int(src[n]), "edit": edit})
        return paras, truth


def article_id(i: int) -> str:
    return f"a{i:08d}"


def clean_articles(start: int, paragraphs: list[list[str]]) -> list[CleanArticle]:
    out = []
    for n, paras in enumerate(paragraphs):
        i = start + n
        raw = RawArticle(
            article_id=article_id(i),
            source_file=f"generated/{i // 1000:05d}.jsonl",
            item=i % 1000 + 1,
            version=1,
            format="text",
            content="",  # the audit does not read documents' content
        )
        out.append(
            CleanArticle(
                raw=raw,
                title=paras[0][:80] if paras else None,
                paragraphs=tuple(paras),
                positions=tuple(range(len(paras))),
                captions=(),
                removals=(),
                truncated=False,
                language="en",
                source=f"outlet{i % 97:02d}",
            )
        )
    return out


def stage_range(con, run_id: str, gen: Generator, start: int, stop: int) -> dict:
    """Generate and stage articles start..stop-1 for the run (seq from 0); seconds spent in
    each."""
    t_gen = t_stage = 0.0
    words = paragraphs = 0
    for lo in range(start, stop, BATCH):
        hi = min(stop, lo + BATCH)
        t0 = time.perf_counter()
        paras, _ = gen.articles(lo, hi)
        articles = clean_articles(lo, paras)
        # Their documents too, so the audit counts them as read; no files: the input folder
        # is not real, and a file staged again would replace its published articles.
        documents = [a.raw for a in articles]
        batch = CleanedBatch(files=[], documents=documents, articles=articles, rejected=[])
        t1 = time.perf_counter()
        # The hashes and band keys are computed here, as a cleaning worker does.
        stage_batch(con, run_id, batch_tables(batch), first_seq=lo - start)
        t2 = time.perf_counter()
        t_gen += t1 - t0
        t_stage += t2 - t1
        paragraphs += sum(len(p) for p in paras)
        words += sum(len(x.split()) for p in paras for x in p)
    return {
        "generate_s": round(t_gen, 2),
        "stage_s": round(t_stage, 2),
        "articles": stop - start,
        "paragraphs": paragraphs,
        "words": words,
    }


# --- the phases, each in its own process ---------------------------------------------------


class LogCounts(logging.Handler):
    """Collects copydesk.near_duplicates' log lines ("<level> near duplicates: 12 candidate pairs,
    10 verified, 0 merges") and sums their counts per level."""

    LINE = re.compile(r"(\w+) near duplicates: (.*)")
    COUNT = re.compile(r"(\d+) ([a-z][a-z ]*?)\s*(?=,|$)")

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def counts(self) -> dict:
        out: dict = {}
        for message in self.messages:
            if line := self.LINE.match(message):
                level = out.setdefault(line[1], {"log_lines": 0})
                level["log_lines"] += 1
                for number, name in self.COUNT.findall(line[2]):
                    key = name.strip().replace(" ", "_")
                    level[key] = level.get(key, 0) + int(number)
        return out


class Breakdown:
    """Where audit_batch spends its time and memory, without a profiler's overhead: a few
    of copydesk's functions and every SQL statement on the connection are wrapped to time
    them (inclusive and exclusive of wrapped calls inside), and a thread samples RSS every
    0.1 s with what was running. The wrappers only observe: they call what they wrap. Functions
    the library no longer has are skipped. (Band keys are computed where a batch is cleaned,
    so in the load phase, not here.)"""

    WRAPPED = {  # module attribute -> label
        "audit.cluster_near_duplicates": "near duplicates (both levels)",
        "near_duplicates.cluster_new_members": None,  # labelled by level
        "near_duplicates._verify": "verify candidates",
        "near_duplicates._lookup": "lookup by id (SQL)",
        "near_duplicates._published_ranks": "published ranks",
        "near_duplicates.shingle_sets": "shingle (normalize, hash words, 3-grams)",
        "near_duplicates.overlaps": "exact Jaccard/containment",
        "near_duplicates.assign_clusters": "assign clusters (union-find)",
    }

    def __init__(self) -> None:
        self.stack: list[list] = []  # [label, start, time in wrapped children]
        self.inclusive: dict[str, float] = {}
        self.exclusive: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self._stop = threading.Event()

    def wrap(self, fn, label):
        def wrapped(*a, **k):
            name = label or f"level {getattr(a[1], 'name', '?')}"
            frame = [name, time.perf_counter(), 0.0]
            self.stack.append(frame)
            try:
                return fn(*a, **k)
            finally:
                self.stack.pop()
                spent = time.perf_counter() - frame[1]
                self.inclusive[name] = self.inclusive.get(name, 0.0) + spent
                self.exclusive[name] = self.exclusive.get(name, 0.0) + spent - frame[2]
                self.calls[name] = self.calls.get(name, 0) + 1
                if self.stack:
                    self.stack[-1][2] += spent

        return wrapped

    def install(self, con):
        modules = {"audit": audit, "near_duplicates": near_duplicates}
        for path, label in self.WRAPPED.items():
            *owner_path, attr = path.split(".")
            owner = modules[owner_path[0]]
            for part in owner_path[1:]:
                owner = getattr(owner, part, None)
            if owner is not None and callable(getattr(owner, attr, None)):
                setattr(owner, attr, self.wrap(getattr(owner, attr), label))
        threading.Thread(target=self._sample, daemon=True).start()
        return _TimedConnection(con, self)

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            rss = rss_mb()
            where = " > ".join(f[0] for f in list(self.stack)) or "(outside)"
            self.peak[where] = max(self.peak.get(where, 0), round(rss))

    def report(self) -> dict:
        self._stop.set()
        top = sorted(self.peak.items(), key=lambda kv: -kv[1])[:8]
        return {
            "seconds": {
                k: {
                    "inclusive": round(self.inclusive[k], 2),
                    "exclusive": round(self.exclusive[k], 2),
                    "calls": self.calls[k],
                }
                for k in sorted(self.inclusive, key=lambda k: -self.exclusive[k])
            },
            "peak_rss_mb_by_activity": dict(top),
        }


class _TimedConnection:
    """The connection, with each execute timed under a label made from its SQL."""

    def __init__(self, con, breakdown: Breakdown) -> None:
        self._con, self._breakdown = con, breakdown

    def execute(self, sql, *args, **kwargs):
        label = "SQL: " + " ".join(str(sql).split())[:70]
        return self._breakdown.wrap(self._con.execute, label)(sql, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._con, name)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def _connect(args, dedup: bool = False):
    """The warehouse held for the phase, with the benchmark's DuckDB settings.

    `--checkpoint-threshold` sets DuckDB's checkpoint_threshold for the dedup phases (default
    `none`: DuckDB's own). The near-duplicate stage once read texts through a second cursor
    while it inserted band keys, and an automatic checkpoint at one of those inserts waited
    forever for the cursor's table lock on DuckDB 1.4.4 (duckdb/duckdb-python#182): that run
    hung at 10k articles, so the 10k and 100k runs in RESULTS-dedup-scale.md used 1TB. It no
    longer holds a read open while it writes; a 10k run with DuckDB's default now completes."""
    with warehouse.hold(Path(args.db)) as con:
        if args.duckdb_memory_limit:
            con.execute(f"set memory_limit = '{args.duckdb_memory_limit}'")
        if dedup and args.checkpoint_threshold != "none":
            con.execute(f"set checkpoint_threshold = '{args.checkpoint_threshold}'")
        yield con


def _timed_audit(con, args, run_id: str) -> tuple[dict, audit.AuditResult]:
    """audit_batch timed, with its counts, its log counts and peak RSS; and its result."""
    handler = LogCounts()
    logging.getLogger("copydesk.near_duplicates").addHandler(handler)
    logging.getLogger("copydesk.near_duplicates").setLevel(logging.INFO)
    # DuckDB's client imports pandas at the first statement with parameters (2.5-3.3 s on the
    # project's machine, under load). In a run that happened while staging, in this same
    # process, so it is done here too rather than timed as part of the audit.
    con.execute("select $warm", {"warm": 1})
    profiler = cProfile.Profile() if args.profile_out else None
    breakdown = Breakdown() if args.breakdown else None
    target = breakdown.install(con) if breakdown else con
    load_before = os.getloadavg()[0]
    cpu = time.process_time()  # every thread of this process, DuckDB's included
    if profiler:
        profiler.enable()
    audited = audit.audit_batch(target, run_id, Settings())
    if profiler:
        profiler.disable()
    result = {
        "audit_s": round(audited.seconds, 3),
        "audit_cpu_s": round(time.process_time() - cpu, 3),
        "loadavg_1min": [load_before, os.getloadavg()[0]],
        "peak_rss_mb_after_audit": round(_peak_mb(), 1),
        "audit_counts": audited.counts,
        "log_counts": handler.counts(),
        "log_messages": handler.messages[:20],
    }
    if breakdown:
        result["breakdown"] = breakdown.report()
    if profiler:
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
        Path(args.profile_out).write_text(text.getvalue())
        result["profile"] = str(args.profile_out)
    return result, audited


def _score(con, gen: Generator, start: int, stop: int) -> dict:
    """Planted copies of articles start..stop-1 found (same cluster as their original), and
    matches between articles of different origins (not planted)."""
    ids = np.arange(start, stop)
    kinds, src = gen.kinds(ids), gen.sources(ids)
    edits = _hash(ids, 0, "edit", gen.seed) % np.uint64(len(EDITS))
    staged = con.execute(
        "select article_id, cluster_id, relation, similarity from audit.article_matches"
    ).fetchall()
    cluster = {a: c for a, c, _, _ in staged}
    planted_sources = {article_id(int(s)) for s in src[kinds != 0]} - cluster.keys()
    if planted_sources:  # originals published by an earlier run
        cluster.update(
            con.execute(
                "select article_id, cluster_id from published.article_clusters "
                "where list_contains($ids, article_id)",
                {"ids": sorted(planted_sources)},
            ).fetchall()
        )
    by_edit: dict[str, list[int]] = {}
    for n in np.flatnonzero(kinds != 0):
        edit = EDITS[int(edits[n])] if kinds[n] == 1 else "exact"
        hit = cluster.get(article_id(int(ids[n]))) == cluster.get(article_id(int(src[n])))
        found = by_edit.setdefault(edit, [0, 0])
        found[0] += hit
        found[1] += 1

    def origin(aid: str) -> int:
        i = int(aid[1:])
        return int(gen.sources(np.array([i]))[0]) if i >= stop or i < start else int(src[i - start])

    extra, examples = 0, []
    relations: dict[str, int] = {}
    for a, c, relation, similarity in staged:
        relations[relation] = relations.get(relation, 0) + 1
        if relation != "canonical" and origin(a) != origin(c):
            extra += 1
            if len(examples) < 8:
                examples.append(
                    {
                        "article": a,
                        "cluster": c,
                        "relation": relation,
                        "similarity": round(similarity, 3),
                    }
                )
    planted = sum(v[1] for v in by_edit.values())
    found = sum(v[0] for v in by_edit.values())
    return {
        "planted": planted,
        "planted_found": found,
        "recall": round(found / planted, 4) if planted else None,
        "by_edit": {k: {"found": v[0], "planted": v[1]} for k, v in sorted(by_edit.items())},
        "relations": relations,
        "extra_pairs": extra,
        "extra_examples": examples,
    }


def phase_load(args) -> dict:
    t0 = time.perf_counter()
    gen = Generator(args.seed, args.substitution)
    init = time.perf_counter() - t0
    with _connect(args) as con:
        runlog.start_run(con, "run-1", GENERATED)
        t0 = time.perf_counter()
        out = stage_range(con, "run-1", gen, 0, args.n)
        out["load_s"] = round(time.perf_counter() - t0, 2)
        out["generator_init_s"] = round(init, 2)
        con.execute("checkpoint")
    return out


def _candidate_check(con, level: str, column: str) -> int:
    """Candidate pairs among the staged band keys, counted independently of the library."""
    return con.execute(f"""
        select count(*) from (
            select distinct s.{column} as a, t.{column} as b
            from staging.{level}_bands s join staging.{level}_bands t using (kind, band, band_key)
            where s.{column} < t.{column})
    """).fetchone()[0]


def _summary(run_id: str, audited: audit.AuditResult) -> RunSummary:
    """The run's summary from its audit counts, as the flow makes it, without validation."""
    summary = RunSummary.from_counts(
        run_id, Plan((), 0), dict(audited.counts), ValidationReport("none", ())
    )
    summary = summary.with_stage_seconds(audit=audited.seconds)
    summary.check_balance()
    return summary


def phase_dedup(args) -> dict:
    with _connect(args, dedup=True) as con:
        out, audited = _timed_audit(con, args, "run-1")
        gen = Generator(args.seed, args.substitution)  # after, so not in the audit's peak
        t0 = time.perf_counter()
        out["score"] = _score(con, gen, 0, args.n)
        out["article_candidates_check"] = _candidate_check(con, "article", "article_id")
        out["paragraphs_clustered"] = con.execute(
            "select count(*), count(*) filter (where relation <> 'canonical') "
            "from audit.paragraph_matches"
        ).fetchone()
        out["score_s"] = round(time.perf_counter() - t0, 2)
        if args.increment:
            summary = publish.publish_batch(con, "run-1", _summary("run-1", audited))
            out["publish_s"] = summary.stage_seconds["publish"]
            runlog.start_run(con, "run-2", GENERATED)
            t0 = time.perf_counter()
            out["increment_stage"] = stage_range(con, "run-2", gen, args.n, args.n + args.increment)
            out["increment_load_s"] = round(time.perf_counter() - t0, 2)
            con.execute("checkpoint")
    return out


def phase_incr(args) -> dict:
    with _connect(args, dedup=True) as con:
        out, _ = _timed_audit(con, args, "run-2")
        gen = Generator(args.seed, args.substitution)  # after, so not in the audit's peak
        out["score"] = _score(con, gen, args.n, args.n + args.increment)
        out["merges"] = con.execute("select count(*) from audit.new_cluster_merges").fetchone()[0]
    return out


PHASES = {"load": phase_load, "dedup": phase_dedup, "incr": phase_incr}


# --- the driver ----------------------------------------------------------------------------


def run_phase(phase: str, args, db: Path, n: int, increment: int, profile: Path | None) -> dict:
    """One phase in a child process: its result, wall time, peak RSS (wait4) and RSS trace.
    The child is killed above --mem-limit-gb of RSS or after --phase-timeout seconds."""
    with tempfile.NamedTemporaryFile("r", suffix=".json", delete=False) as f:
        result_path = Path(f.name)
    cmd = [sys.executable, "-m", "bench.dedup_scale", "--child", phase, "--db", str(db)]
    cmd += ["--n", str(n), "--increment", str(increment), "--result", str(result_path)]
    cmd += ["--seed", str(args.seed), "--substitution", str(args.substitution)]
    if args.duckdb_memory_limit:
        cmd += ["--duckdb-memory-limit", args.duckdb_memory_limit]
    cmd += ["--checkpoint-threshold", args.checkpoint_threshold]
    if not args.breakdown:
        cmd += ["--no-breakdown"]
    if profile:
        cmd += ["--profile-out", str(profile.resolve())]
    run = run_watched(
        cmd, every=0.5, limit_mb=args.mem_limit_gb * 1024, timeout=args.phase_timeout, cwd=REPO
    )
    out = {
        "phase": phase,
        "wall_s": run.wall_s,
        "peak_rss_mb": run.max_rss_mb,
        "cpu_s": run.cpu_s,
        "exit": run.exit,
        "killed": run.killed,
        "rss_trace": run.trace[:: max(1, len(run.trace) // 120)],
    }
    if run.exit == 0:
        out.update(json.loads(result_path.read_text()))
    result_path.unlink(missing_ok=True)
    return out


def run_size(n: int, args) -> dict:
    increment = max(1, round(n * args.incremental_share)) if args.incremental_share else 0
    tmp = Path(tempfile.mkdtemp(prefix=f"dedup_scale_{n}_", dir=args.tmp))
    db = tmp / "warehouse.duckdb"
    report: dict = {"n": n, "increment": increment}
    try:
        for phase in ("load", "dedup", "incr"):
            if phase == "incr" and not increment:
                continue
            profile = None
            if args.profile and phase == "dedup":
                profile = args.out.parent / f"dedup_scale_profile_{n}.txt"
            say(f"n={n}: {phase} ...")
            r = run_phase(phase, args, db, n, increment, profile)
            report[phase] = r
            say(
                f"n={n}: {phase} done in {r['wall_s']} s, peak {r['peak_rss_mb']} MB, "
                f"exit {r['exit']}" + (f" (killed: {r['killed']})" if r["killed"] else "")
            )
            if r["exit"] != 0:
                break
        report["db_mb"] = round(sum(p.stat().st_size for p in tmp.iterdir()) / 2**20)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return report


def _timed(phase: dict) -> tuple[float | None, float | None, float | None]:
    """Seconds, CPU seconds and peak RSS of what a phase timed: audit_batch, or in JSON written
    before it timed that, the near-duplicate stage alone (keys dedup_*)."""
    if "audit_s" in phase or "dedup_s" not in phase:
        keys = ("audit_s", "audit_cpu_s", "peak_rss_mb_after_audit")
    else:
        keys = ("dedup_s", "dedup_cpu_s", "peak_rss_mb_after_dedup")
    return tuple(phase.get(k) for k in keys)


def row(r: dict) -> dict:
    load, dedup, incr = r.get("load", {}), r.get("dedup", {}), r.get("incr", {})
    score = dedup.get("score", {})
    counts = dedup.get("log_counts", {})
    seconds, cpu, peak = _timed(dedup)
    incr_seconds, incr_cpu, incr_peak = _timed(incr)
    return {
        "n": r["n"],
        "timed": "near-duplicate stage" if "dedup_s" in dedup else "audit",
        "load_s": load.get("load_s"),
        "audit_s": seconds,
        "audit_cpu_s": cpu,
        "articles_per_s": round(r["n"] / seconds) if seconds else None,
        "peak_rss_mb": peak,
        "article_candidates": counts.get("article", {}).get(
            "candidate_pairs", dedup.get("article_candidates_check")
        ),
        "paragraph_candidates": counts.get("paragraph", {}).get("candidate_pairs"),
        "planted": f"{score.get('planted_found')}/{score.get('planted')}" if score else None,
        "extra_pairs": score.get("extra_pairs"),
        "increment": r.get("increment"),
        "incremental_s": incr_seconds,
        "incremental_cpu_s": incr_cpu,
        "incremental_share_of_full": round(incr_seconds / seconds, 3)
        if incr_seconds and seconds
        else None,
        "incremental_peak_rss_mb": incr_peak,
        "incremental_planted": f"{incr['score']['planted_found']}/{incr['score']['planted']}"
        if incr.get("score")
        else None,
        "status": "ok"
        if all(r.get(p, {}).get("exit", 0) == 0 for p in ("load", "dedup", "incr"))
        else "failed",
    }


def markdown(rows: list[dict]) -> str:
    timed = "/".join(sorted({r["timed"] for r in rows}))
    head = (
        f"| N | load s | {timed} s (CPU s) | articles/s | peak RSS MB | candidate pairs "
        "(article / paragraph) | planted copies found | extra pairs | incremental s "
        "(CPU s; share of full) | incr. peak RSS MB | incr. planted found |"
    )
    lines = [head, "|---" * (head.count("|") - 1) + "|"]
    for r in rows:
        if r["status"] != "ok":
            lines.append(f"| {r['n']:,} | {r['load_s']} | failed: see the JSON |" + " |" * 8)
            continue
        incr = "-"
        if r["incremental_s"] is not None:
            incr = f"{r['incremental_s']:.1f} ({r['incremental_cpu_s']:.1f}"
            incr += (
                f"; {r['incremental_share_of_full']:.1%})"
                if r["incremental_share_of_full"]
                else ")"
            )
            incr = f"{incr} for {r['increment']:,} new"
        lines.append(
            f"| {r['n']:,} | {r['load_s']:.0f} | {r['audit_s']:.1f} ({r['audit_cpu_s']:.1f}) | "
            f"{r['articles_per_s']} | {r['peak_rss_mb']:.0f} | "
            f"{r['article_candidates']:,} / {r['paragraph_candidates']:,} | {r['planted']} | "
            f"{r['extra_pairs']} | {incr} | {r['incremental_peak_rss_mb']} | "
            f"{r['incremental_planted']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--incremental-share", type=float, default=0.01)
    parser.add_argument("--out", type=Path, default=Path("bench/out/dedup_scale.json"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--substitution",
        type=float,
        default=0.3,
        help="share of words replaced from the pool's word stream",
    )
    parser.add_argument("--duckdb-memory-limit", help="e.g. 3GB (default: DuckDB's own)")
    parser.add_argument(
        "--checkpoint-threshold",
        default="none",
        help="DuckDB checkpoint_threshold in the audit phases, e.g. 1TB; 'none' for DuckDB's own",
    )
    parser.add_argument(
        "--mem-limit-gb", type=float, default=18.0, help="kill a phase whose RSS goes above this"
    )
    parser.add_argument("--phase-timeout", type=float, default=2 * 3600)
    parser.add_argument(
        "--no-breakdown",
        dest="breakdown",
        action="store_false",
        help="do not time audit_batch's parts (see Breakdown)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile the full audit (slower); top functions next to --out",
    )
    parser.add_argument("--tmp", default=None, help="folder for the temporary warehouses")
    parser.add_argument("--keep", action="store_true", help="keep the temporary warehouses")
    parser.add_argument(
        "--table",
        type=Path,
        metavar="JSON",
        help="print the table of an earlier run's JSON and exit",
    )
    # child-process arguments
    parser.add_argument("--child", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--increment", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        result = PHASES[args.child](args)
        Path(args.result).write_text(json.dumps(result))
        return

    if args.table:
        print(markdown([row(r) for r in json.loads(args.table.read_text())["runs"]]))
        return

    reports = []
    started = datetime.now(UTC)
    settings = ("seed", "substitution", "incremental_share", "duckdb_memory_limit")
    settings += ("checkpoint_threshold",)
    for n in args.sizes:
        reports.append(run_size(n, args))
        rows = [row(r) for r in reports]
        write_json(
            args.out,
            {
                "started": started.isoformat(timespec="seconds"),
                "command": " ".join(["python -m bench.dedup_scale", *sys.argv[1:]]),
                "settings": {k: v for k, v in vars(args).items() if k in settings},
                "cpus": os.cpu_count(),
                "commit": commit(),
                "library_changed_since_commit": bool(changed("copydesk", "sql")),
                "table": rows,
                "runs": reports,
            },
        )
    print(markdown(rows))


if __name__ == "__main__":
    main()
