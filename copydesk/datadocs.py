"""Great Expectations Data Docs for the warehouse: one validation page per copydesk run, kept
as history, safe to open and readable offline.

GX renders the failing values of an expectation (for copydesk, scraped article bodies) into
the page without escaping them when a template has no styling, so a `<script>` in a scraped
page would run in the reader's browser. Before a result reaches GX, every string in it is
clipped and HTML-escaped here. GX's pages also load Bootstrap, jQuery, Font Awesome and Vega
from CDNs; the content itself is rendered to HTML on the server, so after GX has written a
page this module removes every script and remote asset, adds a small local stylesheet and a
Content-Security-Policy that forbids scripts and network requests, and says on the page how
the run ended (a run that quarantined a few articles still published).

GX is imported by the caller (copydesk.quality), never here at module level.
"""

from __future__ import annotations

import copy
import datetime as dt
import html
import logging
import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from lxml import html as lxml_html

if TYPE_CHECKING:
    from great_expectations.core import ExpectationSuiteValidationResult

    from copydesk.quality import ExpectationOutcome, ValidationReport

log = logging.getLogger(__name__)

SITE = "copydesk"
BATCH = "copydesk-articles"  # the batch identifier in each validation page's path
RESULTS_FOLDER = "validation-results"  # GX JSON of each kept run, beside the pages
HISTORY = 100  # validation results kept per suite; older runs' pages and results are removed
_VALUES = 20  # failing values kept per expectation (GX's own partial list keeps 20 too)
_CHARS = 300  # characters kept of each failing value: a body is not needed whole
_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data: file:; "
    "font-src 'self' data: file:; script-src 'none'; base-uri 'none'; form-action 'none'"
)
_REMOTE_URL = re.compile(r"""url\(\s*['"]?\s*(?:https?:)?//[^)]*\)""", re.IGNORECASE)
_LOCAL_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d2430; background: #fff; }
.container, .container-fluid { padding: 0 1.5rem; }
.row { display: flex; flex-wrap: wrap; gap: 1rem; }
.col-md-2, .col-lg-2 { flex: 0 0 14rem; } .col-md-10, .col-lg-10, .col { flex: 1 1 30rem; }
.d-none { display: none; } .collapse:not(.show) { display: block; }
.card { border: 1px solid #d5dae1; border-radius: 6px; margin: 0 0 1rem; padding: .5rem 1rem; }
.card-header { font-weight: 600; border-bottom: 1px solid #e3e7ec; padding: .4rem 0; }
table { border-collapse: collapse; margin: .5rem 0; max-width: 100%; }
th, td { border: 1px solid #e3e7ec; padding: .25rem .5rem; vertical-align: top; text-align: left; }
/* GX scrolls long values inside their cell, which headless full-page screenshots leave
   blank; values are clipped before rendering, so they can show whole. */
.show-scrollbars, td .show-scrollbars { overflow: visible; max-height: none;
  white-space: pre-wrap; word-break: break-word; }
.text-success, .fa-check-circle { color: #1a7f37; } .text-danger, .fa-times { color: #c62828; }
.fa-check-circle::before { content: "\\2714"; } .fa-times::before { content: "\\2718"; }
i.fas { font-style: normal; font-size: 1.1rem; }
.navbar { padding: .5rem 1.5rem; border-bottom: 1px solid #e3e7ec; }
.navbar img { height: 28px; }
.copydesk-banner { margin: 1rem 1.5rem; padding: .75rem 1rem; border-radius: 6px;
  border: 1px solid #9cc3a5; background: #eef8f0; }
.copydesk-banner.blocked { border-color: #e0a1a1; background: #fdf0f0; }
"""

_INDEX = jinja2.Environment(autoescape=True).from_string(
    """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<title>copydesk data docs</title><style>{{ style }}
.outcome-blocked { color: #c62828; font-weight: 600; } .outcome-publishable { color: #1a7f37; }
</style></head>
<body><div class="container">
<h1>copydesk validations</h1>
<p>One Great Expectations validation of the articles suite per run, newest first
({{ rows | length }} here; the newest {{ history }} are kept). <em>publishable</em>: every
critical expectation passed, and the run published, after quarantining the articles that
failed an article-level expectation.
<em>blocked</em>: a critical expectation failed and nothing of the run was published.
The suite itself: <a href="{{ suite }}">{{ suite }}</a>.</p>
<table id="validations"><thead><tr><th>run</th><th>validated (UTC)</th><th>outcome</th>
<th>expectations passed</th><th>critical failures</th><th>article-level failures</th>
<th>articles quarantined</th></tr></thead><tbody>
{% for r in rows %}<tr><td><a href="{{ r.href }}">{{ r.run }}</a></td>
<td>{{ r.time.strftime("%Y-%m-%d %H:%M:%S") if r.time else "" }}</td>
<td class="outcome-{{ r.outcome }}">{{ r.outcome }}</td><td>{{ r.passed }}</td>
<td>{{ r.critical }}</td><td>{{ r.article }}</td><td>{{ r.quarantined }}</td></tr>
{% endfor %}</tbody></table></div></body></html>
"""
)


def run_outcome(report: ValidationReport) -> dict[str, Any]:
    """How the run ends by this report: publishable or blocked, and which expectations failed."""

    def name(o: ExpectationOutcome) -> str:
        return o.expectation + (f" on {o.column}" if o.column else "")

    return {
        "outcome": "publishable" if report.passed_critical else "blocked",
        "critical_failed": [name(o) for o in report.critical_failures],
        "article_failed": sorted(
            {name(o) for o in report.outcomes if o.severity == "article" and not o.success}
        ),
        "articles_quarantined": len(report.outcomes_by_article()),
    }


def safe_result(
    result: ExpectationSuiteValidationResult, report: ValidationReport
) -> ExpectationSuiteValidationResult:
    """A copy of `result` fit for Data Docs: every string in the expectations' results clipped
    and HTML-escaped, failing-value lists capped, and `success` true when the run may publish
    (no critical expectation failed), with the copydesk outcome in its meta."""
    # Shallow copies: a COMPLETE result quotes every failing body, and only the first
    # _VALUES of each list are kept, so copying the rest would be wasted.
    safe = copy.copy(result)
    meta: dict[str, Any] = dict(result.meta or {})
    meta["copydesk"] = run_outcome(report)
    safe.meta = meta  # type: ignore[assignment]  # GX's type knows only its own keys
    safe.results = [copy.copy(item) for item in result.results]
    for item in safe.results:
        item.result = _escaped(item.result or {})
        item.exception_info = _escaped(item.exception_info or {})
    safe.success = report.passed_critical
    return safe


def build(
    gx: Any,
    suite: Any,
    result: ExpectationSuiteValidationResult,
    report: ValidationReport,
    docs_dir: Path,
    run_name: str,
) -> Path:
    """Add this run's validation to the Data Docs in `docs_dir` and rebuild the index; returns
    the run's validation page."""
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
    )
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    docs_dir = Path(docs_dir).resolve()
    docs_dir.mkdir(parents=True, exist_ok=True)
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False)
    )
    # Validation results persist beside the pages, so each build's index lists the history.
    config.stores[config.validation_results_store_name]["store_backend"] = {
        "class_name": "TupleFilesystemStoreBackend",
        "base_directory": str(docs_dir / RESULTS_FOLDER),
    }
    config.data_docs_sites = {
        SITE: {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    }
    ctx = gx.get_context(mode="ephemeral", project_config=config)
    suite = ctx.suites.add(gx.ExpectationSuite(**suite.to_json_dict()))

    run_id = RunIdentifier(run_name=run_name, run_time=dt.datetime.now(dt.UTC))
    suite_key = ExpectationSuiteIdentifier(name=suite.name)
    key = ValidationResultIdentifier(
        expectation_suite_identifier=suite_key, run_id=run_id, batch_identifier=BATCH
    )
    safe = safe_result(result, report)
    safe.meta["run_id"] = run_id
    safe.meta["validation_time"] = run_id.run_time
    ctx.validation_results_store.set(key, safe)
    _prune(ctx, docs_dir, suite.name)

    # GX's index fills its tables with JavaScript from CDNs; copydesk writes its own.
    ctx.build_data_docs(site_names=[SITE], resource_identifiers=[key, suite_key], build_index=False)
    page = docs_dir.joinpath("validations", *key.to_tuple()[:-1], f"{BATCH}.html")
    outcome = run_outcome(report)
    blocked = outcome["outcome"] == "blocked"
    make_offline(page, docs_dir, banner=_banner(run_name, outcome), blocked=blocked)
    suite_page = docs_dir.joinpath("expectations", *suite_key.to_tuple()).with_suffix(".html")
    make_offline(suite_page, docs_dir)
    write_index(ctx, docs_dir, suite_page)
    log.info("data docs at %s", docs_dir / "index.html")
    return page


def write_index(ctx: Any, docs_dir: Path, suite_page: Path) -> Path:
    """Write index.html: every kept validation, newest first, with copydesk's outcome."""
    store = ctx.validation_results_store
    rows = []
    for key in store.list_keys():
        stored = store.get(key)
        outcome = (stored.meta or {}).get("copydesk", {})
        stats = stored.statistics or {}
        rows.append(
            {
                "run": key.run_id.run_name,
                "time": key.run_id.run_time,
                "outcome": outcome.get("outcome", "passed" if stored.success else "failed"),
                "critical": ", ".join(outcome.get("critical_failed", [])),
                "article": ", ".join(outcome.get("article_failed", [])),
                "quarantined": outcome.get("articles_quarantined", 0),
                "passed": f"{stats.get('successful_expectations', '?')} of "
                f"{stats.get('evaluated_expectations', '?')}",
                "href": "/".join(["validations", *key.to_tuple()[:-1], f"{BATCH}.html"]),
            }
        )
    rows.sort(key=lambda r: r["time"], reverse=True)
    index = docs_dir / "index.html"
    index.write_text(
        _INDEX.render(
            rows=rows,
            csp=_CSP,
            style=_LOCAL_STYLE,
            suite=suite_page.relative_to(docs_dir),
            history=HISTORY,
        ),
        encoding="utf-8",
    )
    return index


def make_offline(
    page: Path, docs_dir: Path, banner: str | None = None, blocked: bool = False
) -> None:
    """Rewrite a GX page in place so it needs no network and runs no script: remote and inline
    scripts, remote stylesheets and event-handler attributes go; remote images point at GX's
    local copy; a Content-Security-Policy forbids scripts and requests; `banner` (plain text)
    goes above the content."""
    tree = lxml_html.parse(str(page))
    root = tree.getroot()
    head = root.find("head")
    for script in root.iter("script"):
        script.drop_tree()
    for link in list(root.iter("link")):
        if _remote(link.get("href")):
            link.drop_tree()
    for style in root.iter("style"):
        style.text = _REMOTE_URL.sub("none", style.text or "")
    for footer in list(root.iter("footer")):  # GX's fixed newsletter bar covers the content
        footer.drop_tree()
    static = Path(os.path.relpath(docs_dir / "static", page.parent)).as_posix() + "/"
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for name in [a for a in element.attrib if a.lower().startswith("on")]:
            del element.attrib[name]
        if element.get("style"):
            element.set("style", _REMOTE_URL.sub("none", element.get("style")))
        src = element.get("src")
        if element.tag == "img" and _remote(src):
            # GX's navbar logo lives on a web server; its copy ships in static/images.
            name = src.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
            element.set("src", f"{static}images/{name}")
        href = element.get("href")
        if element.tag == "link" and href and not _remote(href) and "static/" in href:
            # GX points the favicon of validation pages one folder too high.
            element.set("href", static + href.split("static/", 1)[1])
        if _remote(href) and element.tag == "a":
            element.set("rel", "noopener noreferrer")
    meta = lxml_html.Element("meta")
    meta.set("http-equiv", "Content-Security-Policy")
    meta.set("content", _CSP)
    head.insert(0, meta)
    style = lxml_html.Element("style")
    style.text = _LOCAL_STYLE
    head.append(style)
    if banner is not None:
        div = lxml_html.Element("div")
        div.set("class", "copydesk-banner blocked" if blocked else "copydesk-banner")
        div.set("id", "copydesk-outcome")
        div.text = banner  # lxml escapes text on output
        body = root.find("body")
        body.insert(1 if len(body) else 0, div)
    page.write_bytes(lxml_html.tostring(tree, doctype="<!DOCTYPE html>", encoding="utf-8"))


def _banner(run_name: str, outcome: dict[str, Any]) -> str:
    if outcome["outcome"] == "blocked":
        return (
            f"copydesk run {run_name}: blocked. Critical expectations failed "
            f"({', '.join(outcome['critical_failed'])}), so nothing of this run was published; "
            "its files are read again by the next run."
        )
    text = f"copydesk run {run_name}: published (every critical expectation passed)."
    if outcome["article_failed"]:
        text += (
            f" Article-level expectations failed ({', '.join(outcome['article_failed'])}): "
            f"the {outcome['articles_quarantined']} failing article(s) were quarantined, "
            "not the run. GX counts those expectations as failed below."
        )
    return text


def _prune(ctx: Any, docs_dir: Path, suite_name: str) -> None:
    """Keep the newest HISTORY validation results of the suite, with their pages."""
    store = ctx.validation_results_store
    keys = [k for k in store.list_keys() if k.expectation_suite_identifier.name == suite_name]
    keys.sort(key=lambda k: k.run_id.run_time or dt.datetime.min.replace(tzinfo=dt.UTC))
    for old in keys[: max(0, len(keys) - HISTORY)]:
        store.remove_key(old)
        run_name, run_time = old.run_id.to_tuple()
        for root in (docs_dir / "validations", docs_dir / RESULTS_FOLDER):
            folder = root.joinpath(*old.expectation_suite_identifier.to_tuple(), run_name)
            shutil.rmtree(folder / run_time, ignore_errors=True)
            _remove_if_empty(folder)


def _remove_if_empty(folder: Path) -> None:
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


def _escaped(value: Any) -> Any:
    """`value` with every string HTML-escaped and clipped, and every list capped."""
    if isinstance(value, str):
        clipped = value if len(value) <= _CHARS else value[: _CHARS - 1] + "…"
        return html.escape(clipped, quote=True)
    if isinstance(value, dict):
        return {_escaped(k) if isinstance(k, str) else k: _escaped(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_escaped(v) for v in list(value)[:_VALUES]]
    return value


def _remote(url: str | None) -> bool:
    return url is not None and url.strip().lower().startswith(("http:", "https:", "//"))
