"""How far a run is: files and articles done, the rate and the time left, shown as a live bar
on a terminal and as a periodic log line elsewhere, and handed to any other sink (the flow
adds a Prefect progress artifact)."""

from __future__ import annotations

import io
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TextIO

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The state of a run's progress at one moment."""

    files_done: int
    total_files: int
    articles: int
    elapsed: float  # seconds since the progress started

    @property
    def percent(self) -> float:
        """Share of the files done, 0 to 100 (100 for a run with nothing to read)."""
        return 100.0 * self.files_done / self.total_files if self.total_files else 100.0

    @property
    def rate(self) -> float:
        """Files per second so far."""
        return self.files_done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the rate so far; None before the first file is done."""
        if self.files_done == 0 or self.rate == 0:
            return None
        return (self.total_files - self.files_done) / self.rate

    def line(self) -> str:
        """One line: '1,200 of 10,000 files (12%), 1,530 articles, 48.0 files/s, 3 min 3 s left'."""
        left = "unknown" if self.eta is None else f"{duration(self.eta)} left"
        if self.files_done >= self.total_files:
            left = f"done in {duration(self.elapsed)}"
        return (
            f"{self.files_done:,} of {self.total_files:,} files ({self.percent:.0f}%), "
            f"{self.articles:,} articles, {self.rate:.1f} files/s, {left}"
        )


def duration(seconds: float) -> str:
    """'42 s', '3 min 5 s', '2 h 10 min'."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


Sink = Callable[[Snapshot], None]


class Progress:
    """Counts the files and articles a run has done out of `total_files`.

    On a terminal (`stream` a TTY) a rich live bar shows them with the rate and the time left;
    otherwise a log line to `logger` (this module's by default) says the same at most every
    `every` seconds, and once at the end. Every advance also goes to each of `sinks`."""

    def __init__(
        self,
        total_files: int,
        *,
        stream: TextIO | None = None,
        every: float = 10.0,
        sinks: Sequence[Sink] = (),
        clock: Callable[[], float] = time.monotonic,
        logger: logging.Logger | logging.LoggerAdapter | None = None,
    ) -> None:
        self.total_files = total_files
        self.files_done = 0
        self.articles = 0
        self.every = every
        self.sinks = tuple(sinks)
        self._clock = clock
        self._start = clock()
        self._logged_at: float | None = None
        self._closed = False
        self._log_to = logger or log
        stream = sys.stderr if stream is None else stream
        self._bar = _Bar(total_files, stream) if _is_terminal(stream) else None

    def snapshot(self) -> Snapshot:
        """The progress now."""
        return Snapshot(
            self.files_done, self.total_files, self.articles, self._clock() - self._start
        )

    def advance(self, files: int, articles: int) -> Snapshot:
        """Count `files` more files done that held `articles` articles; returns the progress."""
        self.files_done += files
        self.articles += articles
        snap = self.snapshot()
        if self._bar is not None:
            self._bar.update(snap)
        elif self._logged_at is None or snap.elapsed - self._logged_at >= self.every:
            self._log(snap)
        for sink in self.sinks:
            sink(snap)
        return snap

    def close(self) -> Snapshot:
        """End the bar, or log the last line; returns the final progress."""
        snap = self.snapshot()
        if self._closed:
            return snap
        self._closed = True
        if self._bar is not None:
            self._bar.close(snap)
        elif self._logged_at != snap.elapsed:
            self._log(snap)
        return snap

    def _log(self, snap: Snapshot) -> None:
        self._logged_at = snap.elapsed
        self._log_to.info("progress: %s", snap.line())

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class _Bar:
    """A rich progress bar on `stream`: files done, articles, files per second, time left."""

    def __init__(self, total_files: int, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        self._progress = RichProgress(
            TextColumn("files"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[articles]:,} articles  {task.fields[rate]:.1f} files/s"),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=Console(file=stream),
            transient=False,
        )
        self._task = self._progress.add_task("files", total=total_files, articles=0, rate=0.0)
        self._progress.start()
        self._restore = _print_above(self._progress.console, stream)

    def update(self, snap: Snapshot) -> None:
        self._progress.update(
            self._task, completed=snap.files_done, articles=snap.articles, rate=snap.rate
        )

    def close(self, snap: Snapshot) -> None:
        self.update(snap)
        self._progress.stop()
        for undo in self._restore:
            undo()


def _print_above(console, stream: TextIO) -> list[Callable[[], None]]:
    """Make the log handlers that write to `stream` print above the live bar of `console`
    (else their lines are glued to the bar): a plain stream handler, or one printing through a
    rich Console of its own, as Prefect's does. Returns the calls that undo it."""
    proxy = _Above(console, stream)
    undo: list[Callable[[], None]] = []
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    for handler in {h for logger in loggers for h in logger.handlers}:
        own = getattr(handler, "console", None)
        if own is not None and getattr(own, "file", None) is stream:
            own.file = proxy
            undo.append(partial(setattr, own, "file", stream))
        elif isinstance(handler, logging.StreamHandler) and handler.stream is stream:
            handler.setStream(proxy)
            undo.append(partial(handler.setStream, stream))
    return undo


class _Above(io.TextIOBase):
    """A text stream whose lines a live rich display prints above itself. Not rich's own
    FileProxy: a Console given that one writes to the file behind it, through the bar."""

    def __init__(self, console, stream: TextIO) -> None:
        from rich.file_proxy import FileProxy

        self._proxy = FileProxy(console, stream)
        self._stream = stream

    def write(self, text: str) -> int:
        self._proxy.write(text)
        return len(text)

    def flush(self) -> None:
        self._proxy.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()
