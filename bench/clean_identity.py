"""The cleaner of another commit against this tree's: identical output, and the speed of each.

    uv run --group bench python -m bench.clean_identity [--old main] [--rounds 3]
        [--corpus DIR] [--files N]

Both cleaners run on the same inputs, each in a child process that imports its own copydesk
(the old one from `git archive OLD copydesk`, in a temporary folder):

- the text path of bench/quality.py: every dev page (../shared/dev/trafilatura-eval.tar.gz)
  rendered as a full-page dump by inscriptis, cleaned as a .txt file;
- every document of the corpus folder (`--corpus`, e.g. the 10k files of bench.pipeline_scale),
  read by copydesk's own reader: text, Markdown, feeds and HTML.

Every output field is compared (title, body paragraphs and their positions, captions, each
removal's position, text, reason and rule id, truncated, language, authors, date, url, source,
or the extraction error); the first differences are printed. Then the dev dumps' text path is
timed `--rounds` times, old and new alternating, as CPU seconds of each child (other work on
the machine slows both alike), and reported as MB of dump text per second per core."""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path

from bench.common import REPO, git, say
from bench.corpus import DEV_TARBALL, unpack_dev_pages

MAX_FILE_BYTES = 20_000_000


def render_dumps(out: Path) -> None:
    """The dev pages' full-page text dumps, as bench/quality.py makes them, written as JSON."""
    import inscriptis

    from copydesk.ingest import decode_bytes

    dumps = []
    with tempfile.TemporaryDirectory(prefix="copydesk-identity-") as tmp:
        root, evaldata = unpack_dev_pages(Path(tmp), DEV_TARBALL)
        for _, item in sorted(evaldata.items()):
            try:
                html, _ = decode_bytes((root / "html" / item["file"]).read_bytes(), html=True)
            except ValueError:
                continue  # bench.quality scores no text path for a page it cannot decode
            stem = item["file"].rsplit(".", 1)[0]
            dumps.append({"file": f"{stem}.txt", "dump": inscriptis.get_text(html)})
    out.write_text(json.dumps(dumps, ensure_ascii=False), encoding="utf-8")


# --- the child: runs with PYTHONPATH pointing at the copydesk to measure ----------------------


def _outcome(raw, packs) -> tuple:
    from copydesk.clean import clean_article
    from copydesk.extract import ExtractError

    try:
        a = clean_article(raw, packs)
    except ExtractError as exc:
        return ("ExtractError", str(exc))
    removals = tuple((r.position, r.text, r.reason, r.rule_id) for r in a.removals)
    return (
        a.title,
        a.paragraphs,
        a.positions,
        a.captions,
        removals,
        a.truncated,
        a.language,
        a.authors,
        a.published_at,
        a.url,
        a.source,
    )


def child(tree: Path, dumps_path: Path, corpus: Path | None, files: int | None, out: Path) -> None:
    """Clean the dumps (timed) and, with a corpus, its documents, with the copydesk in `tree`;
    pickle the outputs and the seconds."""
    sys.path.insert(0, str(tree))  # before the current directory, which holds this tree's
    import copydesk

    if Path(copydesk.__file__).parent != tree / "copydesk":
        raise SystemExit(f"imported {copydesk.__file__}, not the copydesk in {tree}")
    from copydesk.batch import plan_files
    from copydesk.boilerplate import load_rule_packs
    from copydesk.ingest import find_input_files, read_input
    from copydesk.records import RawArticle

    packs = load_rule_packs()
    dumps = json.loads(dumps_path.read_text(encoding="utf-8"))
    raws = [RawArticle("bench", d["file"], 0, 1, "text", d["dump"]) for d in dumps]
    for raw in raws[:20]:  # compiled regexes and caches warm, as in a long-running worker
        _outcome(raw, packs)
    cpu = time.process_time()
    dev = [_outcome(raw, packs) for raw in raws]
    dev_s = time.process_time() - cpu
    result = {
        "dev": dev,
        "dev_s": dev_s,
        "dev_mb": sum(len(d["dump"].encode("utf-8")) for d in dumps) / 1e6,
    }
    if corpus is not None:
        found = find_input_files(corpus)[:files]
        docs = []
        for planned in plan_files(found, {}).to_read:
            docs.extend(read_input(planned.found, 1, MAX_FILE_BYTES)[1].kept)
        result["corpus"] = [(d.article_id, _outcome(d, packs)) for d in docs]
    out.write_bytes(pickle.dumps(result))


# --- the parent ----------------------------------------------------------------------------

FIELDS = (
    "title",
    "paragraphs",
    "positions",
    "captions",
    "removals",
    "truncated",
    "language",
    "authors",
    "published_at",
    "url",
    "source",
)


