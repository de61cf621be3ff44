"""The `copydesk` command: run the pipeline, serve it on a schedule, show run history.

Every command checks its settings, arguments, paths, cron string and warehouse before
Prefect, Great Expectations or Dask are imported: a mistake ends within a second with one
line on stderr that names it in the user's terms and says how to fix it (`--debug` or
COPYDESK_DEBUG=1 shows the traceback). Keep the imports at the top of this module light."""

from __future__ import annotations

import json
import os
import signal
import sys
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    import duckdb

    from copydesk.settings import Settings
    from copydesk.summary import RunSummary

app = typer.Typer(
    help="Clean, deduplicate, validate and publish news articles into DuckDB.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)


BUSY = 75  # exit status when another process holds the warehouse: try again later


class Problem(Exception):
    """A mistake the user can fix: shown as one line, exit status `code`."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def say(message: str) -> None:
    """One line on stderr, printed as is (no Rich markup: a path may hold `[/x]`)."""
    sys.stderr.write(" ".join(message.split("\n")) + "\n")
    sys.stderr.flush()


def _default(env: str, value: object) -> str:
    # "\[" keeps Rich's help formatter from reading the brackets as markup and dropping them.
    return f"\\[env: {env}; default: {value}]"


InputOption = Annotated[
    Path | None,
    typer.Option(
        "--input",
        "-i",
        help="Folder of articles (.txt .md .html .htm .jsonl), read recursively. "
        + _default("COPYDESK_INPUT_DIR", "data/raw"),
    ),
]
WarehouseOption = Annotated[
    Path | None,
    typer.Option(
        "--warehouse",
        "-w",
        help="DuckDB file. " + _default("COPYDESK_WAREHOUSE", "data/warehouse.duckdb"),
    ),
]

_DEBUG = False


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"copydesk {version('copydesk')}")
        raise typer.Exit()


@app.callback()
def _options(
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            help="Show the traceback of an error. \\[env: COPYDESK_DEBUG=1; default: off]",
        ),
    ] = False,
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Clean, deduplicate, validate and publish news articles into DuckDB."""
    global _DEBUG
    _DEBUG = _DEBUG or debug


# ---- checks before Prefect --------------------------------------------------------------


def env_var(field: str) -> str:
    """The environment variable of a settings field."""
    return f"COPYDESK_{field.upper()}"


def load_settings(**overrides: Any) -> Settings:
    """The settings (COPYDESK_* variables, `overrides` on top), or a Problem naming the
    variable or option that is wrong and how to fix it."""
    from copydesk import settings

    try:
        return settings.load_settings(**overrides)
    except settings.SettingsError as exc:
        raise Problem(str(exc)) from None


def _origin(option: str, field: str, given: object) -> str:
    if given is not None:
        return option
    if env_var(field) in os.environ:
        return env_var(field)
    return "the default"


def check_input_dir(path: Path, origin: str) -> None:
    """A Problem unless `path` is a folder."""
    if path.is_dir():
        return
    if path.exists():
        raise Problem(
            f"{path} ({origin}) is a file, not a folder: pass the folder that holds the "
            f"articles, e.g. --input {path.parent}"
        )
    where = "" if path.is_absolute() else f" in {Path.cwd()}"
    raise Problem(
        f"input folder {path} not found{where} ({origin}): pass --input FOLDER or set "
        "COPYDESK_INPUT_DIR"
    )


def check_warehouse_path(path: Path) -> None:
    """A Problem for a warehouse path that cannot be a DuckDB file copydesk writes."""
    from copydesk.warehouse import check_name

    if path.is_dir():
        raise Problem(f"warehouse {path} is a folder: pass a file, e.g. {path / 'corpus.duckdb'}")
    try:
        check_name(path)
    except ValueError as exc:
        raise Problem(str(exc)) from None


def open_warehouse(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A connection to an existing warehouse file, or a Problem saying why there is none."""
    import duckdb

    from copydesk.warehouse import lock_holder

    if not path.exists():
        raise Problem(
            f"no warehouse at {path}: run `copydesk run` first, or pass --warehouse FILE "
            "or set COPYDESK_WAREHOUSE to the one you have"
        )
    check_warehouse_path(path)
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        holder = lock_holder(str(exc))
        if holder:
            raise Problem(
                f"warehouse {path} is in use by process {holder}, probably a copydesk run: "
                "wait for it to finish (DuckDB allows one writer), or stop it",
                code=BUSY,
            ) from exc
        if "not a valid DuckDB database file" in str(exc):
            raise Problem(
                f"{path} is not a DuckDB file: pass the .duckdb file that `copydesk run` wrote"
            ) from exc
        raise Problem(f"cannot open warehouse {path}: {exc}") from exc


def check_warehouse_writable(path: Path, lock_wait: float = 0.0) -> None:
    """A Problem if `copydesk run` could not write the warehouse: a bad name, a file that is
    not DuckDB, a lock held by another process (unless the run is to wait `lock_wait` seconds
    for it), or a folder it cannot create."""
    check_warehouse_path(path)
    if path.exists():
        try:
            open_warehouse(path, read_only=False).close()
        except Problem as exc:
            if lock_wait <= 0 or " is in use by " not in str(exc):
                raise
            say(f"{exc}; waiting up to {lock_wait:g} s (COPYDESK_LOCK_WAIT_SECONDS)")
        return
    folder = path.parent
    while not folder.exists():
        folder = folder.parent
    if not os.access(folder, os.W_OK):
        raise Problem(f"cannot create warehouse {path}: {folder} is not writable")


def configured_api_url() -> str | None:
    """The Prefect API URL set by PREFECT_API_URL or the active Prefect profile, if any."""
    url = os.environ.get("PREFECT_API_URL")
    if url:
        return url
    home = Path(os.environ.get("PREFECT_HOME", "~/.prefect")).expanduser()
    profiles = Path(os.environ.get("PREFECT_PROFILES_PATH", home / "profiles.toml")).expanduser()
    try:
        data = tomllib.loads(profiles.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    name = os.environ.get("PREFECT_PROFILE") or data.get("active") or "ephemeral"
    return data.get("profiles", {}).get(name, {}).get("PREFECT_API_URL") or None


def check_api(url: str) -> None:
    """A Problem unless a Prefect server answers at `url`."""
    from flows.server import healthy

    if not healthy(url):
        raise Problem(
            f"no Prefect server answers at {url} (PREFECT_API_URL): start it with "
            "`uv run prefect server start --host 127.0.0.1 --port 4200`, or fix the URL"
        )


# ---- commands ---------------------------------------------------------------------------


@app.command()
def run(
    input_dir: InputOption = None,
    warehouse_path: WarehouseOption = None,
    batch_size: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Files per batch (a batch also closes at 32 MB of input). "
            + _default("COPYDESK_BATCH_SIZE", 500),
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Processes that clean batches: a local Dask cluster when more than one. "
            + _default("COPYDESK_WORKERS", 1),
        ),
    ] = None,
    dask_address: Annotated[
        str | None,
        typer.Option(
            help="Clean batches on an existing Dask scheduler, e.g. tcp://10.0.0.5:8786. "
            + _default("COPYDESK_DASK_ADDRESS", "none"),
        ),
    ] = None,
) -> None:
    """Publish every new or changed article of the input folder (no Prefect server needed)."""
    cfg = load_settings(
        input_dir=input_dir,
        warehouse=warehouse_path,
        batch_size=batch_size,
        workers=workers,
        dask_address=dask_address,
    )
    check_input_dir(cfg.input_dir, _origin("--input", "input_dir", input_dir))
    check_warehouse_writable(cfg.warehouse, cfg.lock_wait_seconds)
    api_url = configured_api_url()
    if api_url:
        check_api(api_url)
    dask_address = cfg.dask_address
    if dask_address and not api_url and not _is_local(dask_address):
        raise Problem(
            f"the Dask workers at {dask_address} cannot reach this run's temporary Prefect "
            "server (it listens on 127.0.0.1): set PREFECT_API_URL to a server they can reach"
        )

    from flows.server import KeptServer, TemporaryServer

    server: KeptServer | TemporaryServer | None = None
    if not api_url:
        keep = cfg.server_keep_seconds
        server = KeptServer(keep) if keep > 0 else TemporaryServer()
    with _stopped_by_signals() as stopped:
        try:
            if server is not None:
                server.start()
                say(_server_line(server))
                # Prefect reads its settings when imported: the URL must be set before.
                os.environ["PREFECT_API_URL"] = server.api_url
            from copydesk.warehouse import WarehouseBusy
            from flows.publish_articles import PublishBlocked, with_workers

            if server is not None:
                server.wait()
            flow = with_workers(cfg.workers, dask_address)
            try:
                summary: RunSummary = flow(
                    input_dir=input_dir,
                    warehouse_path=warehouse_path,
                    batch_size=batch_size,
                    workers=cfg.workers,
                )
            except PublishBlocked as exc:
                say(f"nothing published: {exc}")
                raise typer.Exit(1) from None
            except WarehouseBusy as exc:
                raise Problem(str(exc), code=BUSY) from None
        except BaseException as exc:
            # A signal a library swallowed still stopped the run: whatever failed after it.
            signum = _stop_signal(exc, stopped) or stopped.signal
            if signum is None:
                raise
            name = signal.Signals(signum).name
            say(f"stopped by {name}: the run was ended and its workers stopped")
            raise typer.Exit(128 + signum) from None
        finally:
            if server is not None:
                _drain_prefect()
                server.stop()
    table = Table(title=f"copydesk run {summary.run_id}")
    table.add_column("what")
    table.add_column("count", justify="right")
    for row in summary.table_rows():
        table.add_row(row["what"], str(row["count"]))
    Console().print(table)
    Console().print(summary.one_line(), markup=False, highlight=False)
    say(f"quality dashboard: {cfg.quality_dir / 'dashboard.html'}")


def _server_line(server: object) -> str:
    """What the run says about the Prefect server it uses."""
    from flows.server import KeptServer

    if not isinstance(server, KeptServer):
        return "starting a temporary Prefect server for this run"
    kept = f"kept {server.keep:g} s after the last run (COPYDESK_SERVER_KEEP_SECONDS)"
    if server.reused:
        return f"using the Prefect server at {server.api_url}, {kept}"
    return f"starting a Prefect server at {server.api_url}, {kept}"


def _is_local(address: str) -> bool:
    """Whether a Dask scheduler address is on this machine."""
    from urllib.parse import urlsplit

    host = urlsplit(address if "://" in address else f"tcp://{address}").hostname
    return host in (None, "localhost", "127.0.0.1", "::1")


def _drain_prefect() -> None:
    """Send the logs and events Prefect still holds to the server, before it stops."""
    if "prefect" not in sys.modules:
        return
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=5)
    EventsWorker.drain_all(timeout=5)


def _stop_signal(exc: BaseException, stopped: _Stopped) -> int | None:
    """The signal that stopped the run, if `exc` comes from one: a KeyboardInterrupt from our
    handler, or Prefect's TerminationSignal when its flow engine had put its own handler in
    place, also when a library turned it into another error on the way (DuckDB raises
    "Query interrupted" with the signal's exception as its cause)."""
    # Prefect is imported by then if its handler was in place; never import it for this.
    termination = getattr(sys.modules.get("prefect.exceptions"), "TerminationSignal", ())
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, KeyboardInterrupt):
            return stopped.signal or signal.SIGINT
        if isinstance(current, termination):
            return int(current.signal)
        current = current.__cause__ or current.__context__
    return None


class _Stopped:
    signal: int | None = None


@contextmanager
def _stopped_by_signals() -> Iterator[_Stopped]:
    """SIGTERM (and SIGHUP) stop the run as Ctrl-C does: a KeyboardInterrupt, so the flow,
    its Dask cluster and the temporary server are shut down instead of left behind."""
    stopped = _Stopped()

    def interrupt(signum: int, frame: Any) -> None:
        stopped.signal = signum
        raise KeyboardInterrupt

    handled = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
    before = {s: signal.signal(s, interrupt) for s in handled}
    try:
        yield stopped
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)


@app.command()
def serve(
    input_dir: InputOption = None,
    warehouse_path: WarehouseOption = None,
    cron: Annotated[
        str | None,
        typer.Option(help="Cron schedule. " + _default("COPYDESK_SCHEDULE_CRON", "'0 2 * * *'")),
    ] = None,
) -> None:
    """Serve a deployment that runs the pipeline on a cron schedule (needs a Prefect server:
    PREFECT_API_URL)."""
    cfg = load_settings(schedule_cron=cron)
    check_input_dir(input_dir or cfg.input_dir, _origin("--input", "input_dir", input_dir))
    check_warehouse_path(warehouse_path or cfg.warehouse)
    api_url = configured_api_url()
    if not api_url:
        raise Problem(
            "copydesk serve needs a Prefect server that stays up, and PREFECT_API_URL is not "
            "set: start one with `uv run prefect server start --host 127.0.0.1 --port 4200 &` "
            "and `export PREFECT_API_URL=http://127.0.0.1:4200/api`"
        )
    check_api(api_url)
    from flows.publish_articles import with_workers

    params = {
        k: str(v)
        for k, v in {"input_dir": input_dir, "warehouse_path": warehouse_path}.items()
        if v
    }
    say(f"runs, logs and the schedule are in the Prefect UI: {api_url.removesuffix('/api')}")
    # One run per warehouse: a scheduled run that comes due while the last one still runs
    # waits for it in Prefect (state AwaitingConcurrencySlot) instead of starting beside it.
    with_workers(cfg.workers, cfg.dask_address).serve(
        name="copydesk-scheduled", cron=cfg.schedule_cron, parameters=params, global_limit=1
    )


@app.command("stop-server")
def stop_server() -> None:
    """Stop the Prefect server `copydesk run` keeps for this Prefect home (PREFECT_HOME, else
    ~/.prefect), unless a run is using it."""
    from flows.server import ServerError, prefect_home, stop_kept

    try:
        say(stop_kept(prefect_home()))
    except ServerError as exc:
        raise Problem(str(exc)) from exc


RUN_COLUMNS = (  # (header, SQL): what matters first, the full run id last
    ("started", "strftime(started_at, '%Y-%m-%d %H:%M:%S')"),
    ("status", "status"),
    ("read", "articles_read"),
    ("published", "published"),
    ("duplicates", "duplicates"),
    ("quarantined", "quarantined"),
    ("seconds", "round(epoch(finished_at - started_at), 1)"),
    ("run id", "run_id"),
)
JSON_COLUMNS = ("quarantine_by_reason", "removals_by_reason", "stage_seconds")


@app.command()
def runs(
    warehouse_path: WarehouseOption = None,
    last: Annotated[int, typer.Option(min=1, help="How many runs to show.")] = 10,
    as_json: Annotated[
        bool, typer.Option("--json", help="Every column of audit.runs as JSON, for scripts.")
    ] = False,
) -> None:
    """Show the most recent runs: status and where every article went."""
    import duckdb

    path = warehouse_path or load_settings().warehouse
    con = open_warehouse(path, read_only=True)
    try:
        # Never read a Python variable (this function is named `runs`) as a table.
        con.execute("set python_enable_replacements = false")
        # No query parameters: DuckDB imports pandas (a second) to inspect them.
        columns = "*" if as_json else ", ".join(expr for _, expr in RUN_COLUMNS)
        rel = con.execute(
            f"select {columns} from audit.runs order by started_at desc limit {int(last)}"
        )
        names = [d[0] for d in rel.description]
        rows = rel.fetchall()
    except duckdb.CatalogException as exc:
        raise Problem(f"{path} holds no copydesk runs (no table audit.runs)") from exc
    finally:
        con.close()
    if as_json:
        records = [dict(zip(names, row, strict=True)) for row in rows]
        for record in records:
            for key in JSON_COLUMNS:
                if isinstance(record.get(key), str):
                    record[key] = json.loads(record[key])
        sys.stdout.write(json.dumps(records, default=str, indent=2) + "\n")
        return
    from rich import box

    table = Table(box=box.SIMPLE_HEAD, title=f"runs in {path}", title_justify="left")
    for header, _ in RUN_COLUMNS:
        numeric = header in ("read", "published", "duplicates", "quarantined", "seconds")
        table.add_column(header, justify="right" if numeric else "left", no_wrap=True)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    out = Console()
    if not out.is_terminal:
        out.width = 160  # a pipe or a file: never cut the run ids
    out.print(table, markup=False, highlight=False, crop=False)


# ---- entry point ------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """The `copydesk` command: every mistake ends as one line on stderr and a non-zero exit
    status; `--debug` (anywhere on the line) or COPYDESK_DEBUG=1 shows the traceback."""
    global _DEBUG
    from typer.main import get_command

    args = list(sys.argv[1:] if argv is None else argv)
    if "--debug" in args:  # accepted after the command too: `copydesk run --debug`
        args = ["--debug", *(a for a in args if a != "--debug")]
    _DEBUG = os.environ.get("COPYDESK_DEBUG", "").lower() in ("1", "true", "yes", "on")
    command = get_command(app)
    try:
        status = command.main(args=args, prog_name="copydesk", standalone_mode=False)
    except Problem as exc:
        if _DEBUG:
            raise
        say(f"copydesk: error: {exc}")
        sys.exit(exc.code)
    except typer.Abort:
        say("copydesk: aborted")
        sys.exit(1)
    except Exception as exc:
        usage = getattr(exc, "format_message", None)
        if usage is not None and hasattr(exc, "exit_code"):  # a usage error of the parser
            context = getattr(exc, "ctx", None)
            name = context.command_path if context is not None else "copydesk"
            say(f"copydesk: error: {usage()} (see `{name} --help`)")
            sys.exit(exc.exit_code)
        if _DEBUG:
            raise
        say(
            f"copydesk: error: {type(exc).__name__}: {exc} "
            "(run again with --debug for the traceback)"
        )
        sys.exit(1)
    sys.exit(status if isinstance(status, int) else 0)


@app.command()
def dashboard(
    warehouse_path: WarehouseOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="HTML file. \\[default: dashboard.html in COPYDESK_QUALITY_DIR, else in the "
            "quality folder beside the warehouse]",
        ),
    ] = None,
) -> None:
    """Write the data-quality dashboard: one offline HTML file built from the warehouse."""
    cfg = load_settings(warehouse=warehouse_path)
    open_warehouse(cfg.warehouse, read_only=True).close()  # missing, foreign or held: one line
    from copydesk.dashboard import DASHBOARD_NAME, write_dashboard
    from copydesk.settings import temp_dir_for

    written = write_dashboard(
        cfg.warehouse,
        out or cfg.quality_dir / DASHBOARD_NAME,
        cfg.duckdb_memory_limit,
        temp_dir_for(cfg),
    )
    say(f"dashboard: {written}")


if __name__ == "__main__":
    main()
