"""All settings of a run in one object, read from COPYDESK_* environment variables, and
checked before a run starts (load_settings, check_folders)."""

from __future__ import annotations

import os
import re
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from cronsim import CronSim, CronSimError
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings import SettingsError as SourceError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "COPYDESK_"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX)

    input_dir: Path = Path("data/raw")
    warehouse: Path = Path("data/warehouse.duckdb")
    # GX Data Docs and the dashboard; unset, the "quality" folder beside the warehouse file.
    quality_dir: Path = Path("data/quality")
    expectations_dir: Path = PROJECT_ROOT / "expectations"
    rules_dirs: list[Path] = Field(default_factory=list)  # extra rule packs, after the shipped ones
    # Files a cleaning task reads: each batch is a Prefect task run and a staged write; 500
    # spent less on both than 200 did (bench/pipeline_scale.py at 100k files: stage 65 -> 52 s).
    batch_size: int = Field(500, ge=1)
    # processes that clean batches (a local Dask cluster when more than one)
    workers: int = Field(1, ge=1)
    dask_address: str | None = None  # an existing Dask scheduler, e.g. "tcp://10.0.0.5:8786"
    max_file_bytes: int = Field(20 * 1024 * 1024, ge=1)  # larger inputs: quarantined too_large
    # Files that are not articles; matched against the name relative to the input folder.
    exclude: list[str] = Field(default_factory=lambda: [".*", "*/.*", "README*", "LICENSE*"])
    # Read files and folders that symbolic links inside the input folder lead to outside it
    # (otherwise such a link is quarantined as outside_input, its target never opened).
    follow_symlinks: bool = False
    # What happens to a paragraph an earlier article already carried: "keep" it in the body
    # (recorded in published.paragraphs.first_article_id) or "cut" it (recorded as a removal).
    cross_article_paragraphs: Literal["keep", "cut"] = "keep"
    # Near-duplicate articles (bench/neardup.py measured these): the same story when their word
    # 3-gram sets have Jaccard similarity >= near_jaccard, or when a shorter one has
    # near_containment of its 3-grams inside a longer one (a teaser and its full story).
    near_jaccard: float = Field(0.5, gt=0, le=1)
    near_containment: float = Field(0.8, gt=0, le=1)
    # "publish" near duplicates with duplicate_of set, or "hold" them back in quarantine.
    near_policy: Literal["publish", "hold"] = "publish"
    # Canonical copy of a new cluster: the "earliest" seen (published articles first, then in
    # input order) or the "longest" body. An existing cluster keeps its canonical and its id.
    canonical_order: Literal["earliest", "longest"] = "earliest"
    schedule_cron: str = "0 2 * * *"
    # One run per warehouse: how long a run waits for another process to let go of the file
    # before it stops with a one-line error naming that process.
    lock_wait_seconds: float = Field(0.0, ge=0)
    # `copydesk run` without PREFECT_API_URL: how long the Prefect server it starts stays up
    # after the last run of its Prefect home, so the next run finds it instead of paying its
    # start-up; 0 stops it with the run.
    server_keep_seconds: float = Field(3600.0, ge=0)
    # DuckDB's memory for a run (it spills to duckdb_temp_dir beyond it); DuckDB's own default
    # is 80% of the machine's memory, which a large audit would take. The audit's process holds
    # about 1 GB besides (Python, GX, DuckDB's own past its limit): at 2GB a 100k-file run
    # peaked at 3.4 GB, past the 3 GB it is meant to stay within.
    duckdb_memory_limit: str = "1.5GB"
    # Site boilerplate learned from the warehouse (copydesk/site_boilerplate.py): a body line
    # carried by this many original articles of one site, and this share of them, is removed
    # from that site's articles on later runs. bench/site_boilerplate.py chose the numbers: 3
    # articles learns lines 3 articles quote; a 5% share learns background paragraphs that
    # 4-8 of 120 articles repeat; 5 and 10% learned no body line and took 2/3 of the chrome.
    learn_site_boilerplate: bool = True
    learn_min_articles: int = Field(5, ge=2)
    learn_min_share: float = Field(0.10, gt=0, le=1)
    # Where DuckDB spills what does not fit in its memory limit; unset, "<warehouse>.tmp"
    # beside the warehouse file. DuckDB creates it when it first spills and empties it after.
    duckdb_temp_dir: Path | None = None
    # Articles Great Expectations validates at once (the audit batch is read in chunks of
    # this many, in storage order); uniqueness over the batch is checked in SQL.
    # 10,000 articles of ~3.4 KB cost ~270 MB of RSS in DuckDB's .df() and GX (50,000: ~1.1 GB)
    # and validate as fast as larger chunks (bench/validate_scale.py).
    validate_chunk_rows: int = Field(10_000, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _quality_beside_warehouse(cls, data: Any) -> Any:
        # Before validation, so the field keeps its type Path: the data holds the arguments
        # and the COPYDESK_* variables, and lacks quality_dir when neither set it.
        if isinstance(data, dict) and data.get("quality_dir") is None:
            warehouse = data.get("warehouse") or cls.model_fields["warehouse"].default
            data = {**data, "quality_dir": quality_dir_for(Path(warehouse))}
        return data

    def __init__(self, **values: Any) -> None:
        """Raises SettingsError, one line naming the variable and the fix, for a bad value
        (wherever Settings is built: the command, the flow, a test)."""
        try:
            super().__init__(**values)
        except (ValidationError, SourceError) as exc:
            raise _one_line(exc) from None

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Settings:  # type: ignore[override]
        """Settings from a mapping of values, raising SettingsError as Settings(**values)
        does (pydantic would wrap it in a ValidationError of several lines)."""
        if isinstance(obj, dict) and not kwargs:
            return cls(**obj)
        return super().model_validate(obj, **kwargs)

    @field_validator("schedule_cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        check_cron(value)
        return value

    @field_validator("quality_dir", "warehouse", "duckdb_temp_dir")
    @classmethod
    def _can_be_written(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is None:
            return value
        folder = value if info.field_name in ("quality_dir", "duckdb_temp_dir") else value.parent
        if problem := _not_creatable(folder):
            raise ValueError(problem)
        return value


def temp_dir_for(cfg: Settings) -> Path:
    """The folder DuckDB spills to: duckdb_temp_dir, by default "<warehouse>.tmp" beside it."""
    return cfg.duckdb_temp_dir or cfg.warehouse.with_name(cfg.warehouse.name + ".tmp")


def quality_dir_for(warehouse: Path) -> Path:
    """The folder for a warehouse's Data Docs and dashboard: "quality" beside the file."""
    return Path(warehouse).parent / "quality"


class SettingsError(ValueError):
    """A setting that makes no sense; its text is one line naming the variable and the fix."""


# The command-line option that sets a field for one run, where there is one.
OPTIONS = {
    "input_dir": "--input",
    "warehouse": "--warehouse",
    "batch_size": "--batch-size",
    "workers": "--workers",
    "dask_address": "--dask-address",
    "schedule_cron": "--cron",
}
_FIXES = {
    "batch_size": "use a whole number of files per batch, 1 or more (default 500)",
    "workers": "use a whole number of processes, 1 or more (default 1)",
    "max_file_bytes": "use a size in bytes above 0 (default 20971520, 20 MB)",
    "near_jaccard": "use a similarity above 0 and at most 1 (default 0.5)",
    "near_containment": "use a share above 0 and at most 1 (default 0.8)",
    "exclude": """use a JSON list of file name patterns, e.g. '["README*", ".*", "*/.*"]'""",
    "rules_dirs": """use a JSON list of folders, e.g. '["/srv/rules"]'""",
    "schedule_cron": "use five cron fields: minute hour day-of-month month day-of-week, "
    "e.g. '0 2 * * *'",
    "follow_symlinks": "use true or false",
    "learn_site_boilerplate": "use true or false",
    "learn_min_articles": "use a whole number of articles, 2 or more (default 5)",
    "learn_min_share": "use a share above 0 and at most 1 (default 0.1)",
    "server_keep_seconds": "use seconds, 0 or more (default 3600; 0: stop it with the run)",
    "quality_dir": "choose a folder this user can write",
    "warehouse": "choose a file in a folder this user can write",
    "duckdb_temp_dir": "choose a folder this user can write, with room to spill to",
    "validate_chunk_rows": "use a whole number of articles, 1 or more (default 10000)",
}


def name_of(field: str) -> str:
    """How a user sets `field`: its environment variable, and its option when it has one."""
    env = ENV_PREFIX + field.upper()
    return f"{env} (or {OPTIONS[field]})" if field in OPTIONS else env


def load_settings(**overrides: Any) -> Settings:
    """The settings from COPYDESK_* variables, `overrides` (None values ignored) on top,
    checked; raises SettingsError naming the variable and the fix."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def _one_line(exc: ValidationError | SourceError) -> SettingsError:
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "?"
        message = error["msg"].removeprefix("Value error, ")
        fix = _FIXES.get(field, "change it, or unset it for the default")
        return SettingsError(f"{name_of(field)} = {_shown(error.get('input'))}: {message}; {fix}")
    # A list or bool variable that is not JSON: pydantic-settings names only the field.
    found = re.search(r'field "(\w+)"', str(exc))
    field = found.group(1) if found else "?"
    fix = _FIXES.get(field, "see the settings in README")
    return SettingsError(f"{name_of(field)} cannot be read: {fix}")


def _shown(value: object) -> str:
    return " ".join(repr(value).split())[:80]


def check_folders(cfg: Settings) -> None:
    """Raise SettingsError when a folder a run needs is missing or cannot be written, so the
    run fails before it starts rather than at its end."""
    if not cfg.input_dir.is_dir():
        raise SettingsError(
            f"{name_of('input_dir')} = {str(cfg.input_dir)!r}: no such folder; "
            "point it at the folder of articles"
        )
    suite = cfg.expectations_dir / "articles.json"
    if not suite.is_file():
        raise SettingsError(
            f"{name_of('expectations_dir')} = {str(cfg.expectations_dir)!r}: holds no "
            "articles.json; point it at a folder with the expectation suite"
        )
    for folder in cfg.rules_dirs:
        if not folder.is_dir():
            raise SettingsError(
                f"{name_of('rules_dirs')} names {str(folder)!r}: no such folder; "
                "create it or leave it out of the list"
            )
    for field, folder in (
        ("quality_dir", cfg.quality_dir),
        ("warehouse", cfg.warehouse.parent),
    ):
        if problem := _unwritable(folder):
            raise SettingsError(
                f"{name_of(field)} = {str(getattr(cfg, field))!r}: {problem}; "
                "choose a folder this user can write"
            )


def _not_creatable(folder: Path) -> str | None:
    """Why `folder` cannot be written or created, judged without creating anything: the
    nearest part of it that exists must be a folder this user may write in."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{str(existing)!r} is a file, not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"no permission to write in {str(existing)!r}"
    return None


def _unwritable(folder: Path) -> str | None:
    """Why files cannot be written in `folder` (created if missing), or None when they can."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return f"cannot write in {str(folder)!r} ({exc.strerror or type(exc).__name__})"
    return None


_CRON_MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}


def check_cron(text: str) -> None:
    """Raise ValueError saying what is wrong with a cron string (cronsim parses it: Prefect
    depends on it, and it imports in milliseconds where Prefect takes seconds)."""
    if text.strip().lower() in _CRON_MACROS:
        return
    try:
        CronSim(text, datetime.now())
    except CronSimError as exc:
        raise ValueError(f"not a cron schedule ({str(exc).lower()})") from None
