"""The `copydesk` command refuses a mistake before any Prefect start-up: one line on stderr
naming it in the user's terms, no traceback, a non-zero exit status. Each test runs the
installed `copydesk` entry point in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[1]
COPYDESK = Path(sys.executable).with_name("copydesk")


def copydesk(
    *args: str, cwd: Path = REPO, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run `copydesk ARGS` with no COPYDESK_ or PREFECT_API_URL variables but `env`."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("COPYDESK_") and k not in ("PREFECT_API_URL", "PREFECT_PROFILE")
    }
    return subprocess.run(
        [str(COPYDESK), *args],
        cwd=cwd,
        env={**base, "COLUMNS": "200", **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def one_line_error(result: subprocess.CompletedProcess) -> str:
    """The single stderr line of a refused command, after checking the refusal's shape."""
    assert result.returncode != 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("copydesk: error: ")
    return lines[0]


@pytest.fixture
def prefect_home(tmp_path: Path) -> dict[str, str]:
    """A Prefect home with no profile: no API URL configured anywhere."""
    home = tmp_path / "prefect-home"
    home.mkdir()
    return {"PREFECT_HOME": str(home)}


@pytest.fixture
def warehouse_with_a_run(tmp_path: Path) -> tuple[Path, str]:
    """A warehouse file holding one finished run in audit.runs."""
    path = tmp_path / "corpus.duckdb"
    run_id = "0b5c7a8e-3f6d-4c1e-9a2b-7d4e5f6a7b8c"
    con = duckdb.connect(str(path))
    con.execute((REPO / "sql" / "schema.sql").read_text(encoding="utf-8"))
    con.execute(
        "insert into audit.runs (run_id, started_at, finished_at, status, input_dir, "
        "articles_read, published, duplicates, quarantined, stage_seconds) values "
        "(?, timestamp '2026-11-29 10:00:00', timestamp '2026-11-29 10:00:42.5', "
        "'published', 'in', 30, 27, 2, 1, '{\"scan\": 0.5}')",
        [run_id],
    )
    con.close()
    return path, run_id


@pytest.fixture
def locked_warehouse(tmp_path: Path):
    """A warehouse file that another process holds open for writing; yields (path, pid)."""
    path = tmp_path / "busy.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('ok', flush=True);"
            " time.sleep(60)",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "ok"
    yield path, holder.pid
    holder.kill()
    holder.wait()


def test_runs_on_a_missing_warehouse(tmp_path: Path):
    line = one_line_error(copydesk("runs", "--warehouse", str(tmp_path / "none.duckdb")))

    assert f"no warehouse at {tmp_path / 'none.duckdb'}" in line
    assert "--warehouse" in line
    assert not (tmp_path / "none.duckdb").exists()


def test_runs_on_a_locked_warehouse_names_the_process(locked_warehouse):
    path, pid = locked_warehouse

    line = one_line_error(copydesk("runs", "--warehouse", str(path)))

    assert f"warehouse {path} is in use by process {pid}" in line


def test_run_on_a_locked_warehouse_names_the_process(locked_warehouse, tmp_path: Path):
    path, pid = locked_warehouse
    (tmp_path / "in").mkdir()

    result = copydesk("run", "--input", str(tmp_path / "in"), "--warehouse", str(path))
    line = one_line_error(result)

    assert f"is in use by process {pid}" in line
    assert result.returncode == 75  # busy: try again later


def test_runs_on_a_file_that_is_not_duckdb(tmp_path: Path):
    path = tmp_path / "notes.duckdb"
    path.write_text("not a database\n", encoding="utf-8")

    line = one_line_error(copydesk("runs", "--warehouse", str(path)))

    assert f"{path} is not a DuckDB file" in line


def test_runs_on_a_duckdb_file_without_runs(tmp_path: Path):
    path = tmp_path / "other.duckdb"
    duckdb.connect(str(path)).close()

    line = one_line_error(copydesk("runs", "--warehouse", str(path)))

    assert "holds no copydesk runs" in line


def test_a_setting_that_is_not_a_number_names_the_variable():
    line = one_line_error(copydesk("run", env={"COPYDESK_BATCH_SIZE": "abc"}))

    assert "COPYDESK_BATCH_SIZE (or --batch-size) = 'abc'" in line
    assert "batch_size" not in line.replace("COPYDESK_BATCH_SIZE", "")


def test_a_list_setting_that_is_not_json_says_so():
    line = one_line_error(copydesk("run", env={"COPYDESK_EXCLUDE": "README*"}))

    assert "COPYDESK_EXCLUDE cannot be read" in line
    assert "JSON list" in line
    assert """'["README*",""" in line  # an example that works


