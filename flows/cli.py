"""The `copydesk` command: run the pipeline, serve it on a schedule, show run history."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    help="Clean, deduplicate, validate and publish news articles into DuckDB.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)

InputOption = Annotated[
    Path | None,
    typer.Option(
        "--input",
        "-i",
        help="Folder of articles (.txt .md .html .htm .jsonl), read recursively. "
        "[default: COPYDESK_INPUT_DIR or data/raw]",
    ),
]
WarehouseOption = Annotated[
    Path | None,
    typer.Option(
        "--warehouse",
        "-w",
        help="DuckDB file. [default: COPYDESK_WAREHOUSE or data/warehouse.duckdb]",
    ),
]


@app.command()
def run(
    input_dir: InputOption = None,
    warehouse_path: WarehouseOption = None,
    batch_size: Annotated[int | None, typer.Option(help="Files per batch.")] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Processes that clean batches: a local Dask cluster when more than one."),
    ] = None,
    dask_address: Annotated[
        str | None,
        typer.Option(help="Clean batches on an existing Dask scheduler, e.g. tcp://10.0.0.5:8786."),
    ] = None,
) -> None:
    """Publish every new or changed article of the input folder (no Prefect server needed)."""
    if input_dir is not None and not input_dir.is_dir():
        console.print(f"[red]error:[/red] input folder not found: {input_dir}")
        raise typer.Exit(2)
    from copydesk.settings import Settings
    from copydesk.warehouse import check_name
    from flows.publish_articles import PublishBlocked, prefect_api_for_workers, with_workers

    cfg = Settings()
    try:
        check_name(warehouse_path or cfg.warehouse)
    except ValueError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    workers = workers or cfg.workers
    dask_address = dask_address or cfg.dask_address
    flow = with_workers(workers, dask_address)
    on_dask = workers > 1 or dask_address is not None
    try:
        with prefect_api_for_workers() if on_dask else nullcontext():
            summary = flow(
                input_dir=input_dir,
                warehouse_path=warehouse_path,
                batch_size=batch_size,
                workers=workers,
            )
    except PublishBlocked as exc:
        console.print(f"[red]nothing published[/red]: {exc}")
        raise typer.Exit(1) from None
    table = Table(title=f"copydesk run {summary.run_id}")
    table.add_column("what")
    table.add_column("count", justify="right")
    for row in summary.table_rows():
        table.add_row(row["what"], str(row["count"]))
    Console().print(table)
    Console().print(summary.one_line())


@app.command()
def serve(
    input_dir: InputOption = None,
    warehouse_path: WarehouseOption = None,
    cron: Annotated[
        str | None,
        typer.Option(help="Cron schedule. [default: COPYDESK_SCHEDULE_CRON or '0 2 * * *']"),
    ] = None,
) -> None:
    """Serve a deployment that runs the pipeline on a cron schedule (needs PREFECT_API_URL)."""
    from copydesk.settings import Settings
    from flows.publish_articles import with_workers

    cfg = Settings()
    params = {
        k: str(v)
        for k, v in {"input_dir": input_dir, "warehouse_path": warehouse_path}.items()
        if v
    }
    with_workers(cfg.workers, cfg.dask_address).serve(
        name="copydesk-scheduled", cron=cron or cfg.schedule_cron, parameters=params
    )


@app.command()
def runs(
    warehouse_path: WarehouseOption = None,
    last: Annotated[int, typer.Option(help="How many runs to show.")] = 10,
) -> None:
    """Show the most recent runs: status and where every article went."""
    from copydesk import warehouse
    from copydesk.settings import Settings

    path = warehouse_path or Settings().warehouse
    with warehouse.connect(path, read_only=True) as con:
        rel = con.sql(
            "select run_id, started_at, status, files_seen, files_unchanged, articles_read, "
            "published, duplicates, quarantined, removed_spans from audit.runs "
            f"order by started_at desc limit {int(last)}"
        )
        Console().print(rel)


@app.command()
def dashboard(
    warehouse_path: WarehouseOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="HTML file. [default: dashboard.html in COPYDESK_QUALITY_DIR, else in the "
            "quality folder beside the warehouse]",
        ),
    ] = None,
) -> None:
    """Write the data-quality dashboard: one offline HTML file built from the warehouse."""
    from copydesk.dashboard import DASHBOARD_NAME, write_dashboard
    from copydesk.settings import Settings

    cfg = Settings(warehouse=warehouse_path) if warehouse_path else Settings()
    import duckdb

    try:
        written = write_dashboard(cfg.warehouse, out or cfg.quality_dir / DASHBOARD_NAME)
    except FileNotFoundError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    except duckdb.IOException as exc:  # a run holds the file: DuckDB has one writer
        console.print(f"[red]error:[/red] {exc}; try again when the run has finished")
        raise typer.Exit(1) from None
    Console().print(f"dashboard: {written}")


if __name__ == "__main__":
    app()
