"""Throughput and scale of the whole pipeline: `copydesk run` end to end on generated inputs.

    uv run --group bench python -m bench.pipeline_scale --sizes 10000 100000 \
        [--workers 1 2] [--html-pages 2000] [--incremental-share 0.01] [--quick]
    uv run --group bench python -m bench.pipeline_scale --report-from bench/out/a.json ...

For each size N the script writes N input files into a temporary folder (never into the
repository), then runs the real command, `copydesk run --input DIR --warehouse DB --workers W`,
as a child process, once per worker count, each on a new warehouse. Each run has a new
PREFECT_HOME, so it starts its own Prefect server (cold); with --warm, every run uses one home
whose kept server an untimed run on the shipped sample started first, as on a machine that has
run copydesk before. It measures:

- wall time of the command, and its parts read from Prefect's own log lines: start-up (imports
  and the Prefect server), the flow run, and shutting down;
- peak memory: the summed RSS of the command's process tree (the Prefect server, kept or not,
  and any Dask workers included), polled every 0.2 s, and the last log line before the peak
  (its step);
- the seconds per stage the flow records in audit.runs.stage_seconds, and the orchestration
  overhead: the flow run's wall minus the stages it runs one after another (CRITICAL_PATH);
- the floor: reading every input file and hashing it with SHA-256 in this process;
- the counts from audit.runs against the ones the generator expects.

After the last full run at each size, 1% new files are added and the command runs again on
the same warehouse (the incremental run). Separately, an all-HTML corpus of real dev pages
runs through the pipeline and through trafilatura alone (the same call copydesk makes) on the
same number of worker processes.

The corpus: plain-text page dumps (.txt, a few .md) of articles from bench/dedup_scale.py's
Generator (real sentences of the dev pages, re-mixed; ~3% exact and ~3% near copies of earlier
articles), wrapped in boilerplate lines written for this benchmark (site menus, cookie notices,
paywall prompts, share buttons, related links, author boxes, comment prompts, footers); .jsonl
feeds of 4-12 articles; real dev pages as .html (repeats get 30% of their words swapped, so
they are new articles, and 3% exact and 3% near copies); and ~0.1% bad files. Every choice is
a hash of (seed, file number), so the same N gives the same files, and the files of a smaller
N are the first files of a larger one."""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import psutil

from bench.common import OUT, REPO, changed, commit, git, run_watched, say, write_json
from bench.corpus import SEEDS, seed_bodies, unpack_dev_pages
from bench.dedup_scale import Generator
from copydesk.extract import ExtractError, extract_html
from copydesk.ingest import DecodeError, decode_bytes
from copydesk.summary import critical_path_seconds
from flows import server

FILES_PER_FOLDER = 1000
# Disk one generated input file takes, and its share of the warehouse (with DuckDB's spill
# files), measured at 10k files (10 kB and 56 kB): checked before generating.
INPUT_MB_PER_FILE = 0.01
WAREHOUSE_MB_PER_FILE = 0.065
GENERATE_CHUNK = 2000  # files generated per call of the article generator
SAMPLE = REPO / "data" / "raw"  # what the warm-up run of --warm reads
# The options a report keeps beside its command line.
SETTINGS = ("seed", "workers", "html_pages", "html_workers", "incremental_share", "inputs", "warm")

# Shares of the text corpus's files, by kind (the rest are .txt page dumps).
BAD_SHARE = 0.001
HTML_SHARE = 0.03
FEED_SHARE = 0.01
MARKDOWN_SHARE = 0.02
CP1252_SHARE = 0.02  # .txt files saved in Windows-1252 instead of UTF-8
# Copies among the articles (article level, the Generator plants them) and HTML pages.
EXACT_SHARE = 0.03
NEAR_SHARE = 0.03
REPEAT_SWAP = 0.3  # words swapped in a repeated dev page: a new article, not a near copy
NEAR_SWAP = 0.03  # words swapped in a near copy of a page


# --- the corpus ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    name: str
    domain: str
    sections: tuple[str, ...]
    beat: str


SITES = (
    Site(
        "The Millbrook Courier",
        "millbrookcourier.example",
        ("Local", "Schools", "Sport"),
        "city hall",
    ),
    Site("Northgate Daily", "northgatedaily.example", ("News", "Business", "Opinion"), "business"),
    Site(
        "Coastline Herald", "coastlineherald.example", ("Harbour", "Weather", "Events"), "the coast"
    ),
    Site("Valley Ledger", "valleyledger.example", ("Farming", "Politics", "Health"), "agriculture"),
    Site("Metro Wire", "metrowire.example", ("Transit", "Housing", "Crime"), "transport"),
    Site("Riverside Times", "riversidetimes.example", ("Arts", "Food", "Travel"), "culture"),
    Site("Summit Post", "summitpost.example", ("Climate", "Science", "Tech"), "science"),
    Site(
        "Lakeshore Observer",
        "lakeshoreobserver.example",
        ("World", "Nation", "Sport"),
        "foreign affairs",
    ),
)
AUTHORS = (
    "Maren Holt", "Tobias Ferreira", "Ines Kowalczyk", "Daniel Achebe", "Lena Marchetti",
    "Owen Sato", "Priya Lindqvist", "Felix Okonkwo", "Clara Bauer", "Samir Haddad",
)  # fmt: skip
# Boilerplate lines of page dumps, written for this benchmark; {site}, {section} filled in.
HEADER_LINES = (
    "Skip to content",
    "Skip to main navigation",
    "Menu",
    "Search",
    "Sign in | Register",
    "Home | {sections} | Weather | Contact",
    "Breaking: live updates on our homepage",
)
COOKIE_LINES = (
    "We use cookies to give you the best experience on our website. By continuing to browse "
    "you agree to our use of cookies.",
    "Accept all cookies",
    "Manage cookie preferences",
    "This site uses cookies. Find out more in our privacy policy.",
)
INSIDE_LINES = (
    "Advertisement",
    "ADVERTISEMENT",
    "Subscribe to continue reading",
    "Already a subscriber? Log in to keep reading.",
    "Sign up for our free morning newsletter",
    "Share on Facebook | Share on X | Email",
    "Related: {headline}",
    "Read more: {headline}",
    "Story continues below",
)
TRAILER_LINES = (
    "Share this article",
    "{author} is a reporter at {site} covering {beat}. Reach {author} at newsroom@{domain}.",
    "Leave a comment",
    "Comments are closed.",
    "0 Comments",
    "Related stories",
    "© 2025 {site}. All rights reserved.",
    "Privacy Policy | Terms of Use | Contact us | Advertise with us",
    "Back to top",
)


