"""Open a local HTML file in Debian's headless Chromium through Playwright, and record what a
person's browser would have done: console messages, requests, dialogs, page errors."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "tests" / "artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> Path:
    """The Chromium binary; skips the test where it is missing, except in CI, which installs it."""
    found = CHROMIUM if CHROMIUM.is_file() else None
    found = found or (Path(p) if (p := shutil.which("chromium")) else None)
    if found is None:
        message = "Chromium not installed: apt-get install chromium (.ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@dataclass
class Visit:
    """What happened while a page was open."""

    console: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # uncaught exceptions
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def console_errors(self) -> list[str]:
        return [text for kind, text in self.console if kind == "error"]

    def outside(self, allowed: Path) -> list[str]:
        """Requests for anything but the file `allowed`, or what lies inside the folder."""
        uri = allowed.resolve().as_uri()
        return [u for u in self.requests if u != uri and not u.startswith(("data:", uri + "/"))]


@contextmanager
def open_page(path: Path) -> Iterator[tuple[object, Visit]]:
    """A Playwright page showing the file at `path`, with every event recorded in a Visit."""
    from playwright.sync_api import sync_playwright

    binary = require_chromium()
    visit = Visit()
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                profile,
                executable_path=str(binary),
                args=FLAGS,
                headless=True,
                viewport={"width": 1400, "height": 900},
            )
            try:
                page = context.new_page()
                page.on("console", lambda m: visit.console.append((m.type, m.text)))
                page.on("pageerror", lambda e: visit.errors.append(str(e)))
                page.on("request", lambda r: visit.requests.append(r.url))
                page.on("requestfailed", lambda r: visit.failed.append(r.url))

                def on_dialog(dialog: object) -> None:
                    visit.dialogs.append(dialog.message)  # type: ignore[attr-defined]
                    dialog.dismiss()  # type: ignore[attr-defined]

                page.on("dialog", on_dialog)
                page.goto(path.resolve().as_uri())
                yield page, visit
            finally:
                context.close()


def screenshot(page: object, name: str) -> Path:
    """Save a full-page screenshot under tests/artifacts and print where it went."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / name
    page.screenshot(path=str(target), full_page=True)  # type: ignore[attr-defined]
    print(f"screenshot: {target}")
    return target
