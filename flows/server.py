"""A Prefect API server owned by one `copydesk run`: started before Prefect is imported, so it
boots while the flow's modules load, and tied to this process so it never outlives it.

Prefect's own temporary server (`SubprocessASGIServer`) is stopped by an `atexit` hook, which a
SIGTERM or SIGKILL skips: each killed run used to leave a `uvicorn` process behind. This one
runs the same command, but on Linux the kernel sends it SIGTERM when its parent dies
(`prctl(PR_SET_PDEATHSIG)`), whatever the death; and it runs in its own session, so a Ctrl-C
reaches the run, which then stops the server after its last report to it."""

from __future__ import annotations

import ctypes
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

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
        spec = importlib.util.find_spec("prefect")  # finds the package without importing it
        if spec is None or not spec.submodule_search_locations:
            raise ServerError("prefect is not installed in this environment")
        app_dir = Path(next(iter(spec.submodule_search_locations))).parent
        self.port = _free_port()
        # The command and environment of prefect.server.api.server.SubprocessASGIServer.
        env = {
            **os.environ,
            "PREFECT_UI_ENABLED": "0",
            "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1",
        }
        env.pop("PREFECT_API_URL", None)
        linux = sys.platform.startswith("linux")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--app-dir",
                str(app_dir),
                "--factory",
                "prefect.server.api.server:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "error",
                "--lifespan",
                "on",
            ],
            env=env,
            start_new_session=True,
            preexec_fn=_die_with(os.getpid()) if linux else None,
        )

    def wait(self) -> str:
        """Wait until the server answers; returns its API URL."""
        assert self.process is not None, "start() first"
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            status = self.process.poll()
            if status == PORT_IN_USE:  # another process took the port meanwhile
                # Prefect already holds this URL (it reads it when imported): never move.
                raise ServerError(
                    f"port {self.port} was taken before the Prefect server could use it: run again"
                )
            if status is not None:
                raise ServerError(f"the Prefect server exited with status {status} at start-up")
            if healthy(self.api_url, timeout=1.0):
                return self.api_url
            time.sleep(0.1)
        self.stop()
        raise ServerError(
            f"the Prefect server did not answer within {self.startup_timeout:.0f} s "
            "(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS)"
        )

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