def draw(seed: int, i: int, what: str) -> float:
    """A uniform number in [0, 1) fixed by (seed, i, what)."""
    digest = hashlib.blake2b(f"{seed}:{i}:{what}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def folder_name(i: int) -> str:
    return f"{i // FILES_PER_FOLDER:04d}/{i:07d}"


@dataclass
class CorpusStats:
    """What the generator wrote and what the pipeline should make of it."""

    files: int = 0
    bytes: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    articles: int = 0  # items the pipeline should read (a bad file is one)
    bad_items: int = 0  # of which quarantined for sure
    planted_exact: int = 0
    planted_near: int = 0

    def add(self, other: CorpusStats) -> None:
        for name in ("files", "bytes", "articles", "bad_items", "planted_exact", "planted_near"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for kind, count in other.kinds.items():
            self.kinds[kind] = self.kinds.get(kind, 0) + count


class DevPages:
    """The real dev pages (trafilatura's evaluation set), unpacked into a temporary folder."""

    def __init__(self, work: Path) -> None:
        folder = work / "dev-pages"
        if not folder.is_dir():
            unpack_dev_pages(folder)
        self.paths = sorted(folder.rglob("*.html"))

    def __len__(self) -> int:
        return len(self.paths)

    def read(self, k: int) -> bytes:
        return self.paths[k % len(self.paths)].read_bytes()


_TAG = re.compile(rb"(<[^>]*>)")
_TOKEN = re.compile(rb"[^ \t\r\n]+")  # ASCII white space only: never splits a UTF-8 character
_SKIPPED = re.compile(rb"<(/?)(script|style)\b", re.IGNORECASE)


def swap_words(html: bytes, share: float, rng: random.Random) -> bytes:
    """The page with `share` of the words of its text (outside tags, scripts and styles)
    replaced by other words of the same page, so it keeps its language and encoding."""
    parts = _TAG.split(html)
    in_code, text_parts = False, []
    for n, part in enumerate(parts):
        if n % 2:  # a tag
            if m := _SKIPPED.match(part):
                in_code = not m.group(1)
        elif not in_code:
            text_parts.append(n)
    words = [w for n in text_parts for w in _TOKEN.findall(parts[n])]
    if not words:
        return html

    def swap(m: re.Match) -> bytes:
        return rng.choice(words) if rng.random() < share else m.group()

    for n in text_parts:
        parts[n] = _TOKEN.sub(swap, parts[n])
    return b"".join(parts)


class Corpus:
    """Input files 0, 1, 2, ... of one corpus: "text" (mostly page dumps) or "html"."""

    def __init__(self, mix: str, seed: int, work: Path) -> None:
        self.mix, self.seed = mix, seed
        self.pages = DevPages(work)
        self.articles = Generator(seed, near_share=NEAR_SHARE, exact_share=EXACT_SHARE)
        self.seeds = list(seed_bodies().values()) if SEEDS.is_dir() else []
        self._kinds: list[str] = []

    # Which file is what; the first files of the text corpus are the seed articles.
    def kind(self, i: int) -> str:
        if self.mix == "html":
            return "html"
        if i < len(self.seeds):
            return "seed"
        u = draw(self.seed, i, "kind")
        for kind, share in (
            ("bad", BAD_SHARE),
            ("html", HTML_SHARE),
            ("feed", FEED_SHARE),
            ("md", MARKDOWN_SHARE),
        ):
            if u < share:
                return kind
            u -= share
        return "txt"

    def feed_lines(self, i: int) -> int:
        return 4 + int(draw(self.seed, i, "feed") * 9)

    def articles_in(self, kind: str, i: int) -> int:
        """Generator articles a file holds."""
        return {"txt": 1, "md": 1, "feed": self.feed_lines(i)}.get(kind, 0)

    def _plan(self, stop: int) -> None:
        while len(self._kinds) < stop:
            self._kinds.append(self.kind(len(self._kinds)))

    def write(self, root: Path, start: int, stop: int) -> CorpusStats:
        """Write files start..stop-1 under root; what they hold."""
        self._plan(stop)
        kinds = self._kinds
        # Generator articles and HTML page ordinals are numbered across the whole corpus.
        first_article = sum(self.articles_in(k, i) for i, k in enumerate(kinds[:start]))
        page = kinds[:start].count("html")
        stats = CorpusStats()
        for lo in range(start, stop, GENERATE_CHUNK):
            hi = min(stop, lo + GENERATE_CHUNK)
            count = sum(self.articles_in(kinds[i], i) for i in range(lo, hi))
            paragraphs, truth = self.articles.articles(first_article, first_article + count)
            numbers = range(first_article, first_article + count)
            bodies = iter(zip(numbers, paragraphs, truth, strict=True))
            first_article += count
            for i in range(lo, hi):
                kind = kinds[i]
                taken = list(itertools.islice(bodies, self.articles_in(kind, i)))
                items = 1  # what the pipeline reads from the file: articles or bad items
                if kind == "html":
                    suffix, data, copy = ".html", *self.html_page(page)
                    page += 1
                    stats.planted_exact += copy == "exact"
                    stats.planted_near += copy == "near"
                elif kind == "bad":
                    suffix, data, items = self.bad_file(i)
                    stats.bad_items += items
                elif kind == "seed":
                    suffix, data = ".txt", "\n\n".join(self.seeds[i]).encode()
                else:
                    suffix, data = self.text_file(kind, i, taken)
                    items = len(taken)
                    stats.planted_exact += sum(t["kind"] == 2 for _, _, t in taken)
                    stats.planted_near += sum(t["kind"] == 1 for _, _, t in taken)
                path = root / f"{folder_name(i)}{suffix}"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                stats.files += 1
                stats.bytes += len(data)
                stats.kinds[kind] = stats.kinds.get(kind, 0) + 1
                stats.articles += items
        return stats

    # --- text page dumps, Markdown and feeds

    def text_file(self, kind: str, i: int, taken: list) -> tuple[str, bytes]:
        if kind == "feed":
            lines = [
                json.dumps(self.feed_record(n, paras), ensure_ascii=False) for n, paras, _ in taken
            ]
            return ".jsonl", ("\n".join(lines) + "\n").encode()
        [(n, paras, truth)] = taken
        # An exact copy is the same page as its original's, saved at another path.
        template = truth["source"] if truth["kind"] == 2 else n
        if kind == "md":
            return ".md", self.markdown(template, paras).encode()
        text = self.page_dump(template, paras)
        if draw(self.seed, i, "cp1252") < CP1252_SHARE:
            try:
                return ".txt", text.encode("cp1252")
            except UnicodeEncodeError:
                pass
        return ".txt", text.encode()

    def _page_facts(self, n: int, paras: list[str]) -> tuple[random.Random, dict]:
        rng = random.Random(f"{self.seed}/{n}")
        site = rng.choice(SITES)
        first = paras[0].split() if paras else ["Untitled"]
        facts = {
            "site": site.name,
            "domain": site.domain,
            "beat": site.beat,
            "sections": " | ".join(site.sections),
            "section": rng.choice(site.sections),
            "author": rng.choice(AUTHORS),
            "title": " ".join(first[: rng.randint(6, 11)]).rstrip(".,;:"),
            "headline": " ".join(rng.choice(paras).split()[:8]) if paras else "More news",
            "date": (datetime(2024, 1, 1) + timedelta(days=rng.randrange(700))).date(),
        }
        return rng, facts

    def page_dump(self, n: int, paras: list[str]) -> str:
        """An article as a browser's "save as text" of its page: one block per line, with the
        site's navigation, notices and footer around and between the paragraphs."""
        rng, facts = self._page_facts(n, paras)

        def pick(choices: tuple[str, ...], k: int) -> list[str]:
            return [line.format(**facts) for line in rng.sample(choices, k)]

        lines = [facts["site"], *pick(HEADER_LINES, rng.randint(2, 5))]
        if rng.random() < 0.5:
            lines += pick(COOKIE_LINES, 2)
        lines += [facts["section"], facts["title"], f"By {facts['author']}"]
        lines.append(f"Published {facts['date']:%B %d, %Y}")
        for p in paras:
            lines.append(p)
            if rng.random() < 0.2:
                lines += pick(INSIDE_LINES, 1)
        lines += pick(TRAILER_LINES, rng.randint(3, 6))
        separator = "\n\n" if rng.random() < 0.3 else "\n"
        return separator.join(lines) + "\n"

    def markdown(self, n: int, paras: list[str]) -> str:
        rng, facts = self._page_facts(n, paras)
        lines = [f"# {facts['title']}", f"*By {facts['author']}, {facts['date']}*"]
        for p in paras:
            lines.append(p)
            if rng.random() < 0.15:
                lines.append(
                    f"**Related:** [{facts['headline']}](https://{facts['domain']}/related)"
                )
        lines += ["---", "[Share on X](https://x.example/share) · [Leave a comment](#comments)"]
        lines.append(f"© 2025 {facts['site']}")
        return "\n\n".join(lines) + "\n"

    def feed_record(self, n: int, paras: list[str]) -> dict:
        rng, facts = self._page_facts(n, paras)
        record = {
            "url": f"https://{facts['domain']}/{facts['date']:%Y/%m}/story-{n}",
            "title": facts["title"],
            "source": facts["site"],
            "published": f"{facts['date']}",
        }
        if rng.random() < 0.15:  # some feeds carry the page, not its text
            body = "".join(f"<p>{p}</p>" for p in paras)
            record["html"] = (
                f"<html><head><title>{facts['title']}</title></head><body>"
                f"<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
                f"<article><h1>{facts['title']}</h1>{body}</article>"
                f"<footer>© 2025 {facts['site']}</footer></body></html>"
            )
        else:
            record["text"] = "\n\n".join([*paras, f"Read more at {facts['site']}."])
        return record

    # --- HTML pages and bad files

    def html_page(self, k: int) -> tuple[bytes, str]:
        """The k-th HTML page of the corpus and what it is: original, exact or near copy."""
        u = draw(self.seed, k, "page-copy")
        if k and u < EXACT_SHARE + NEAR_SHARE:
            parent, _ = self.html_page(int(draw(self.seed, k, "page-parent") * k))
            if u < EXACT_SHARE:
                return parent, "exact"
            return swap_words(parent, NEAR_SWAP, random.Random(f"{self.seed}/page/{k}")), "near"
        page = self.pages.read(k)
        if k >= len(self.pages):  # a repeat of a dev page: a new article made from it
            page = swap_words(page, REPEAT_SWAP, random.Random(f"{self.seed}/page/{k}"))
        return page, "original"

    def bad_file(self, i: int) -> tuple[str, bytes, int]:
        """A file that must be quarantined: its suffix, bytes and how many items it holds."""
        rng = random.Random(f"{self.seed}/bad/{i}")
        text = "The council met on Tuesday to discuss the harbour repairs and the ferry timetable."
        kind = rng.choice(["empty", "binary", "utf16", "blank", "json", "pdf"])
        if kind == "empty":
            return ".txt", b"", 1
        if kind == "binary":
            return ".txt", b"\x89PNG\r\n\x1a\n" + rng.randbytes(2048), 1
        if kind == "utf16":  # without a byte-order mark: NUL bytes, read as binary
            return ".txt", (text * 5).encode("utf-16-le"), 1
        if kind == "blank":
            return ".md", b" \n\t\n  \n", 1
        if kind == "json":
            return ".jsonl", b'{"url": "https://feed.example/1", "text": "cut off\n{not json}\n', 2
        return ".pdf", b"%PDF-1.4\n" + rng.randbytes(512), 1


# --- measuring -----------------------------------------------------------------------------


_LOG_LINE = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) \| \w+\s*\| (.*)$")
_EVENTS = {  # Prefect's own log lines that mark the parts of a run
    "flow_start_s": re.compile(r"^Flow run '[^']+' - Beginning flow run"),
    "flow_end_s": re.compile(r"^Flow run '[^']+' - Finished in state"),
    "first_clean_s": re.compile(r"^Task run 'read_and_clean-[^']*' - Finished in state"),
}


def log_lines(log: str, started: datetime) -> Iterator[tuple[float, str]]:
    """(seconds after `started`, message) of each timestamped line of a run's console log."""
    for line in log.splitlines():
        m = _LOG_LINE.match(line)
        if not m:
            continue
        h, mi, s, ms, message = m.groups()
        stamp = started.replace(
            hour=int(h), minute=int(mi), second=int(s), microsecond=int(ms) * 1000
        )
        if stamp < started - timedelta(minutes=1):  # the run went past midnight
            stamp += timedelta(days=1)
        yield (stamp - started).total_seconds(), message


def log_events(log: str, started: datetime) -> dict[str, float]:
    """Seconds after `started` of the first line of each event in a run's console log."""
    found: dict[str, float] = {}
    for seconds, message in log_lines(log, started):
        for event, pattern in _EVENTS.items():
            if event not in found and pattern.match(message):
                found[event] = round(seconds, 2)
    return found


def peak_after(log: str, started: datetime, trace: list[tuple[float, int]]) -> str | None:
    """The last log line before the sampled peak of memory: the step the peak came in (a step
    logs when it ends, so the peak is in the step after this line)."""
    if not trace:
        return None
    peak_at = max(trace, key=lambda sample: sample[1])[0]
    before = [message for seconds, message in log_lines(log, started) if seconds <= peak_at]
    return before[-1][:160] if before else None


def copydesk_command() -> list[str]:
    script = Path(sys.executable).parent / "copydesk"
    return [str(script)] if script.exists() else [sys.executable, "-m", "flows.cli"]


def run_command(
    input_dir: Path, db: Path, workers: int, work: Path, home: Path, warm: bool
) -> tuple[list[str], dict[str, str]]:
    """The `copydesk run` command of a measured run, and its environment: Prefect home `home`,
    whose server is kept if `warm`."""
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "COPYDESK_QUALITY_DIR": str(work / "quality"),  # GX Data Docs, out of the repository
        # Warm: the server outlives the gaps between runs (generating a size's inputs) and is
        # stopped at the end (stop_kept); cold: each run starts and stops its own.
        "COPYDESK_SERVER_KEEP_SECONDS": str(24 * 3600) if warm else "0",
    }
    cmd = [*copydesk_command(), "run", "--input", str(input_dir), "--warehouse", str(db)]
    return [*cmd, "--workers", str(workers)], env


