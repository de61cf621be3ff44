"""`copydesk run` keeps its Prefect server for the next run of the same Prefect home: the next
run finds it instead of starting one, both runs are in its history, it never holds the
warehouse, and it stops by itself once no run has used it for COPYDESK_SERVER_KEEP_SECONDS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
COPYDESK = Path(sys.executable).with_name("copydesk")
KEEP = 15  # seconds: long enough for the next run to start, short for the test

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]


def run(home: Path, warehouse: Path) -> subprocess.CompletedProcess:
    """`copydesk run` of the sample as a user runs it, with the test's Prefect home."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("COPYDESK_", "PREFECT_"))}
    env = {**base, "PREFECT_HOME": str(home), "COPYDESK_SERVER_KEEP_SECONDS": str(KEEP)}
    return subprocess.run(
        [str(COPYDESK), "run", "--warehouse", str(warehouse)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def flow_runs(api_url: str) -> list[dict]:
    """The flow runs the Prefect server at `api_url` holds."""
    request = urllib.request.Request(
        f"{api_url}/flow_runs/filter",
        data=b"{}",
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_the_next_run_finds_the_kept_server_which_stops_when_idle(tmp_path: Path):
    home, warehouse = tmp_path / "prefect-home", tmp_path / "corpus.duckdb"

    first = run(home, warehouse)
    assert first.returncode == 0, first.stderr
    assert "starting a Prefect server at" in first.stderr
    record = json.loads((home / "copydesk-server.json").read_text(encoding="utf-8"))
    server, api_url = record["pid"], f"http://127.0.0.1:{record['port']}/api"
    assert alive(server), "the server did not outlive its run"
    duckdb.connect(str(warehouse)).close()  # the server never holds the warehouse

    second = run(home, warehouse)  # nothing new
    assert second.returncode == 0, second.stderr
    assert f"using the Prefect server at {api_url}" in second.stderr
    assert json.loads((home / "copydesk-server.json").read_text())["pid"] == server

    runs = flow_runs(api_url)  # both runs are real flow runs in the server's history
    assert sorted(r["state_type"] for r in runs) == ["COMPLETED", "COMPLETED"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        ids = {str(r[0]) for r in con.execute("select run_id from audit.runs").fetchall()}
    assert ids == {r["id"] for r in runs}

    deadline = time.monotonic() + KEEP + 60
    while alive(server) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not alive(server), f"the server was still up {KEEP + 60} s after the last run"


def why_not_found(server) -> str:
    """What the first server's process was when the second run looked for it: a failure of
    the test below once in some ten CI runs has not been reproduced."""
    status = server._process.poll() if server._process is not None else "not launched here"
    try:
        command = Path(f"/proc/{server.pid}/cmdline").read_bytes()
    except OSError as error:
        command = str(error).encode()
    log = server.home / "copydesk-server.log"
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
    return f"first server: exit status {status}, cmdline {command!r}, log:\n{tail}"


def test_a_run_that_starts_while_the_server_boots_uses_it(tmp_path: Path, monkeypatch):
    from flows.server import KeptServer

    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect-home"))
    first, second = KeptServer(KEEP), KeptServer(KEEP)
    first.start()
    try:
        second.start()  # the first one's server is still booting: nothing answers yet
        assert (second.pid, second.port, second.reused) == (first.pid, first.port, True), (
            why_not_found(first)
        )
        assert second.wait() == first.wait()
    finally:
        first.stop()
        second.stop()
        if first.pid is not None:
            os.kill(first.pid, 15)
            deadline = time.monotonic() + 30
            while alive(first.pid) and time.monotonic() < deadline:
                time.sleep(0.2)


def test_stop_server_stops_the_kept_server_unless_a_run_uses_it(tmp_path: Path, monkeypatch):
    from flows.server import KeptServer

    home = tmp_path / "prefect-home"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("COPYDESK_", "PREFECT_"))},
        "PREFECT_HOME": str(home),
    }

    def stop_server() -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(COPYDESK), "stop-server"], env=env, capture_output=True, text=True, timeout=120
        )

    nothing = stop_server()
    assert (nothing.returncode, nothing.stderr.strip()) == (
        0,
        f"no kept Prefect server for {home}",
    )

    monkeypatch.setenv("PREFECT_HOME", str(home))
    server = KeptServer(KEEP)  # as a run: launched, and held until stop()
    server.start()
    server.wait()
    busy = stop_server()
    assert busy.returncode == 2
    assert f"a run is using the kept Prefect server of {home} (pid {server.pid})" in busy.stderr
    assert alive(server.pid)

    server.stop()  # the run ends; the server stays up for the next one
    assert alive(server.pid)
    stopped = stop_server()
    assert stopped.returncode == 0, stopped.stderr
    assert f"stopped the kept Prefect server of {home} (pid {server.pid}" in stopped.stderr
    assert not alive(server.pid)
