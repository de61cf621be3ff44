"""The Prefect API server of `copydesk run`, started before Prefect is imported so it boots
while the flow's modules load: either one owned by a single run and tied to it
(TemporaryServer), or one kept for the runs of a Prefect home until it has been idle for a
while (KeptServer), which the next run finds already up.

Prefect's own temporary server (`SubprocessASGIServer`) is stopped by an `atexit` hook, which a
SIGTERM or SIGKILL skips: each killed run used to leave a `uvicorn` process behind. This one
runs the same command, but on Linux the kernel sends it SIGTERM when its parent dies
(`prctl(PR_SET_PDEATHSIG)`), whatever the death; and it runs in its own session, so a Ctrl-C
reaches the run, which then stops the server after its last report to it."""

from __future__ import annotations

import ctypes
import fcntl
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PORT_IN_USE = 3  # uvicorn's exit status when it cannot bind


class ServerError(RuntimeError):
    """The server did not start."""


def _die_with(parent: int):
    """A preexec_fn asking the kernel to SIGTERM the child when `parent` dies."""

    def preexec() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(api_url: str, timeout: float = 2.0) -> bool:
    """Whether a Prefect API answers its health check at `api_url`."""
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


class TemporaryServer:
    """A Prefect API server on a free local port for the life of this process (no UI)."""

    def __init__(self, startup_timeout: float | None = None) -> None:
        timeout = os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
        self.startup_timeout = startup_timeout or float(timeout)
        self.port: int | None = None
        self.process: subprocess.Popen | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> None:
        """Launch the server process; `wait()` waits for it to answer."""
        self.port = _free_port()
        linux = sys.platform.startswith("linux")
        self.process = subprocess.Popen(
            _uvicorn_command(self.port),
            env=_server_env(),
            start_new_session=True,
            preexec_fn=_die_with(os.getpid()) if linux else None,
        )

    def wait(self) -> str:
        """Wait until the server answers; returns its API URL."""
        assert self.process is not None, "start() first"
        try:
            _wait_healthy(self.api_url, self.process.poll, self.startup_timeout, self.port)
        except ServerError:
            self.stop()
            raise
        return self.api_url

    def stop(self) -> None:
        """Stop the server: SIGTERM, then SIGKILL after 5 s."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> TemporaryServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _uvicorn_command(port: int) -> list[str]:
    """The command of prefect.server.api.server.SubprocessASGIServer, without the UI."""
    spec = importlib.util.find_spec("prefect")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise ServerError("prefect is not installed in this environment")
    app_dir = Path(next(iter(spec.submodule_search_locations))).parent
    return [
        *(sys.executable, "-m", "uvicorn", "--app-dir", str(app_dir)),
        *("--factory", "prefect.server.api.server:create_app"),
        *("--host", "127.0.0.1", "--port", str(port)),
        *("--log-level", "error", "--lifespan", "on"),
    ]


def _server_env() -> dict[str, str]:
    """The environment of SubprocessASGIServer: this process's, without an API URL."""
    env = {
        **os.environ,
        "PREFECT_UI_ENABLED": "0",
        "PREFECT__SERVER_EPHEMERAL": "1",
        "PREFECT__SERVER_FINAL": "1",
    }
    env.pop("PREFECT_API_URL", None)
    return env