def run_copydesk(
    input_dir: Path,
    db: Path,
    workers: int,
    work: Path,
    label: str,
    timeout: float,
    home: Path | None = None,
) -> dict:
    """One `copydesk run` in a child process: wall, memory, log events, and the run's row of
    audit.runs. Without `home`, a new PREFECT_HOME whose server starts and stops with the run
    (cold); with it, that home and the server kept there, counted with the run (warm)."""
    warm = home is not None
    home = home or Path(tempfile.mkdtemp(prefix="prefect-home-", dir=work))
    cmd, env = run_command(input_dir, db, workers, work, home, warm)
    log_path = work / f"{label}.log"
    say(f"{label}: {' '.join(cmd[-6:])}")
    started = datetime.now()
    with log_path.open("w") as log:
        watched = run_watched(
            cmd,
            timeout=timeout,
            also=kept_server(home) if warm else (),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=work,
            env=env,
        )
    code, wall = watched.exit, watched.wall_s
    out = {"label": label, "workers": workers, "exit": code, "wall_s": wall, "log": str(log_path)}
    out["warm"] = warm
    out.update(watched.tree)
    if watched.killed:
        out["killed"] = watched.killed
    text = log_path.read_text(errors="replace")
    out.update(log_events(text, started))
    out["peak_after"] = peak_after(text, started, watched.trace)
    out["log_tail"] = text.splitlines()[-5:] if code else []
    out["run"] = last_run(db) if db.exists() else None
    out["warehouse_mb"] = round(db.stat().st_size / 2**20) if db.exists() else None
    if not warm:
        shutil.rmtree(home, ignore_errors=True)
    say(
        f"{label}: exit {code}, {wall:.1f} s, peak {out['peak_rss_mb']} MB"
        + (f", {out['run']['status']}" if out["run"] else "")
    )
    return out