def test_a_zero_batch_size_in_the_environment_is_refused():
    line = one_line_error(copydesk("run", env={"COPYDESK_BATCH_SIZE": "0"}))

    assert "COPYDESK_BATCH_SIZE (or --batch-size) = '0'" in line
    assert "1 or more" in line


def test_a_zero_batch_size_option_is_refused():
    line = one_line_error(copydesk("run", "--batch-size", "0"))

    assert "--batch-size" in line
    assert "copydesk run --help" in line


def test_serve_refuses_a_cron_in_words(prefect_home):
    line = one_line_error(copydesk("serve", "--cron", "every 5 minutes", env=prefect_home))

    assert "(or --cron) = 'every 5 minutes': not a cron schedule" in line
    assert "'0 2 * * *'" in line  # an example that works


def test_serve_refuses_a_cron_in_the_environment(prefect_home):
    line = one_line_error(
        copydesk("serve", env={**prefect_home, "COPYDESK_SCHEDULE_CRON": "0 25 * * *"})
    )

    assert "COPYDESK_SCHEDULE_CRON (or --cron) = '0 25 * * *': not a cron schedule" in line


def test_serve_without_a_prefect_server_says_how_to_start_one(prefect_home):
    line = one_line_error(copydesk("serve", env=prefect_home))

    assert "PREFECT_API_URL is not set" in line
    assert "prefect server start" in line


def test_serve_with_a_server_that_does_not_answer(prefect_home):
    env = {**prefect_home, "PREFECT_API_URL": "http://127.0.0.1:9/api"}

    line = one_line_error(copydesk("serve", env=env))

    assert "no Prefect server answers at http://127.0.0.1:9/api" in line


def test_a_remote_dask_scheduler_needs_a_reachable_server(prefect_home):
    line = one_line_error(
        copydesk("run", "--dask-address", "tcp://10.0.0.5:8786", env=prefect_home)
    )

    assert "cannot reach this run's temporary Prefect server" in line
    assert "PREFECT_API_URL" in line


def test_run_from_another_folder_is_refused_and_leaves_nothing(tmp_path: Path):
    line = one_line_error(copydesk("run", cwd=tmp_path))

    assert f"input folder data/raw not found in {tmp_path}" in line
    assert "--input" in line
    assert list(tmp_path.iterdir()) == []  # no data/warehouse.duckdb


def test_run_on_a_file_instead_of_a_folder():
    line = one_line_error(copydesk("run", "--input", "README.md"))

    assert "README.md (--input) is a file, not a folder" in line


def test_run_refuses_a_warehouse_named_like_a_layer(tmp_path: Path):
    (tmp_path / "in").mkdir()
    warehouse = tmp_path / "audit.duckdb"

    line = one_line_error(
        copydesk("run", "--input", str(tmp_path / "in"), "--warehouse", str(warehouse))
    )

    assert "named like one of its layers" in line
    assert not warehouse.exists()


def test_an_error_message_with_markup_is_printed_as_is(tmp_path: Path):
    line = one_line_error(copydesk("run", "--input", str(tmp_path / "a[/x]b[red]")))

    assert f"input folder {tmp_path / 'a[/x]b[red]'} not found" in line


def test_debug_shows_the_traceback(tmp_path: Path):
    missing = str(tmp_path / "none.duckdb")

    flag = copydesk("runs", "--warehouse", missing, "--debug")
    env = copydesk("runs", "--warehouse", missing, env={"COPYDESK_DEBUG": "1"})

    for result in (flag, env):
        assert result.returncode != 0
        assert "Traceback" in result.stderr
        assert "no warehouse at" in result.stderr


def test_runs_shows_what_matters_and_the_full_run_id(warehouse_with_a_run):
    path, run_id = warehouse_with_a_run

    result = copydesk("runs", "--warehouse", str(path))

    assert result.returncode == 0, result.stderr
    header = next(line for line in result.stdout.splitlines() if "status" in line).split()
    assert header[:8] == [
        "started", "status", "read", "published", "duplicates", "quarantined", "seconds", "run",
    ]  # fmt: skip
    row = next(line for line in result.stdout.splitlines() if run_id in line).split()
    assert row == ["2026-11-29", "10:00:00", "published", "30", "27", "2", "1", "42.5", run_id]


def test_runs_json_gives_every_column(warehouse_with_a_run):
    path, run_id = warehouse_with_a_run

    result = copydesk("runs", "--warehouse", str(path), "--json")

    assert result.returncode == 0, result.stderr
    [run] = json.loads(result.stdout)
    assert run["run_id"] == run_id
    assert run["published"] == 27
    assert run["stage_seconds"] == {"scan": 0.5}