def _wait_healthy(api_url: str, poll, timeout: float, port: int | None) -> None:
    """Return once the server at `api_url` answers; ServerError if its process (`poll()`
    gives its exit status) ends first or it does not answer within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = poll()
        if status == PORT_IN_USE:  # another process took the port meanwhile
            # Prefect already holds this URL (it reads it when imported): never move.
            raise ServerError(
                f"port {port} was taken before the Prefect server could use it: run again"
            )
        if status is not None:
            raise ServerError(f"the Prefect server exited with status {status} at start-up")
        if healthy(api_url, timeout=1.0):
            return
        time.sleep(0.1)
    raise ServerError(
        f"the Prefect server did not answer within {timeout:.0f} s "
        "(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS)"
    )


# ---- a server kept between runs ---------------------------------------------------------
#
# Files in the Prefect home: RECORD names the kept server (pid, port, the Python and Prefect
# it runs); every run holds a shared lock on IN_USE while it runs, so the server knows when
# none does (it takes the lock exclusively) and how long it has been idle.
RECORD = "copydesk-server.json"
IN_USE = "copydesk-server.lock"
LOG = "copydesk-server.log"
POLL_SECONDS = 2.0


def prefect_home() -> Path:
    """The Prefect home of this process (PREFECT_HOME, else ~/.prefect)."""
    return Path(os.environ.get("PREFECT_HOME", "~/.prefect")).expanduser()


def _identity() -> dict[str, str]:
    """What a kept server must share with a run to serve it: the Python and its Prefect."""
    from importlib.metadata import version

    return {"python": sys.executable, "prefect": version("prefect")}


def _alive(pid: int) -> bool:
    """Whether process `pid` runs (an exited one its parent has not reaped yet does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc: the signal said it exists
    return state != "Z"


class KeptServer:
    """A Prefect API server shared by the runs of one Prefect home: the first run starts it,
    later runs find it up, and it stops itself once no run has used it for `keep` seconds (or
    when its home is deleted). It never holds a warehouse: only Prefect's own database.

    Use: `start()` (finds or launches it; takes this run's share of IN_USE), `wait()`, and
    `stop()` at the run's end, which lets go of the share and leaves the server up."""

    def __init__(self, keep: float, startup_timeout: float | None = None) -> None:
        timeout = os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
        self.keep = keep
        self.startup_timeout = startup_timeout or float(timeout)
        self.home = prefect_home()
        self.port: int | None = None
        self.pid: int | None = None
        self.reused = False
        self._process: subprocess.Popen | None = None  # when this run launched it
        self._share: IO[str] | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> None:
        """Find this home's kept server, or launch one; `wait()` waits for it to answer."""
        self.home.mkdir(parents=True, exist_ok=True)
        # The share first: a server that sees it never stops between our look and our use.
        self._share = open(self.home / IN_USE, "a")  # noqa: SIM115 - held for the run
        fcntl.flock(self._share, fcntl.LOCK_SH)
        with open(self.home / RECORD, "a+", encoding="utf-8") as record:
            fcntl.flock(record, fcntl.LOCK_EX)  # one run launches, the others find it
            record.seek(0)
            try:
                found = json.loads(record.read() or "{}")
            except json.JSONDecodeError:
                found = {}
            identity = _identity()
            pid = found.get("pid")
            # A live server of this Python and Prefect is used even if it does not answer yet:
            # it may be booting for a run that started just before, or slow under load, and a
            # second server on the same Prefect database is what must never happen.
            if (
                isinstance(pid, int)
                and _alive(pid)
                and _is_kept_server(pid, found.get("port"))  # not another process with its pid
                and all(found.get(k) == v for k, v in identity.items())
            ):
                self.pid, self.port, self.reused = pid, int(found["port"]), True
                return
            self.port = _free_port()
            with open(self.home / LOG, "ab") as log:
                self._process = subprocess.Popen(
                    [sys.executable, "-m", "flows.server", str(self.port), str(self.keep)],
                    env=_server_env(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    start_new_session=True,  # a Ctrl-C of this run never reaches it
                )
            self.pid = self._process.pid
            record.seek(0)
            record.truncate()
            record.write(json.dumps({"pid": self.pid, "port": self.port, **identity}))

    def wait(self) -> str:
        """Wait until the server answers; returns its API URL."""
        assert self.pid is not None, "start() first"
        pid = self.pid

        def found_status() -> int | None:
            return None if _alive(pid) else -1

        status = self._process.poll if self._process is not None else found_status
        try:
            _wait_healthy(self.api_url, status, self.startup_timeout, self.port)
        except ServerError as error:
            if not self.reused:
                raise
            raise ServerError(
                f"the kept Prefect server of {self.home} (pid {pid}) did not answer: {error}; "
                f"stop it (kill {pid}) and run again"
            ) from error
        return self.api_url

    def stop(self) -> None:
        """Let go of this run's share of the server; the server stays up for the next run."""
        if self._share is None:
            return
        try:
            os.utime(self.home / IN_USE)  # the idle time counts from now
        except FileNotFoundError:
            pass  # the home is gone, and with it the server: nothing to keep
        self._share.close()
        self._share = None


def stop_kept(home: Path, wait: float = 15.0) -> str:
    """Stop the kept server of `home` now, unless a run is using it; returns what happened, in
    a line. ServerError when a run holds it or it outlives `wait` seconds."""
    try:
        found = json.loads((home / RECORD).read_text(encoding="utf-8") or "{}")
    except (OSError, json.JSONDecodeError):
        found = {}
    pid = found.get("pid")
    if not isinstance(pid, int) or not _alive(pid) or not _is_kept_server(pid, found.get("port")):
        return f"no kept Prefect server for {home}"
    with open(home / IN_USE, "a") as share:
        try:
            fcntl.flock(share, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released when the file closes
        except BlockingIOError:
            raise ServerError(
                f"a run is using the kept Prefect server of {home} (pid {pid}): stop it after "
                "the run"
            ) from None
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + wait
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
    if _alive(pid):
        raise ServerError(f"the kept Prefect server (pid {pid}) did not stop within {wait:g} s")
    return f"stopped the kept Prefect server of {home} (pid {pid}, port {found.get('port')})"


def _is_kept_server(pid: int, port: object, wait: float = 1.0) -> bool:
    """Whether process `pid` is this module serving on `port` (a recorded pid may since belong
    to another process, even another home's server); True where /proc cannot tell.

    A process shows an empty command line for a moment while it is being exec'd, after its
    launcher's Popen has returned (the kernel closes the launcher's pipe first): a run that
    looks just then waits up to `wait` seconds for it, or it would launch a second server."""
    deadline = time.monotonic() + wait
    while True:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return not sys.platform.startswith("linux")
        if command or time.monotonic() >= deadline:
            break
        time.sleep(0.01)
    return command.split(b"\0")[1:4] == [b"-m", b"flows.server", str(port).encode()]


def _stop_when_idle(home: Path, keep: float) -> None:
    """Stop this process once no run has held IN_USE for `keep` seconds, its home is gone,
    or the home's record names another server and no run is using either."""
    me = os.getpid()
    last_used = time.time()
    held: IO[str] | None = None  # IN_USE, taken exclusively: no run can start to use us
    while held is None and home.is_dir():
        time.sleep(POLL_SECONDS)
        try:
            share = open(home / IN_USE, "a")  # noqa: SIM115 - kept open once taken
            try:
                fcntl.flock(share, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                share.close()
                last_used = time.time()  # a run is using a server of this home
                continue
            last_used = max(last_used, os.stat(share.fileno()).st_mtime)
            record = json.loads((home / RECORD).read_text(encoding="utf-8") or "{}")
        except (OSError, json.JSONDecodeError):
            break
        if record.get("pid") != me or time.time() - last_used >= keep:
            held = share
        else:
            share.close()
    os.kill(me, signal.SIGTERM)  # uvicorn shuts down; the lock goes with the process
    time.sleep(10)
    os._exit(0)  # a shutdown that hangs must not keep the next run waiting for the lock


def _serve(port: int, keep: float) -> None:
    """Run the Prefect API server on `port` until it has been idle for `keep` seconds."""
    import threading

    import uvicorn

    watch = threading.Thread(
        target=_stop_when_idle, args=(prefect_home(), keep), name="idle", daemon=True
    )
    watch.start()
    uvicorn.run(
        "prefect.server.api.server:create_app",
        factory=True,
        host="127.0.0.1",
        port=port,
        log_level="error",
        lifespan="on",
    )


if __name__ == "__main__":
    _serve(int(sys.argv[1]), float(sys.argv[2]))