def kept_server(home: Path) -> list[int]:
    """The pid of the Prefect server kept in `home`, as its record names it; none if none."""
    try:
        pid = json.loads((home / server.RECORD).read_text()).get("pid")
    except (OSError, json.JSONDecodeError):
        return []
    return [pid] if isinstance(pid, int) else []


def warm_up(work: Path, workers: int, timeout: float) -> Path:
    """A Prefect home as on a machine that has run copydesk before: an untimed run on the
    shipped sample starts its kept server and brings the code into the page cache."""
    home = work / "prefect-home-warm"
    run = run_copydesk(SAMPLE, work / "warm-up.duckdb", workers, work, "warm-up", timeout, home)
    if run["exit"] != 0:
        sys.exit(f"pipeline_scale: the warm-up run failed (exit {run['exit']}), see {run['log']}")
    return home


def keep_failed_logs(reports: list[dict], folder: Path) -> None:
    """Copy the log of every run that failed into `folder` (beside the JSON output) before the
    temporary folder goes: it is all there is to say where a long run failed."""
    for report in reports:
        for run in [*report.get("runs", []), report.get("incremental") or {}]:
            log = Path(run.get("log") or "")
            if run.get("exit") and log.is_file():
                folder.mkdir(parents=True, exist_ok=True)
                run["log"] = str(shutil.copy(log, folder / log.name))
                say(f"{run['label']} failed: its log kept as {run['log']}")


def last_run(db: Path) -> dict | None:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rel = con.execute(
            "select status, files_seen, files_unchanged, files_ingested, articles_read, "
            "published, duplicates, quarantined, removed_spans, quarantine_by_reason, "
            "stage_seconds, epoch(finished_at - started_at) as recorded_s "
            "from audit.runs order by started_at desc limit 1"
        )
        names = [d[0] for d in rel.description]
        row = rel.fetchone()
    finally:
        con.close()
    if row is None:
        return None
    run = dict(zip(names, row, strict=True))
    for column in ("quarantine_by_reason", "stage_seconds"):
        run[column] = json.loads(run[column]) if run[column] else {}
    return run


