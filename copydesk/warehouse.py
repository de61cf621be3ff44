"""The warehouse file: opening it (read-only, or for one run that holds it to the end), its
schema, and the SQL files every stage reads its statements from."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
LAYERS = ("raw", "staging", "audit", "published")  # the schemas of sql/schema.sql
_LOCK_RETRY_SECONDS = 0.5
_LOCK_HOLDER = re.compile(r"lock is held in (.*?) \(PID (\d+)\)")


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse file (a run, or a reader such as the CLI)."""


def lock_holder(message: str) -> str | None:
    """The process holding a DuckDB file ("1234 (/usr/bin/python3)"), from DuckDB's lock
    error message; None when the message is about something else."""
    found = _LOCK_HOLDER.search(message)
    return f"{found.group(2)} ({found.group(1)})" if found else None


def read_sql(name: str, **names: str) -> str:
    """The text of sql/<name>.sql; `names` fill {placeholders} that name tables or columns
    (values always travel as query parameters, never through this)."""
    text = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    return text.format(**names) if names else text


def check_name(path: Path) -> None:
    """Raise ValueError for a warehouse file named like one of its layers: DuckDB names the
    database after the file, and "audit.articles" would then be ambiguous."""
    if path.stem.lower() in LAYERS:
        raise ValueError(
            f"warehouse file {path.name!r} is named like one of its layers "
            f"({', '.join(LAYERS)}): choose another name, such as warehouse.duckdb"
        )


def _open(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    if read_only and not path.exists():
        raise FileNotFoundError(f"warehouse not found: {path}")
    check_name(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    if not read_only:
        try:
            con.execute(read_sql("schema"))
            drop_paragraph_keys(con)
        except BaseException:
            con.close()
            raise
    return con


# Tables a warehouse written before had a primary key on (see sql/schema.sql for why no more)
UNKEYED = ("paragraphs", "paragraph_clusters")


def drop_paragraph_keys(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Rebuild the UNKEYED tables that still have their primary key, without it (DuckDB cannot
    drop a key in place): each in one transaction, its rows copied over. Returns those rebuilt."""
    keyed = [
        table
        for (table,) in con.execute(
            "select table_name from duckdb_constraints() "
            "where database_name = current_database() and schema_name = 'published' "
            "and constraint_type = 'PRIMARY KEY' and list_contains(?, table_name)",
            [list(UNKEYED)],
        ).fetchall()
    ]
    for table in keyed:
        start = time.perf_counter()
        con.execute("begin transaction")
        try:
            con.execute(f"alter table published.{table} rename to {table}_keyed")
            con.execute(read_sql("schema"))  # creates the table anew, as it is now
            con.execute(f"insert into published.{table} by name from published.{table}_keyed")
            con.execute(f"drop table published.{table}_keyed")
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        log.info(
            "published.%s rebuilt without its primary key in %.1f s",
            table,
            time.perf_counter() - start,
        )
    return keyed


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse file, closed on exit; the schema exists when writable."""
    con = _open(path, read_only)
    try:
        yield con
    finally:
        con.close()


_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(i?)B\s*", re.IGNORECASE)


def size_bytes(text: str) -> int | None:
    """The bytes of a DuckDB memory size such as "2GB" or "512 MiB" (None if not one)."""
    match = _SIZE.fullmatch(text)
    if match is None:
        return None
    number, prefix, binary = match.groups()
    power = "KMGT".find(prefix.upper()) + 1 if prefix else 0
    return int(float(number) * (1024 if binary else 1000) ** power)


@contextmanager
def setting(
    con: duckdb.DuckDBPyConnection, name: str, value: str, restore: str | None = None
) -> Iterator[None]:
    """DuckDB's setting `name` at `value` while the block runs, then at `restore`, by default
    what it was (as DuckDB shows it: a memory limit shows rounded, so pass the configured one)."""
    (before,) = con.execute("select current_setting(?)", [name]).fetchall()[0]
    con.execute(f"set {name} = ?", [value])
    try:
        yield
    finally:
        con.execute(f"set {name} = ?", [before if restore is None else restore])


@contextmanager
def hold(
    path: Path,
    wait_seconds: float = 0.0,
    memory_limit: str | None = None,
    temp_dir: Path | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse open for writing for as long as the block runs: DuckDB's file lock keeps
    every other process out, so no second run can touch this run's staging or audit tables.

    Waits up to `wait_seconds` for another process to let go of the file, then raises
    WarehouseBusy naming the process that holds it. `memory_limit` bounds DuckDB's memory
    (e.g. "2GB"); past it, DuckDB spills to `temp_dir` (by default its own, "<file>.tmp"),
    which it creates when it first needs it."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            con = _open(path, read_only=False)
            break
        except duckdb.IOException as exc:
            holder = lock_holder(str(exc))
            if holder is None:
                raise  # not a lock: a broken or foreign file
            if time.monotonic() >= deadline:
                raise WarehouseBusy(
                    f"warehouse {path} is in use by process {holder} (another run, or a reader "
                    "that has it open): wait for it to finish, or stop it; this run read "
                    "nothing, and the next run picks up its files"
                ) from None
            log.info("warehouse %s is held by process %s; waiting", path, holder)
            time.sleep(_LOCK_RETRY_SECONDS)
    try:
        if memory_limit:
            con.execute("set memory_limit = ?", [memory_limit])
        if temp_dir is not None:
            con.execute("set temp_directory = ?", [str(temp_dir)])
        yield con
    finally:
        con.close()
