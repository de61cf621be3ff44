"""A run's progress: counts, rate and time left; log lines off a terminal, a bar on one."""

from __future__ import annotations

import io
import logging
import re

import pytest

from copydesk.progress import Progress, Snapshot, duration


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_snapshot_rate_and_time_left():
    snap = Snapshot(files_done=250, total_files=1000, articles=300, elapsed=10.0)

    assert snap.percent == 25.0
    assert snap.rate == 25.0
    assert snap.eta == 30.0
    assert snap.line() == "250 of 1,000 files (25%), 300 articles, 25.0 files/s, 30 s left"


def test_nothing_done_yet_has_no_time_left():
    snap = Snapshot(files_done=0, total_files=10, articles=0, elapsed=3.0)

    assert snap.eta is None
    assert snap.line().endswith("unknown")


def test_an_empty_run_is_complete():
    assert Snapshot(0, 0, 0, 0.0).percent == 100.0


@pytest.mark.parametrize(
    ("seconds", "text"), [(42.4, "42 s"), (185, "3 min 5 s"), (7830, "2 h 10 min"), (-1, "0 s")]
)
def test_duration(seconds: float, text: str):
    assert duration(seconds) == text


def test_log_lines_at_most_every_period_and_at_the_end(caplog: pytest.LogCaptureFixture):
    clock = Clock()
    progress = Progress(600, stream=io.StringIO(), every=10.0, clock=clock)

    with caplog.at_level(logging.INFO, logger="copydesk.progress"):
        clock.now += 2
        progress.advance(200, 250)  # the first batch: logged
        clock.now += 2
        progress.advance(200, 240)  # 2 s later: not logged
        clock.now += 9
        progress.advance(100, 90)  # 11 s after the first line: logged
        clock.now += 1
        final = progress.close()  # the end: logged

    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "progress: 200 of 600 files (33%), 250 articles, 100.0 files/s, 4 s left",
        "progress: 500 of 600 files (83%), 580 articles, 38.5 files/s, 3 s left",
        "progress: 500 of 600 files (83%), 580 articles, 35.7 files/s, 3 s left",
    ]
    assert (final.files_done, final.articles) == (500, 580)


def test_sinks_get_every_advance():
    seen: list[Snapshot] = []
    progress = Progress(4, stream=io.StringIO(), sinks=[seen.append], clock=Clock())

    progress.advance(1, 2)
    progress.advance(3, 1)

    assert [(s.files_done, s.articles) for s in seen] == [(1, 2), (4, 3)]
    assert seen[-1].percent == 100.0


def test_a_terminal_gets_a_bar_and_no_log_lines(caplog: pytest.LogCaptureFixture):
    terminal = Terminal()

    with caplog.at_level(logging.INFO, logger="copydesk.progress"):
        with Progress(20, stream=terminal) as progress:
            progress.advance(20, 26)

    assert caplog.records == []
    shown = terminal.getvalue()
    assert "20/20" in shown
    assert "26 articles" in shown


def test_log_lines_print_above_the_bar_and_their_handler_is_restored():
    terminal = Terminal()
    handler = logging.StreamHandler(terminal)
    other = logging.getLogger("copydesk.test_progress")
    other.addHandler(handler)
    try:
        with Progress(2, stream=terminal) as progress:
            other.warning("a line from elsewhere")
            progress.advance(2, 2)
        assert handler.stream is terminal
    finally:
        other.removeHandler(handler)

    # The bar's line is erased (\r, then "erase line"), the log line printed, the bar drawn again.
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal.getvalue())
    assert "a line from elsewhere" in re.split(r"[\r\n]", shown)


def test_a_handler_printing_through_its_own_rich_console_prints_above_the_bar():
    from rich.console import Console

    class RichHandler(logging.Handler):  # prints as Prefect's console handler does
        def __init__(self, stream):
            super().__init__()
            self.console = Console(file=stream)

        def emit(self, record):
            self.console.print(record.getMessage(), soft_wrap=True)

    terminal = Terminal()
    handler = RichHandler(terminal)
    other = logging.getLogger("copydesk.test_progress_rich")
    other.addHandler(handler)
    try:
        with Progress(2, stream=terminal) as progress:
            other.warning("a line from elsewhere")
            progress.advance(2, 2)
        assert handler.console.file is terminal
    finally:
        other.removeHandler(handler)

    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal.getvalue())
    assert "a line from elsewhere" in re.split(r"[\r\n]", shown)