def read_and_hash(root: Path) -> dict:
    """The floor: every input file read and hashed (SHA-256) in this one process."""
    start = time.perf_counter()
    files = size = 0
    for path in sorted(root.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            hashlib.sha256(data).hexdigest()
            files += 1
            size += len(data)
    return {"floor_s": round(time.perf_counter() - start, 2), "files": files, "bytes": size}


def _extract_one(path: Path) -> bool:
    try:
        text, _ = decode_bytes(path.read_bytes(), html=True)
        extract_html(text)
    except (DecodeError, ExtractError):
        return False
    return True


def extract_alone(root: Path, workers: int) -> dict:
    """trafilatura alone (copydesk's extract_html: the same call and options) on every page."""
    paths = sorted(root.rglob("*.html"))
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        extracted = sum(pool.map(_extract_one, paths, chunksize=8))
    return {
        "extract_s": round(time.perf_counter() - start, 2),
        "pages": len(paths),
        "extracted": extracted,
        "workers": workers,
    }


def derive(run: dict, stats: CorpusStats, floor: dict | None) -> dict:
    """Rates, the parts of the wall time, the overhead and the count checks of one run."""
    wall = run["wall_s"]
    out: dict = {}
    recorded = (run.get("run") or {}).get("stage_seconds") or {}
    if "flow_start_s" in run and "flow_end_s" in run:
        flow = run["flow_end_s"] - run["flow_start_s"]
        critical = critical_path_seconds(recorded)
        out |= {
            "startup_s": run["flow_start_s"],
            "flow_s": round(flow, 2),
            "shutdown_s": round(wall - run["flow_end_s"], 2),
            "first_batch_after_s": round(run["first_clean_s"] - run["flow_start_s"], 2)
            if "first_clean_s" in run
            else None,
            "critical_path_s": round(critical, 2),
            "overhead_s": round(flow - critical, 2),
            "overhead_pct": round(100 * (flow - critical) / flow, 1) if flow else None,
        }
    out["files_per_s"] = round(stats.files / wall, 1)
    out["mb_per_s"] = round(stats.bytes / 2**20 / wall, 3)
    if floor:
        out["floor_multiple"] = round(wall / floor["floor_s"], 1) if floor["floor_s"] else None
    counts = run.get("run") or {}
    if counts.get("status") == "published":  # a failed run's row has no counts
        out["balanced"] = counts["articles_read"] == (
            counts["published"] + counts["duplicates"] + counts["quarantined"]
        )
        out["articles_as_expected"] = counts["articles_read"] == stats.articles
        out["files_as_expected"] = counts["files_seen"] == stats.files
    return out


# --- one size ------------------------------------------------------------------------------


def measure_text(n: int, args, work: Path) -> dict:
    """Text corpus of n files: full runs per worker count, the floor, then the increment."""
    corpus = Corpus("text", args.seed, work)
    input_dir = args.inputs_dir / f"text-{n}"
    start = time.perf_counter()
    stats = corpus.write(input_dir, 0, n)
    report: dict = {"size": n, "mix": "text", "generate_s": round(time.perf_counter() - start, 1)}
    report["corpus"] = vars(stats) | {"mb": round(stats.bytes / 2**20, 1)}
    say(f"text {n}: {stats.files} files, {stats.bytes / 2**20:.1f} MB, {stats.articles} articles")
    report["floor"] = read_and_hash(input_dir)
    report["runs"] = []
    for workers in args.workers:
        db = work / f"text-{n}-w{workers}.duckdb"
        label = f"text-{n}-w{workers}"
        run = run_copydesk(input_dir, db, workers, work, label, args.timeout, args.home)
        run |= derive(run, stats, report["floor"])
        report["runs"].append(run)
        if run["exit"] != 0:
            return report
    if args.incremental_share:
        full = report["runs"][-1]
        added = max(1, round(n * args.incremental_share))
        more = corpus.write(input_dir, n, n + added)
        label = f"text-{n}-incr"
        run = run_copydesk(input_dir, db, full["workers"], work, label, args.timeout, args.home)
        run |= derive(run, more, None)
        # The increment's counts: files_seen covers the old files too.
        counts = run.get("run") or {}
        run["files_as_expected"] = counts.get("files_ingested") == more.files and (
            counts.get("files_unchanged") == stats.files
        )
        run["added_files"] = more.files
        run["of_full_wall_pct"] = round(100 * run["wall_s"] / full["wall_s"], 1)
        if run.get("flow_s") and full.get("flow_s"):
            run["of_full_flow_pct"] = round(100 * run["flow_s"] / full["flow_s"], 1)
        report["incremental"] = run
    return report


def measure_html(pages: int, args, work: Path) -> dict:
    """All-HTML corpus: the pipeline against trafilatura alone on as many processes."""
    corpus = Corpus("html", args.seed, work)
    input_dir = work / f"html-{pages}"
    stats = corpus.write(input_dir, 0, pages)
    report: dict = {"size": pages, "mix": "html", "corpus": vars(stats)}
    report["corpus"]["mb"] = round(stats.bytes / 2**20, 1)
    say(f"html {pages}: {stats.files} pages, {stats.bytes / 2**20:.1f} MB")
    report["floor"] = read_and_hash(input_dir)
    report["extract"] = extract_alone(input_dir, args.html_workers)
    say(f"html {pages}: trafilatura alone {report['extract']['extract_s']} s")
    db = work / f"html-{pages}.duckdb"
    label = f"html-{pages}"
    run = run_copydesk(input_dir, db, args.html_workers, work, label, args.timeout, args.home)
    run |= derive(run, stats, report["floor"])
    extract = report["extract"]["extract_s"]
    run["wall_vs_extract"] = round(run["wall_s"] / extract, 2)
    if run.get("flow_s"):
        run["flow_vs_extract"] = round(run["flow_s"] / extract, 2)
    stage_seconds = (run.get("run") or {}).get("stage_seconds") or {}
    if "read_clean" in stage_seconds:
        # The cleaning tasks' seconds summed over workers: divided by the workers, comparable.
        run["read_clean_vs_extract"] = round(
            stage_seconds["read_clean"] / args.html_workers / extract, 2
        )
    report["runs"] = [run]
    return report


# --- the report ----------------------------------------------------------------------------


def _runs(report: dict) -> list[dict]:
    """A report's runs, its +1% run included."""
    return [*report["runs"], *([report["incremental"]] if report.get("incremental") else [])]


def _cpu_split(reports: list[dict]) -> list[str]:
    """Where each run's CPU seconds went, for the runs that recorded it (since 2026-12-01)."""
    rows = []
    for r in reports:
        for run in _runs(r):
            split = run.get("cpu_split_s")
            if not split or run.get("exit") != 0:
                continue
            cleaning = ((run.get("run") or {}).get("stage_seconds") or {}).get("read_clean")
            rows.append(
                f"| {_size(r, r['mix'])} | {run['label']} | {_s(run['wall_s'])} "
                f"| {_s(run['cpu_s'])} | {_s(split['root'])} | {_s(split['descendants'])} "
                f"| {_s(split['also'])} | {_s(cleaning)} |"
            )
    if not rows:
        return []
    return [
        "",
        "Where the CPU seconds went, sampled with the memory: the command's own process (the "
        "flow: imports, Prefect, the Dask scheduler and client, staging, audit, validation, "
        "publishing), its descendants (the Dask workers; a server the run started) and the "
        "kept server (`--warm`); the cleaning tasks' own seconds are part of the workers'.",
        "",
        "| files | run | wall s | CPU s | the command | its descendants | kept server "
        "| cleaning task-s |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
    ]


def _s(value) -> str:
    return "–" if value is None else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _stage_cells(run: dict) -> list[str]:
    seconds = (run.get("run") or {}).get("stage_seconds") or {}
    cells = [_s(seconds.get("scan"))]
    cells.append(f"{_s(seconds.get('read_clean'))} ({_s(seconds.get('read_clean_wait'))})")
    cells += [_s(seconds.get(s)) for s in ("stage", "audit", "validate", "publish")]
    return cells


def markdown(outputs: list[dict]) -> str:
    """The results file from the JSON outputs of one or more runs of this script, in order;
    each row names the commit it measured."""
    reports = [r | {"commit": _measured(o["meta"])} for o in outputs for r in o["reports"]]
    meta = [o["meta"] for o in outputs]
    text_reports = [r for r in reports if r["mix"] == "text"]
    html_reports = [r for r in reports if r["mix"] == "html"]
    lines = ["# Pipeline at scale: `copydesk run` end to end", ""]
    for m in meta:
        lines += [
            f"- `{_portable(m['command'])}`",
            f"  - started {m['started']}, commit {m['commit']}"
            + (
                " (with uncommitted changes in " + ", ".join(m["changed"]) + ")"
                if m["changed"]
                else ""
            ),
            f"  - machine: {m['cpus']} cores, {m['memory_gb']} GB; load average (1/5/15 min) "
            f"{m['load_start']} at start, {m['load_end']} at end",
        ]
    lines += ["", *targets(reports), ""]
    lines += [
        "## Text corpus",
        "",
        "Each run is the real command in a child process on a new warehouse, with a new "
        "`PREFECT_HOME` (cold) or the kept one of `--warm`. Seconds per stage are the flow's "
        "own (`audit.runs.stage_seconds`); read+clean is the sum of the cleaning tasks' "
        "seconds, in brackets how long the flow waited for a batch while one was being "
        "cleaned. Start-up is imports plus the Prefect server starting (cold) or answering "
        "(warm), before the flow run begins; overhead is the flow run's wall minus its "
        "critical path. Floor: reading and hashing (SHA-256) every input file in one "
        "process. Definitions below.",
        "",
        "| files | workers | input MB | wall s | start-up s (Prefect home) | flow s | scan | "
        "read+clean (waited) | stage | audit | validate | publish | peak MB | warehouse MB | "
        "files/s | MB/s | "
        "overhead % of flow | floor multiple |",
        "|" + "---|" * 18,
    ]
    for r in text_reports:
        for run in r["runs"]:
            lines.append(_row(r, run))
    lines += ["", "Counts (from `audit.runs`) against the generated corpus:", ""]
    lines += [
        "| files | workers | articles read (expected) | published "
        "| duplicates (planted exact + near) | quarantined (bad files' items) | balanced |",
        "|" + "---|" * 7,
    ]
    for r in text_reports + html_reports:
        c = r["corpus"]
        for run in r["runs"]:
            counts = run.get("run") or {}
            if counts.get("status") != "published":
                lines.append(f"| {_size(r)} | {run['workers']} | failed (exit {run['exit']}) |||||")
                continue
            lines.append(
                f"| {_size(r, r['mix'])} | {run['workers']} | {counts['articles_read']:,} "
                f"({c['articles']:,}) | {counts['published']:,} | {counts['duplicates']:,} "
                f"({c['planted_exact']:,} + {c['planted_near']:,}) | {counts['quarantined']:,} "
                f"({c['bad_items']}) | {'yes' if run.get('balanced') else 'NO'} |"
            )
    placed = [(r, run) for r in text_reports for run in _runs(r) if run.get("peak_after")]
    if placed:
        lines += ["", "Where the peak of memory came: the last log line before it.", ""]
        lines += ["| files | run | peak MB | the flow process's own peak MB | after |"]
        lines += ["|---|---|---|---|---|"]
    for r, run in placed:
        after = run["peak_after"].replace("|", "/")
        lines.append(
            f"| {_size(r)} | {run['label']} | {run['peak_rss_mb']:,} | "
            f"{run.get('peak_main_rss_mb', '–'):,} | {after} |"
        )
    lines += _cpu_split(text_reports + html_reports)
    lines += [
        "",
        "## 1 vs 2 workers (text)",
        "",
        "| files | wall 1 → 2 s | speed-up | flow 1 → 2 s | flow speed-up "
        "| read+clean waited 1 → 2 s | first batch cleaned, s after the flow began, 1 → 2 |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in text_reports:
        by = {run["workers"]: run for run in r["runs"] if run["exit"] == 0}
        if 1 in by and 2 in by:
            one, two = by[1], by[2]
            w1 = one["run"]["stage_seconds"].get("read_clean_wait")
            w2 = two["run"]["stage_seconds"].get("read_clean_wait")
            lines.append(
                f"| {_size(r)} | {_s(one['wall_s'])} → {_s(two['wall_s'])} | "
                f"{one['wall_s'] / two['wall_s']:.2f}× | {_s(one.get('flow_s'))} → "
                f"{_s(two.get('flow_s'))} | {one['flow_s'] / two['flow_s']:.2f}× | "
                f"{_s(w1)} → {_s(w2)} | {_s(one.get('first_batch_after_s'))} → "
                f"{_s(two.get('first_batch_after_s'))} |"
            )
    lines += ["", "## HTML: the pipeline against trafilatura alone", ""]
    lines += [
        "| pages | MB | workers | trafilatura alone s | pipeline wall s | flow s | read+clean s "
        "(per worker) | wall ÷ alone | flow ÷ alone | read+clean per worker ÷ alone | peak MB |",
        "|" + "---|" * 11,
    ]
    for r in html_reports:
        run, x = r["runs"][0], r["extract"]
        seconds = (run.get("run") or {}).get("stage_seconds") or {}
        lines.append(
            f"| {_size(r)} | {r['corpus']['mb']} | {x['workers']} | {_s(x['extract_s'])} | "
            f"{_s(run['wall_s'])} | {_s(run.get('flow_s'))} | "
            f"{_s(seconds.get('read_clean', 0) / x['workers'])} | {run['wall_vs_extract']}× | "
            f"{run.get('flow_vs_extract')}× | {run.get('read_clean_vs_extract')}× | "
            f"{run['peak_rss_mb']:,} |"
        )
    lines += ["", "## Incremental: +1% new files on the same warehouse", ""]
    lines += [
        "| files before | added | workers | wall s | flow s | scan | read+clean (waited) | "
        "stage | audit | validate | publish | % of full wall | % of full flow "
        "| counts as expected |",
        "|" + "---|" * 14,
    ]
    for r in text_reports:
        if run := r.get("incremental"):
            lines.append(
                f"| {_size(r)} | {run['added_files']:,} | {run['workers']} | "
                f"{_s(run['wall_s'])} | "
                f"{_s(run.get('flow_s'))} | " + " | ".join(_stage_cells(run)) + " | "
                f"{run['of_full_wall_pct']}% | {run.get('of_full_flow_pct')}% | "
                f"{'yes' if run.get('files_as_expected') and run.get('balanced') else 'NO'} |"
            )
    lines += ["", DEFINITIONS]
    return "\n".join(lines)


DEFINITIONS = """## How the numbers are measured

- **wall**: the `copydesk run` command from start to exit, as a user waits for it.
- **start-up**: from the command's start to Prefect's "Beginning flow run" line: Python imports
  and the Prefect server, started for the run on a new `PREFECT_HOME` (cold) or kept from the
  warm-up run (warm, `--warm`). After the flow, the rest of the wall is shutting down
  (`shutdown_s` in the JSON): a cold run's server stops with it.
- **flow**: the flow run, from "Beginning flow run" to "Finished in state", by Prefect's log
  timestamps.
- **stages**: the seconds the flow records in `audit.runs.stage_seconds`, each measured inside
  its task, so Prefect's and Dask's time around a task is not in it. read+clean is the sum of
  the cleaning tasks' own seconds: two run at a time, as threads under one GIL with one worker
  (so the sum is about twice the CPU time), as Dask worker processes with two. In brackets how
  long the flow waited for a batch while a cleaning task was running; a wait while none ran
  (a Dask worker still starting) is overhead.
- **overhead % of flow**: (flow − critical path) ÷ flow, where the critical path is the stages
  the flow runs one after another: scan + waiting for read+clean + stage + audit + validate +
  publish. What is left is orchestration: creating task runs and their states on the Prefect
  server, submitting batches, starting and stopping the Dask cluster, result transfer not
  counted as waiting. Start-up and shutdown are outside the flow and reported apart.
- **peak MB**: the largest sum of RSS over the command's process tree (the Prefect server,
  kept or not, and Dask workers included), polled every 0.2 s; shared pages count once per process.
- **warehouse MB**: the DuckDB file's size after the run (DuckDB reuses freed blocks, it does
  not shrink the file).
- **floor**: reading every input file and hashing it with SHA-256, one process, files just
  written (in the page cache, as for the pipeline); floor multiple = wall ÷ floor.
- **validate** includes importing Great Expectations, about 10 s once per run.
"""


def _portable(command: str) -> str:
    """The command as anyone would type it: this machine's folders and files as placeholders."""
    for option, placeholder in (
        ("--tmp", "DIR"),
        ("--out", "OUT.json"),
        ("--results", "RESULTS.md"),
    ):
        command = re.sub(rf"{option} \S+", f"{option} {placeholder}", command)
    return command


def targets(reports: list[dict]) -> list[str]:
    """Issue 11's targets against what was measured, met or not."""
    texts = [r for r in reports if r["mix"] == "text"]
    text = {n: _newest([r for r in texts if r["size"] == n]) for n in {r["size"] for r in texts}}
    html = [_newest(htmls)] if (htmls := [r for r in reports if r["mix"] == "html"]) else []
    rows = []

    def verdict(met: bool | None) -> str:
        return "not measured" if met is None else "met" if met else "**not met**"

    def run_at(size: int, workers: int, report: dict | None = None) -> dict | None:
        runs = (report or text.get(size, {})).get("runs", [])
        return next((r for r in runs if r["workers"] == workers and not r["exit"]), None)

    million = [run for n, r in text.items() if n >= 1_000_000 for run in r["runs"]]
    done = any(not run["exit"] for run in million)
    failed = f"failed after {million[0]['wall_s'] / 60:.0f} min" if million and not done else "–"
    rows.append(
        ("1M text files complete", "yes" if done else failed, verdict(done if million else None))
    )
    # At each of the target's sizes, the report of the newest code (see _newest).
    peaks = {
        n: max(run["peak_rss_mb"] for run in text[n]["runs"] if not run["exit"])
        for n in (100_000, 1_000_000)
        if any(not run["exit"] for run in text.get(n, {}).get("runs", []))
    }
    rows.append(
        (
            "peak memory of the process tree ≤ 3 GB at 100k and at 1M",
            ", ".join(f"{peak:,} MB at {n:,} files" for n, peak in peaks.items()) or "–",
            verdict(max(peaks.values()) <= 3072 if len(peaks) == 2 else None),
        )
    )
    two = run_at(100_000, 2)
    rows.append(
        (
            "100k text files ≤ 10 min with 2 workers",
            f"{two['wall_s'] / 60:.1f} min" if two else "–",
            verdict(two["wall_s"] <= 600 if two else None),
        )
    )
    if two:
        seconds = two["run"]["stage_seconds"]
        serial = sum(seconds.get(s, 0.0) for s in ("stage", "audit", "validate", "publish"))
        share = 100 * serial / seconds["read_clean"] if seconds.get("read_clean") else None
        rows.append(
            (
                "stage + audit + validate + publish ≤ 20% of the cleaning time at 100k",
                f"{serial:,.0f} s, {share:.0f}% of {seconds['read_clean']:,.0f} cleaning "
                "task-seconds (2 workers)"
                if share is not None
                else "–",
                verdict(share <= 20 if share is not None else None),
            )
        )
    # The 10k target is from a command start on a warm machine: a --warm report if any.
    warm = [r for r in texts if r["size"] == 10_000 and any(run.get("warm") for run in r["runs"])]
    small = run_at(10_000, 2, _newest(warm) if warm else None)
    rows.append(
        (
            "10k text files ≤ 90 s and ≤ 2 GB with 2 workers, warm",
            f"{small['wall_s']:.0f} s, {small['peak_rss_mb']:,} MB"
            + ("" if small.get("warm") else " (cold: a new Prefect home)")
            if small
            else "–",
            verdict(small["wall_s"] <= 90 and small["peak_rss_mb"] <= 2048 if small else None),
        )
    )
    # The newest code measured with a +1% run, on the largest warehouse it was measured on.
    grown = [r for r in texts if r.get("incremental")]
    if grown:
        largest = max(r["size"] for r in grown)
        last = _newest([r for r in grown if r["size"] == largest])
        incr = last["incremental"]
        rows.append(
            (
                "the +1% run ≤ 5% of the full run (on the 1M warehouse)",
                f"{incr['of_full_wall_pct']}% of the wall, {incr.get('of_full_flow_pct')}% of "
                f"the flow run, on the {largest:,}-file warehouse (at {last['commit']})",
                verdict(incr["of_full_wall_pct"] <= 5)
                if largest >= 1_000_000
                else f"{verdict(incr['of_full_wall_pct'] <= 5)} at {largest:,}",
            )
        )
    # The newest code measured with both 1 and 2 workers at 100k, which may be older.
    paired = [
        r for r in texts if r["size"] == 100_000 and run_at(100_000, 1, r) and run_at(100_000, 2, r)
    ]
    if paired:
        both = _newest(paired)
        one_worker, two_workers = run_at(100_000, 1, both), run_at(100_000, 2, both)
        assert one_worker and two_workers
        speedup = one_worker["wall_s"] / two_workers["wall_s"]
        measured = f"{speedup:.2f}× (wall, at {both['commit']})"
        rows.append(("1 → 2 workers ≥ 1.7× at 100k", measured, verdict(speedup >= 1.7)))
    else:
        rows.append(("1 → 2 workers ≥ 1.7× at 100k", "–", verdict(None)))
    if html and html[0]["runs"] and not html[0]["runs"][0]["exit"]:
        run = html[0]["runs"][0]
        rows.append(
            (
                "HTML: the pipeline within 1.3× of trafilatura alone",
                f"{run['wall_vs_extract']}× end to end, {run.get('flow_vs_extract')}× the flow run"
                f" ({'warm' if run.get('warm') else 'cold'})",
                verdict(run["wall_vs_extract"] <= 1.3),
            )
        )
    lines = ["## Targets (issue 11)", "", "| target | measured | |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return lines


NOTES_MARKER = "<!-- notes: kept when the tables above are written again -->"


def write_results(path: Path, text: str) -> None:
    """Write the generated tables, keeping the hand-written notes below NOTES_MARKER."""
    notes = ""
    if path.exists() and NOTES_MARKER in (old := path.read_text()):
        notes = old[old.index(NOTES_MARKER) :]
    path.write_text(text + ("\n" + notes if notes else ""))


def _newest(reports: list[dict]) -> dict:
    """Of reports in the order they were made, the one that measured the newest code: a later
    one wins if its commit is the same or descends from the other's, or git cannot tell."""
    newest = reports[0]
    for r in reports[1:]:
        old, new = newest["commit"].rstrip("+"), r["commit"].rstrip("+")
        if old == new or git("rev-list", "--count", f"{new}..{old}") in ("0", ""):
            newest = r
    return newest


def _measured(meta: dict) -> str:
    """The commit a run measured, with a + when copydesk's code had uncommitted changes."""
    return meta["commit"] + ("+" if meta.get("changed") else "")


def _size(r: dict, mix: str = "") -> str:
    """A table's first cell: the size (and the mix), and the commit measured."""
    return f"{r['size']:,}{' ' + mix if mix else ''} ({r['commit']})"


def _row(r: dict, run: dict) -> str:
    if run["exit"] != 0 or not run.get("run"):
        return f"| {_size(r)} | {run['workers']} | failed (exit {run['exit']}) |" + " |" * 15
    return (
        f"| {_size(r)} | {run['workers']} | {r['corpus']['mb']} | {_s(run['wall_s'])} | "
        f"{_s(run.get('startup_s'))} ({'warm' if run.get('warm') else 'cold'}) | "
        f"{_s(run.get('flow_s'))} | "
        + " | ".join(_stage_cells(run))
        + f" | {run['peak_rss_mb']:,} | {run.get('warehouse_mb') or '–'} | "
        f"{run['files_per_s']:,.0f} | {run['mb_per_s']:.2f} | "
        f"{run.get('overhead_pct')}% | {run.get('floor_multiple')}× |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", type=int, nargs="*", default=[2000, 10_000], help="none: HTML comparison only"
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--html-pages", type=int, default=2000, help="0: no HTML comparison")
    parser.add_argument("--html-workers", type=int, default=2)
    parser.add_argument("--incremental-share", type=float, default=0.01, help="0: none")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: one run per size, 1 worker, no HTML, no increment",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=4 * 3600, help="seconds per copydesk run")
    parser.add_argument(
        "--tmp", default=None, help="folder for the temporary inputs and warehouses"
    )
    parser.add_argument(
        "--inputs",
        default=None,
        help="folder for the generated text files if not --tmp (a tmpfs such as /dev/shm "
        "leaves the disk to the warehouses)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--warm",
        action="store_true",
        help="every run uses one Prefect home whose server a first, untimed run started "
        "(without: a new home and server per run)",
    )
    parser.add_argument("--out", type=Path, help="[default: bench/out/pipeline_scale.json]")
    parser.add_argument("--results", type=Path, help="[default: bench/RESULTS-pipeline-scale.md]")
    parser.add_argument(
        "--report-from",
        type=Path,
        nargs="+",
        metavar="JSON",
        help="write the results file from these JSON outputs and exit",
    )
    args = parser.parse_args()

    if args.quick:
        args.workers, args.html_pages, args.incremental_share = [1], 0, 0.0
    # A smoke test writes beside the JSON, so it never replaces the committed results.
    args.out = args.out or OUT / (
        "pipeline_scale_quick.json" if args.quick else "pipeline_scale.json"
    )
    if args.results is None:
        args.results = (
            OUT / "RESULTS-quick.md" if args.quick else REPO / "bench" / "RESULTS-pipeline-scale.md"
        )

    if args.report_from:
        outputs = [json.loads(p.read_text()) for p in args.report_from]
        write_results(args.results, markdown(outputs))
        say(f"wrote {args.results}")
        return
    work = Path(tempfile.mkdtemp(prefix="pipeline_scale_", dir=args.tmp))
    args.inputs_dir = (
        Path(tempfile.mkdtemp(prefix="pipeline_scale_inputs_", dir=args.inputs))
        if args.inputs
        else work
    )
    need_gb: dict[int, float] = {}  # by file system
    # A warehouse per worker count is kept until the end; the +1% adds to the last one.
    for folder, mb_per_file in (
        (work, WAREHOUSE_MB_PER_FILE * len(args.workers)),
        (args.inputs_dir, INPUT_MB_PER_FILE),
    ):
        device = folder.stat().st_dev
        need_gb[device] = need_gb.get(device, 0.0) + sum(args.sizes) * mb_per_file / 1024
    for folder in (work, args.inputs_dir):
        need = need_gb[folder.stat().st_dev]
        free_gb = shutil.disk_usage(folder).free / 2**30
        if need > free_gb:
            for made in {work, args.inputs_dir}:
                shutil.rmtree(made, ignore_errors=True)
            sys.exit(
                f"pipeline_scale: {folder.parent} has {free_gb:.0f} GB free, the sizes need "
                f"about {need:.0f} GB there (inputs and warehouses); give --tmp or --inputs on "
                "a larger disk"
            )
    meta = {
        "command": " ".join(["python -m bench.pipeline_scale", *sys.argv[1:]]),
        "started": datetime.now().isoformat(timespec="seconds"),
        "commit": commit(),
        "changed": changed("copydesk", "flows", "sql"),
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30),
        "load_start": [round(x, 2) for x in os.getloadavg()],
        "settings": {k: v for k, v in vars(args).items() if k in SETTINGS},
    }
    reports: list[dict] = []

    def save() -> None:
        meta["load_end"] = [round(x, 2) for x in os.getloadavg()]
        write_json(args.out, {"meta": meta, "reports": reports})

    args.home = None
    try:
        if args.warm:
            workers = max([*args.workers, args.html_workers] if args.html_pages else args.workers)
            args.home = warm_up(work, workers, args.timeout)
        for n in args.sizes:
            reports.append(measure_text(n, args, work))
            save()
        if args.html_pages:
            reports.append(measure_html(args.html_pages, args, work))
            save()
    finally:
        if args.home:
            say(server.stop_kept(args.home))
        if not args.keep:
            keep_failed_logs(reports, args.out.parent)
        save()
        if not args.keep:
            for made in {work, args.inputs_dir}:
                shutil.rmtree(made, ignore_errors=True)
    write_results(args.results, markdown([{"meta": meta, "reports": reports}]))
    say(f"wrote {args.out} and {args.results}")


if __name__ == "__main__":
    main()
