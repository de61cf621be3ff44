"""copydesk's HTML path against trafilatura alone, with this tree's extraction and another
commit's, timed page by page in one process.

    uv run --group bench python -m bench.html_speed [--old main] [--rounds 1] [--limit N]

For every dev page (../shared/dev/trafilatura-eval.tar.gz) three systems run one after the
other, their order flipped on every other page, timed as CPU seconds of this process (other
work on the machine slows all three alike, so the ratios hold where absolute times do not):

- trafilatura alone: trafilatura.extract(page bytes), as bench/quality.py times it;
- the HTML path with `--old`'s copydesk/extract.py: decode + clean_article;
- the HTML path with this tree's copydesk/extract.py: decode + clean_article.

Only extract.py comes from `--old` (loaded from `git show`, put in clean_article's place for
its calls); the decoder and the cleaner are this tree's in both. The two paths' articles
(every field) or extraction errors are compared on the first round, and differing pages named.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

from bench.common import git
from bench.corpus import unpack_dev_pages


def load_extract(ref: str, into: Path) -> ModuleType:
    """copydesk/extract.py as committed at `ref`, imported under another name."""
    path = into / "extract_at_ref.py"
    source = git("show", f"{ref}:copydesk/extract.py")
    if not source:
        raise SystemExit(f"no copydesk/extract.py at {ref!r}")
    path.write_text(source + "\n", encoding="utf-8")
    spec = importlib.util.spec_from_file_location("extract_at_ref", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--old", default="main", help="commit whose extract.py to compare")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--limit", type=int, default=None, help="first N pages only")
    args = parser.parse_args(argv)

    import dateparser
    import trafilatura

    import copydesk.clean
    import copydesk.extract
    from copydesk.boilerplate import load_rule_packs
    from copydesk.ingest import DecodeError, decode_bytes
    from copydesk.records import RawArticle

    dateparser.parse("1 January 2020")  # loads its locales, as a running copydesk has long ago
    packs = load_rule_packs()

    def html_path(extract: ModuleType) -> Callable[[str, bytes], object]:
        def run(name: str, data: bytes) -> object:
            copydesk.clean.extract_html = extract.extract_html
            try:
                html, encoding = decode_bytes(data, html=True)
                raw = RawArticle("bench", name, 0, 1, "html", html, encoding=encoding)
                return copydesk.clean.clean_article(raw, packs)
            except (DecodeError, copydesk.extract.ExtractError, extract.ExtractError) as exc:
                return f"{type(exc).__name__}: {exc}"

        return run

    with tempfile.TemporaryDirectory() as tmp:
        root, evaldata = unpack_dev_pages(Path(tmp))
        old = load_extract(args.old, Path(tmp))
        pages = [
            (evaldata[u]["file"], (root / "html" / evaldata[u]["file"]).read_bytes())
            for u in sorted(evaldata)
        ][: args.limit]
    systems: dict[str, Callable[[str, bytes], object]] = {
        "trafilatura": lambda _name, data: trafilatura.extract(data),
        "old": html_path(old),
        "new": html_path(copydesk.extract),
    }
    for run in systems.values():  # first calls load lazily imported parts: not timed
        run(*pages[0])
    seconds = dict.fromkeys(systems, 0.0)
    differing: list[str] = []
    for round_ in range(args.rounds):
        for i, (name, data) in enumerate(pages):
            order = list(systems) if (i + round_) % 2 == 0 else list(systems)[::-1]
            out = {}
            for key in order:
                start = time.process_time()
                out[key] = systems[key](name, data)
                seconds[key] += time.process_time() - start
            if round_ == 0 and out["old"] != out["new"]:
                differing.append(name)
    copydesk.clean.extract_html = copydesk.extract.extract_html
    traf = seconds["trafilatura"]
    print(
        f"{len(pages)} pages x {args.rounds} round(s), CPU s: trafilatura {traf:.2f}, "
        f"HTML path with {args.old}'s extract.py {seconds['old']:.2f}, with this tree's "
        f"{seconds['new']:.2f}"
    )
    print(
        f"HTML path / trafilatura alone: {args.old} {seconds['old'] / traf:.3f}x, this tree "
        f"{seconds['new'] / traf:.3f}x (new / old {seconds['new'] / seconds['old']:.3f})"
    )
    print(f"pages whose output differs: {len(differing)} {differing[:10]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
