"""A data-quality dashboard of the warehouse: one self-contained HTML file.

`write_dashboard(warehouse, out)` opens the warehouse read-only, aggregates in DuckDB (the SQL
in sql/dashboard/, every list capped: the last RUNS runs in charts and history, the top
TOP_SOURCES sources, top-N drill-downs), and writes one HTML file that makes no network request:
its charts' JavaScript is inlined, and a Content-Security-Policy forbids any request.

Charts are Vega-Lite specifications built with altair (a dependency of Great Expectations,
so already installed) and drawn by Vega. The Vega, Vega-Lite and Vega-Embed JavaScript comes
from the vl-convert-python wheel (`vl_convert.javascript_bundle`), which bundles it offline:
about 0.9 MB inlined, against about 4.6 MB for plotly.min.js, which the plotly wheel ships.
Bundling takes ~4 s the first time, so the bundle is cached beside the dashboard
(`.vega-<versions>.js`) and later builds only read it.

Safety: every value read from the warehouse (titles, sources, file names, rule ids, details)
reaches the page through a Jinja2 template with autoescaping, or inside a chart's JSON, which
is embedded with `<`, `>` and `&` written as \\u escapes so it cannot close its script tag.
Vega draws chart labels as SVG text, never as markup.

From a run: call `write_dashboard(cfg.warehouse, cfg.quality_dir / DASHBOARD_NAME,
cfg.duckdb_memory_limit, temp_dir_for(cfg))` once the run's last warehouse connection is closed
(DuckDB refuses a read-only connection in a process that holds the file read-write), after a
published run and after a blocked one alike. It costs about 0.4 s on the sample and 4 s at a
million articles (peak RSS 1.7 GB; 5.3 GB and 7-9 s with DuckDB's default limit) once altair
is imported (GX imports it) and the Vega bundle is cached; the first build beside a new
warehouse bundles Vega (~4 s). It raises on a missing or locked warehouse; a run should log
that and go on.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb
import jinja2

from copydesk.settings import quality_dir_for
from copydesk.warehouse import read_sql

log = logging.getLogger(__name__)

RUNS = 30  # runs in the history table and the charts
TOP_SOURCES = 50  # sources in the sources table, worst first
TOP = 10  # rows of each drill-down
FILES = 5  # file names shown per quarantine reason
DRIFT_MIN_RUNS = 3  # earlier runs a source needs before its latest run can be marked as moved
DASHBOARD_NAME = "dashboard.html"
_ARTICLE_ID = re.compile(r"\b[0-9a-f]{20}\b")  # copydesk's article ids, as quoted in details
_CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)  # Vega compiles its expressions with Function(): hence 'unsafe-eval'.


@dataclass(frozen=True, slots=True)
class Chart:
    """One Vega-Lite chart: its element id, title, what it answers, spec and data rows."""

    key: str
    title: str
    answers: str
    spec: dict[str, Any]
    rows: int  # data rows drawn: one bar segment or one point each
    mark: str  # "rect" for bars, "symbol" for points on lines


def default_path(warehouse_path: Path) -> Path:
    """Where the dashboard of a warehouse goes by default: quality/dashboard.html beside it."""
    return quality_dir_for(Path(warehouse_path)) / DASHBOARD_NAME


def write_dashboard(
    warehouse_path: Path,
    out_path: Path | None = None,
    memory_limit: str | None = None,
    temp_dir: Path | None = None,
) -> Path:
    """Write the dashboard of the warehouse at `warehouse_path` to `out_path` (default:
    default_path) and return its path. Opens the warehouse read-only; raises if it cannot.
    `memory_limit` and `temp_dir` bound DuckDB as a run's do (its default: 80% of the RAM,
    which its aggregates took 6 GB of at a million articles)."""
    start = time.perf_counter()
    warehouse_path = Path(warehouse_path)
    out = Path(out_path) if out_path is not None else default_path(warehouse_path)
    if not warehouse_path.is_file():
        raise FileNotFoundError(f"warehouse not found: {warehouse_path}")
    con = duckdb.connect(str(warehouse_path), read_only=True)
    try:
        con.execute("set enable_progress_bar = false")  # DuckDB would draw it on stdout
        if memory_limit:
            con.execute("set memory_limit = ?", [memory_limit])
        if temp_dir is not None:
            con.execute("set temp_directory = ?", [str(temp_dir)])
        data = _gather(con)
    finally:
        con.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    charts = _charts(data)
    page = _TEMPLATE.render(
        warehouse=str(warehouse_path),
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        csp=_CSP,
        vega_js=_script_safe(_vega_bundle(out.parent)),
        charts=charts,
        # The GX Data Docs index, when they are built in the same folder (the default)
        data_docs="index.html" if (out.parent / "index.html").is_file() else None,
        specs={c.key: _json_for_script(c.spec) for c in charts},
        limits={
            "runs": RUNS,
            "sources": TOP_SOURCES,
            "top": TOP,
            "files": FILES,
            "drift_runs": DRIFT_MIN_RUNS,
        },
        **data,
    )
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    log.info("dashboard %s written in %.2f s", out, time.perf_counter() - start)
    return out


def _rows(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> list[dict[str, Any]]:
    cursor = con.execute(read_sql(f"dashboard/{name}"), params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _gather(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Every number and list the page shows, aggregated in DuckDB."""
    runs = _rows(con, "runs", runs=RUNS)
    for seq, run in enumerate(runs, 1):
        run["label"] = f"{seq:>2} · {run['run_id'][:8]}"
        run["removals"] = json.loads(run["removals_by_reason"] or "{}")
        run["quarantines"] = json.loads(run["quarantine_by_reason"] or "{}")
    latest = runs[-1] if runs else None
    published = [r for r in runs if r["status"] == "published"]
    last_published = published[-1] if published else None
    data: dict[str, Any] = {
        "runs": runs,
        "latest": latest,
        "last_published": last_published,
        "health": _health(runs),
        "duplicates": _rows(con, "duplicate_share", runs=RUNS),
        "expectations": _rows(con, "expectations", runs=RUNS),
        "sources": _sources(_rows(con, "sources", runs=RUNS), runs),
        "failures": [],
        "quarantine": [],
        "rules": [],
        "clusters": [],
    }
    if latest is not None:
        data["failures"] = _failures(con, latest["run_id"])
    if last_published is not None:
        run_id = last_published["run_id"]
        data["quarantine"] = _rows(con, "latest_quarantine", run=run_id, files=FILES)
        data["rules"] = _rows(con, "latest_rules", run=run_id, top=TOP)
        data["clusters"] = _rows(con, "latest_clusters", run=run_id, top=TOP)
    return data