def test_version():
    result = copydesk("--version")

    assert result.returncode == 0
    assert result.stdout.startswith("copydesk ")


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        ("run", ["COPYDESK_BATCH_SIZE", "default: 500", "COPYDESK_INPUT_DIR", "data/raw"]),
        ("serve", ["COPYDESK_SCHEDULE_CRON", "default: '0 2 * * *'"]),
        ("runs", ["COPYDESK_WAREHOUSE", "data/warehouse.duckdb", "default: 10"]),
    ],
)
def test_help_shows_defaults_and_variables(command: str, shown: list[str]):
    result = copydesk(command, "--help")

    assert result.returncode == 0
    text = " ".join(result.stdout.split())  # help lines wrap anywhere
    for item in shown:
        assert item in text.replace("│", "").replace("  ", " ")


def test_the_cli_module_imports_nothing_heavy():
    code = "import sys, flows.cli; print(' '.join(sorted(sys.modules)))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()

    heavy = {"prefect", "great_expectations", "dask", "distributed", "pandas", "duckdb"}
    assert heavy.isdisjoint(loaded)


def test_duckdb_shell_is_installed():
    shell = Path(sys.executable).with_name("duckdb")

    result = subprocess.run(
        [str(shell), "-c", "select 40 + 2"], capture_output=True, text=True, timeout=30
    )

    assert result.returncode == 0, result.stderr
    assert "42" in result.stdout


# ---- a run owns its processes (a real run of the sample corpus) --------------------------


def _children(pid: int) -> list[int]:
    """PIDs of the live processes whose parent is `pid` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start_run_and_find_server(tmp_path: Path) -> tuple[subprocess.Popen, int]:
    """A real `copydesk run`, once its flow is running, and the PID of the Prefect server it
    started."""
    home = tmp_path / "prefect-home"
    home.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("COPYDESK_") and k != "PREFECT_API_URL"
    }
    run = subprocess.Popen(
        [str(COPYDESK), "run", "--warehouse", str(tmp_path / "w.duckdb")],
        cwd=REPO,
        env={
            **env,
            "PREFECT_HOME": str(home),
            "COPYDESK_QUALITY_DIR": str(tmp_path / "q"),
            "COPYDESK_SERVER_KEEP_SECONDS": "0",  # the server owned by the run
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    servers: list[int] = []
    while time.monotonic() < deadline and run.poll() is None:
        servers = servers or [p for p in _children(run.pid) if "uvicorn" in _cmdline(p)]
        if servers and (tmp_path / "w.duckdb").exists():  # the flow has started its run
            return run, servers[0]
        time.sleep(0.05)
    run.kill()
    raise AssertionError(f"no flow running within 120 s; server processes seen: {servers}")


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.e2e
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT", "SIGKILL"])
def test_a_killed_run_leaves_no_server_behind(tmp_path: Path, signal_name: str):
    import signal

    run, server = _start_run_and_find_server(tmp_path)

    run.send_signal(getattr(signal, signal_name))
    run.wait(timeout=30)

    assert _gone_within(server, 10), f"Prefect server {server} outlived its run"
    if signal_name != "SIGKILL":  # stopped by its handler, which says so in its exit status
        assert run.returncode == 128 + getattr(signal, signal_name)


def test_a_run_that_may_wait_for_the_lock_goes_on_and_says_so(locked_warehouse, capsys):
    from flows.cli import Problem, check_warehouse_writable

    path, pid = locked_warehouse

    with pytest.raises(Problem):
        check_warehouse_writable(path, lock_wait=0)
    check_warehouse_writable(path, lock_wait=30)

    said = capsys.readouterr().err
    assert f"is in use by process {pid}" in said
    assert "waiting up to 30 s (COPYDESK_LOCK_WAIT_SECONDS)" in said


def test_dashboard_refuses_a_missing_warehouse_without_creating_it(tmp_path: Path):
    missing = tmp_path / "nothing.duckdb"

    line = one_line_error(copydesk("dashboard", "--warehouse", str(missing)))

    assert f"no warehouse at {missing}" in line
    assert not missing.exists()


def test_dashboard_goes_to_the_quality_folder_beside_the_warehouse(warehouse_with_a_run):
    path, _ = warehouse_with_a_run

    result = copydesk("dashboard", "--warehouse", str(path))

    assert result.returncode == 0, result.stderr
    written = path.parent / "quality" / "dashboard.html"
    assert result.stderr.strip() == f"dashboard: {written}"
    assert written.is_file()