def export_tree(ref: str, into: Path) -> None:
    """The copydesk package of commit `ref`, written into `into`."""
    data = subprocess.run(
        ["git", "archive", "--format=tar", ref, "copydesk"], cwd=REPO, capture_output=True
    )
    if data.returncode:
        raise SystemExit(f"git archive {ref} failed: {data.stderr.decode().strip()}")
    with tarfile.open(fileobj=BytesIO(data.stdout)) as tar:
        tar.extractall(into, filter="data")


def run_child(tree: Path, dumps: Path, corpus: Path | None, files: int | None) -> dict:
    """What the copydesk in `tree` made of the dumps (and the corpus), from a child process."""
    with tempfile.NamedTemporaryFile(suffix=".pickle") as out:
        command = [sys.executable, "-m", "bench.clean_identity", "--child", out.name]
        command += ["--tree", str(tree), "--dumps", str(dumps)]
        if corpus is not None:
            command += ["--corpus", str(corpus)]
            if files is not None:
                command += ["--files", str(files)]
        subprocess.run(command, cwd=REPO, check=True)
        return pickle.loads(Path(out.name).read_bytes())


def differences(old: Sequence[tuple], new: Sequence[tuple], names: Sequence[str]) -> list[str]:
    """One line per differing field of each differing output."""
    lines = []
    for name, a, b in zip(names, old, new, strict=True):
        if a == b:
            continue
        if a[0] == "ExtractError" or b[0] == "ExtractError":
            lines.append(f"{name}: {a[:2]!r} -> {b[:2]!r}")
            continue
        for field, x, y in zip(FIELDS, a, b, strict=True):
            if x != y:
                lines.append(f"{name}: {field}: {str(x)[:300]!r} -> {str(y)[:300]!r}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", default="main", help="the commit to compare with")
    parser.add_argument("--rounds", type=int, default=3, help="timed passes of each, alternating")
    parser.add_argument(
        "--corpus",
        type=Path,
        default=None,
        help="a folder of inputs, e.g. bench.pipeline_scale's 10k files kept with --keep "
        "(default: the dev dumps alone)",
    )
    parser.add_argument("--files", type=int, default=None, help="only the first N corpus files")
    parser.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--dumps", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--tree", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.tree.resolve(), args.dumps, args.corpus, args.files, args.child)
        return 0

    corpus = args.corpus
    if corpus is not None and not corpus.is_dir():
        say(f"no corpus folder {corpus}: the dev dumps alone")
        corpus = None
    with tempfile.TemporaryDirectory(prefix="copydesk-identity-") as tmp:
        old_tree, new_tree, dumps = Path(tmp, "old"), REPO, Path(tmp, "dumps.json")
        export_tree(args.old, old_tree)
        say("rendering the dev pages' dumps")
        render_dumps(dumps)
        say(f"old ({args.old}) and new (this tree) on the dumps and {corpus or 'no corpus'}")
        old = run_child(old_tree, dumps, corpus, args.files)
        new = run_child(new_tree, dumps, corpus, args.files)
        names = [f"dev[{i}]" for i in range(len(old["dev"]))]
        diff = differences(old["dev"], new["dev"], names)
        if corpus is not None:
            ids = [i for i, _ in old["corpus"]]
            if ids != [i for i, _ in new["corpus"]]:
                raise SystemExit("the two trees read different documents from the corpus")
            outs = [o for _, o in old["corpus"]], [o for _, o in new["corpus"]]
            diff += differences(*outs, ids)
        compared = len(old["dev"]) + len(old.get("corpus", ()))
        print(
            f"{compared} articles compared ({len(old['dev'])} dev dumps, "
            f"{len(old.get('corpus', ()))} corpus documents): {len(diff)} differences"
        )
        for line in diff[:40]:
            print("  " + line)
        times: dict[str, list[float]] = {"old": [old["dev_s"]], "new": [new["dev_s"]]}
        for _ in range(args.rounds - 1):
            times["old"].append(run_child(old_tree, dumps, None, None)["dev_s"])
            times["new"].append(run_child(new_tree, dumps, None, None)["dev_s"])
    mb = old["dev_mb"]
    for side, ref in (("old", args.old), ("new", git("rev-parse", "--short", "HEAD") + "+tree")):
        rates = ", ".join(f"{mb / s:.2f}" for s in times[side])
        print(
            f"{side} ({ref}): text path {mb:.1f} MB in {statistics.median(times[side]):.2f} "
            f"CPU s (median), MB/s per core by round: {rates}"
        )
    ratios = [o / n for o, n in zip(times["old"], times["new"], strict=True)]
    print(f"speed-up new/old by round: {', '.join(f'{r:.2f}x' for r in ratios)}")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