def _failures(con: duckdb.DuckDBPyConnection, run_id: str) -> list[dict[str, Any]]:
    """Failed expectations of the run, each with the article ids its detail quotes and the
    file each came from."""
    failures = _rows(con, "latest_failures", run=run_id)
    ids = sorted({i for f in failures for i in _ARTICLE_ID.findall(f["detail"] or "")})
    files = {}
    if ids and _has_table(con, "audit", "articles"):  # a run's audit batch; none before one
        files = {
            r["article_id"]: r["source_file"]
            for r in _rows(con, "failure_examples", run=run_id, ids=ids)
        }
    for failure in failures:
        quoted = dict.fromkeys(_ARTICLE_ID.findall(failure["detail"] or ""))
        failure["examples"] = [
            {"article_id": i, "source_file": files.get(i, "")} for i in list(quoted)[:3]
        ]
    return failures


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    found = con.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(found and found[0])


def _health(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The latest run against the median of the runs before it, one line per measure."""
    if not runs:
        return []
    latest, earlier = runs[-1], [r for r in runs[:-1] if r["status"] == "published"]

    def share(run: dict[str, Any], field: str) -> float | None:
        return run[field] / run["articles_read"] if run["articles_read"] else None

    measures = [
        ("quarantined share", lambda r: share(r, "quarantined"), True),
        ("duplicate share", lambda r: share(r, "duplicates"), True),
        ("removed spans per article", lambda r: share(r, "removed_spans"), True),
        ("wall seconds", lambda r: r["wall_seconds"], False),
    ]
    lines = [
        {
            "what": "status",
            "latest": latest["status"],
            "usual": "published",
            "unusual": latest["status"] != "published",
        }
    ]
    for name, measure, is_share in measures:
        now = measure(latest)
        before = [v for v in map(measure, earlier) if v is not None]
        usual = statistics.median(before) if before else None
        unusual = (
            now is not None
            and usual is not None
            and len(before) >= 2
            and abs(now - usual) > (0.05 if is_share else 5.0)
            and (now > 2 * usual or now < usual / 2)
        )  # twice or half the usual, ignoring tiny absolute moves
        lines.append(
            {
                "what": name,
                "latest": _fmt(now, is_share),
                "usual": _fmt(usual, is_share),
                "unusual": unusual,
            }
        )
    return lines


def _fmt(value: float | None, is_share: bool) -> str:
    if value is None:
        return "–"
    return f"{value:.1%}" if is_share and value <= 1 else f"{value:.2f}"


def _sources(rows: list[dict[str, Any]], runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The sources table: worst first (moved from its history, then most text removed, then
    most quarantined), capped at TOP_SOURCES."""
    order = {r["run_id"]: i for i, r in enumerate(runs)}
    for row in rows:
        history = sorted(
            (h for h in row["history"] if h["run_id"] in order), key=lambda h: order[h["run_id"]]
        )
        row["moved"] = _moved(history)
        row["quarantine_share"] = row["quarantined"] / max(1, row["articles"] + row["quarantined"])
    rows.sort(
        key=lambda r: (
            not r["moved"],
            -(r["removed_share"] or 0.0),
            -r["quarantine_share"],
            r["source"],
        )
    )
    return {"rows": rows[:TOP_SOURCES], "total": len(rows)}


def _moved(history: list[dict[str, Any]]) -> str:
    """How the source's latest run differs from its earlier ones, "" when it does not: share
    removed more than 3 standard deviations (and 10 points) away, or mean words halved or
    doubled, over at least DRIFT_MIN_RUNS earlier runs."""
    if len(history) <= DRIFT_MIN_RUNS:
        return ""
    *earlier, last = history
    notes = []
    shares = [h["removed_share"] for h in earlier if h["removed_share"] is not None]
    if last["removed_share"] is not None and len(shares) >= DRIFT_MIN_RUNS:
        mean, sd = statistics.fmean(shares), statistics.pstdev(shares)
        if abs(last["removed_share"] - mean) > max(3 * sd, 0.10):
            notes.append(f"text removed {last['removed_share']:.0%} (usually {mean:.0%})")
    words = [h["mean_words"] for h in earlier if h["mean_words"]]
    if last["mean_words"] and len(words) >= DRIFT_MIN_RUNS:
        usual = statistics.median(words)
        if not usual / 2 <= last["mean_words"] <= usual * 2:
            notes.append(f"mean words {last['mean_words']:.0f} (usually {usual:.0f})")
    return "; ".join(notes)


def _charts(data: dict[str, Any]) -> list[Chart]:
    import altair as alt

    runs = data["runs"]
    labels = [r["label"] for r in runs]
    x = alt.X("run:N", sort=labels, title="run (oldest → newest)", axis=alt.Axis(labelAngle=-45))
    charts = []

    def stacked(
        key: str,
        title: str,
        answers: str,
        rows: list[dict[str, Any]],
        legend: str,
        colors: dict[str, str] | None = None,
    ) -> None:
        scale = alt.Scale(domain=list(colors), range=list(colors.values())) if colors else None
        spec = (
            alt.Chart(alt.Data(values=rows), height=220, width="container")
            .mark_bar()
            .encode(
                x=x,
                y=alt.Y("count:Q", title=legend),
                color=alt.Color("what:N", title=None, scale=scale or alt.Undefined),
                tooltip=["run:N", "status:N", "what:N", "count:Q"],
            )
            .to_dict()
        )
        charts.append(Chart(key, title, answers, spec, len(rows), "rect"))

    outcome_rows = []
    for r in runs:
        blocked = r["status"] != "published"
        parts = {
            "held back (run not published)" if blocked else "published": r["published"],
            "duplicates": r["duplicates"],
            "quarantined": r["quarantined"],
        }
        outcome_rows += [
            {"run": r["label"], "status": r["status"], "what": k, "count": v}
            for k, v in parts.items()
            if v
        ]
    stacked(
        "outcomes",
        "Articles per run",
        "Where each run's articles went; a run that did not publish shows what it held back.",
        outcome_rows,
        "articles",
        {
            "published": "#2e7d32",
            "duplicates": "#1f77b4",
            "quarantined": "#f28e2b",
            "held back (run not published)": "#b0b7c3",
        },
    )

    def by_reason(key: str) -> list[dict[str, Any]]:
        return [
            {"run": r["label"], "status": r["status"], "what": k, "count": v}
            for r in runs
            for k, v in sorted(r[key].items())
            if v
        ]

    stacked(
        "removals",
        "Removed spans by reason",
        "Which kinds of boilerplate each run removed, and whether one reason jumped.",
        by_reason("removals"),
        "spans",
    )
    stacked(
        "quarantine",
        "Quarantined by reason",
        "Why files and articles were held back, per run.",
        by_reason("quarantines"),
        "files and articles",
    )

    by_run: dict[str, dict[str, int]] = {}
    for row in data["duplicates"]:
        by_run.setdefault(row["run_id"], {})[row["relation"]] = row["articles"]
    dup_rows = []
    for r in runs:
        counts = by_run.get(r["run_id"])
        if not counts:
            continue  # published no article (blocked, or nothing new)
        total = sum(counts.values())
        dup_rows += [
            {"run": r["label"], "relation": rel, "share": counts.get(rel, 0) / total}
            for rel in ("exact", "near", "teaser")
        ]
    charts.append(
        _lines(
            "duplicate-share",
            "Duplicate share",
            "Share of each run's published articles that copy an earlier one: exact, near, teaser.",
            dup_rows,
            x,
            "relation",
            "share",
            "share of articles",
        )
    )

    label_of = {r["run_id"]: r["label"] for r in runs}
    pass_rows = []
    for row in data["expectations"]:
        if row["rows_checked"]:
            rate = 1 - row["unexpected_count"] / row["rows_checked"]
        else:
            rate = 1.0 if row["success"] else 0.0
        name = row["check_name"].removeprefix("expect_column_values_to_").replace("_", " ")
        pass_rows.append({"run": label_of[row["run_id"]], "expectation": name, "rate": rate})
    charts.append(
        _lines(
            "expectations",
            "Expectation pass rate",
            "Share of articles passing each expectation, per run (1 = every article passed).",
            pass_rows,
            x,
            "expectation",
            "rate",
            "rows passing",
        )
    )
    charts.append(
        _lines(
            "wall",
            "Wall time",
            "Seconds from start to end of each run.",
            [
                {"run": r["label"], "what": "wall seconds", "seconds": r["wall_seconds"]}
                for r in runs
                if r["wall_seconds"] is not None
            ],
            x,
            "what",
            "seconds",
            "seconds",
        )
    )
    return charts


def _lines(
    key: str,
    title: str,
    answers: str,
    rows: list[dict[str, Any]],
    x: Any,
    series: str,
    value: str,
    axis: str,
) -> Chart:
    import altair as alt

    y = alt.Y(f"{value}:Q", title=axis)
    if value in ("share", "rate"):
        y = alt.Y(f"{value}:Q", title=axis, axis=alt.Axis(format="%"))
    spec = (
        alt.Chart(alt.Data(values=rows), height=220, width="container")
        .mark_line(point=True)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                f"{series}:N",
                title=None,
                legend=alt.Legend(orient="bottom", columns=2, labelLimit=320),
            ),
            tooltip=["run:N", f"{series}:N", f"{value}:Q"],
        )
        .to_dict()
    )
    return Chart(key, title, answers, spec, len(rows), "symbol")


@cache
def _vega_bundle_text() -> str:
    import vl_convert

    # No snippet: the standard bundle (its stub omits the argument's default of None).
    return vl_convert.javascript_bundle(vl_version=_vl_version())  # type: ignore[call-arg]


def _vl_version() -> str:
    import altair as alt

    return ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])  # v6.4.1 -> 6.4


def _vega_bundle(folder: Path) -> str:
    """Vega, Vega-Lite and Vega-Embed as one script, cached in `folder` per version."""
    cached = folder / f".vega-{version('vl-convert-python')}-vl{_vl_version()}.js"
    if cached.is_file():
        return cached.read_text(encoding="utf-8")
    text = _vega_bundle_text()
    tmp = cached.with_name(cached.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(cached)
    return text


def _script_safe(js: str) -> str:
    """Trusted script text that cannot end its <script> element early."""
    return re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE)


def _json_for_script(value: Any) -> str:
    """JSON to embed in a <script> element: no character of it can start a tag or entity."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_TEMPLATE = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
).get_template("dashboard.html.j2")
