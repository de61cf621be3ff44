"""All settings of a run in one object, read from COPYDESK_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COPYDESK_")

    input_dir: Path = Path("data/raw")
    warehouse: Path = Path("data/warehouse.duckdb")
    # GX Data Docs and the dashboard; unset, the "quality" folder beside the warehouse file.
    quality_dir: Path = Path("data/quality")
    expectations_dir: Path = PROJECT_ROOT / "expectations"
    rules_dirs: list[Path] = Field(default_factory=list)  # extra rule packs, after the shipped ones
    batch_size: int = 200
    workers: int = 1  # processes that clean batches (a local Dask cluster when more than one)
    dask_address: str | None = None  # an existing Dask scheduler, e.g. "tcp://10.0.0.5:8786"
    max_file_bytes: int = 20 * 1024 * 1024  # larger inputs are quarantined as too_large
    # Files that are not articles; matched against the name relative to the input folder.
    exclude: list[str] = Field(default_factory=lambda: [".*", "*/.*", "README*", "LICENSE*"])
    # What happens to a paragraph an earlier article already carried: "keep" it in the body
    # (recorded in published.paragraphs.first_article_id) or "cut" it (recorded as a removal).
    cross_article_paragraphs: Literal["keep", "cut"] = "keep"
    # Near-duplicate articles (bench/neardup.py measured these): the same story when their word
    # 3-gram sets have Jaccard similarity >= near_jaccard, or when a shorter one has
    # near_containment of its 3-grams inside a longer one (a teaser and its full story).
    near_jaccard: float = 0.5
    near_containment: float = 0.8
    # "publish" near duplicates with duplicate_of set, or "hold" them back in quarantine.
    near_policy: Literal["publish", "hold"] = "publish"
    # Canonical copy of a new cluster: the "earliest" seen (published articles first, then in
    # input order) or the "longest" body. An existing cluster keeps its canonical and its id.
    canonical_order: Literal["earliest", "longest"] = "earliest"
    schedule_cron: str = "0 2 * * *"
    # One run per warehouse: how long a run waits for another process to let go of the file
    # before it stops with a one-line error naming that process.
    lock_wait_seconds: float = 0.0
    # DuckDB's memory for a run (it spills to <warehouse>.tmp beyond it); DuckDB's own default
    # is 80% of the machine's memory, which a large audit would take.
    duckdb_memory_limit: str = "2GB"

    @model_validator(mode="before")
    @classmethod
    def _quality_beside_warehouse(cls, data: Any) -> Any:
        # Before validation, so the field keeps its type Path: the data holds the arguments
        # and the COPYDESK_* variables, and lacks quality_dir when neither set it.
        if isinstance(data, dict) and data.get("quality_dir") is None:
            warehouse = data.get("warehouse") or cls.model_fields["warehouse"].default
            data = {**data, "quality_dir": quality_dir_for(Path(warehouse))}
        return data


def quality_dir_for(warehouse: Path) -> Path:
    """The folder for a warehouse's Data Docs and dashboard: "quality" beside the file."""
    return Path(warehouse).parent / "quality"
