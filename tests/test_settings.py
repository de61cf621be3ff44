"""Settings: read from COPYDESK_* variables, and refused before a run when they make no sense."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from copydesk.settings import (
    Settings,
    SettingsError,
    check_cron,
    check_folders,
    load_settings,
    temp_dir_for,
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in Settings.model_fields:
        monkeypatch.delenv(f"COPYDESK_{name.upper()}", raising=False)


def test_defaults_load_and_overrides_win(monkeypatch):
    monkeypatch.setenv("COPYDESK_BATCH_SIZE", "50")
    assert load_settings().batch_size == 50
    assert load_settings(batch_size=7, workers=None).batch_size == 7
    assert load_settings().follow_symlinks is False
    monkeypatch.setenv("COPYDESK_FOLLOW_SYMLINKS", "true")
    assert load_settings().follow_symlinks is True


BAD = [
    ("BATCH_SIZE", "0", "COPYDESK_BATCH_SIZE (or --batch-size) = '0'", "1 or more"),
    ("BATCH_SIZE", "ten", "COPYDESK_BATCH_SIZE (or --batch-size) = 'ten'", "whole number"),
    ("WORKERS", "0", "COPYDESK_WORKERS (or --workers)", "1 or more"),
    ("MAX_FILE_BYTES", "-1", "COPYDESK_MAX_FILE_BYTES = '-1'", "above 0"),
    ("MAX_FILE_BYTES", "0", "COPYDESK_MAX_FILE_BYTES = '0'", "above 0"),
    ("NEAR_JACCARD", "0", "COPYDESK_NEAR_JACCARD", "above 0 and at most 1"),
    ("NEAR_CONTAINMENT", "1.2", "COPYDESK_NEAR_CONTAINMENT", "above 0 and at most 1"),
    ("EXCLUDE", "README*", "COPYDESK_EXCLUDE cannot be read", "JSON list of file name patterns"),
    ("RULES_DIRS", "/srv/rules", "COPYDESK_RULES_DIRS cannot be read", "JSON list of folders"),
    ("SCHEDULE_CRON", "0 24 * * *", "COPYDESK_SCHEDULE_CRON (or --cron)", "bad hour"),
    ("NEAR_POLICY", "drop", "COPYDESK_NEAR_POLICY = 'drop'", "'publish' or 'hold'"),
    ("FOLLOW_SYMLINKS", "maybe", "COPYDESK_FOLLOW_SYMLINKS", "true or false"),
    ("LEARN_SITE_BOILERPLATE", "sometimes", "COPYDESK_LEARN_SITE_BOILERPLATE", "true or false"),
    ("LEARN_MIN_ARTICLES", "1", "COPYDESK_LEARN_MIN_ARTICLES = '1'", "2 or more"),
    ("LEARN_MIN_SHARE", "0", "COPYDESK_LEARN_MIN_SHARE = '0'", "above 0 and at most 1"),
    ("VALIDATE_CHUNK_ROWS", "0", "COPYDESK_VALIDATE_CHUNK_ROWS = '0'", "1 or more"),
]


@pytest.mark.parametrize(("var", "value", "names", "fix"), BAD, ids=[f"{b[0]}={b[1]}" for b in BAD])
def test_a_bad_variable_is_refused_in_one_line_naming_it_and_the_fix(
    monkeypatch, var, value, names, fix
):
    monkeypatch.setenv(f"COPYDESK_{var}", value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    text = str(info.value)
    assert text.startswith(names) and fix in text
    assert "\n" not in text
    assert isinstance(info.value, ValueError)


def test_a_bad_override_is_named_like_its_option():
    with pytest.raises(SettingsError, match=r"^COPYDESK_BATCH_SIZE \(or --batch-size\) = 0:"):
        load_settings(batch_size=0)


@pytest.mark.parametrize(
    "cron",
    [
        "0 2 * * *",
        "*/15 * * * *",
        "0 9-17/2 * * mon-fri",
        "0 0 1,15 * *",
        "@daily",
        "0 0 L * *",
        "30 4 * jan,jul 5#2",
        "0 0 * * 7",
    ],
)
def test_valid_cron_strings_pass(cron):
    check_cron(cron)


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        ("0 2 * *", "wrong number of fields"),
        ("60 * * * *", "bad minute"),
        ("0 0 32 * *", "bad day-of-month"),
        ("0 0 * 13 *", "bad month"),
        ("0 0 * * 8", "bad day-of-week"),
        ("*/0 * * * *", "bad minute"),
        ("0 5-2 * * *", "bad hour"),
        ("0 0 * * funday", "bad day-of-week"),
        ("every 5 minutes", "wrong number of fields"),
    ],
)
def test_invalid_cron_strings_name_the_field(cron, message):
    with pytest.raises(ValueError, match=message):
        check_cron(cron)


@pytest.fixture
def folders(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "input").mkdir()
    return {
        "input_dir": tmp_path / "input",
        "quality_dir": tmp_path / "q",
        "warehouse": tmp_path / "w.duckdb",
    }


def test_check_folders_passes_and_creates_the_quality_folder(folders):
    check_folders(load_settings(**folders))
    assert folders["quality_dir"].is_dir()


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("quality_dir", "^COPYDESK_QUALITY_DIR = .*a-file' is a file, not a folder; choose a"),
        ("warehouse", r"^COPYDESK_WAREHOUSE \(or --warehouse\) = .*a-file' is a file"),
    ],
)
def test_a_folder_that_cannot_be_written_is_refused_with_the_settings(
    folders, tmp_path, field, message
):
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(SettingsError, match=message) as info:
        load_settings(**{**folders, field: tmp_path / "a-file" / "sub" / "w.duckdb"})
    assert "\n" not in str(info.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in a folder whatever its mode bits")
def test_check_folders_tries_a_write_in_the_quality_folder(folders):
    folders["quality_dir"].mkdir()
    cfg = load_settings(**folders)
    folders["quality_dir"].chmod(0o500)
    try:
        with pytest.raises(SettingsError, match="^COPYDESK_QUALITY_DIR = .*cannot write in"):
            check_folders(cfg)
    finally:
        folders["quality_dir"].chmod(0o755)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"input_dir": Path("/nonexistent/input")},
            r"^COPYDESK_INPUT_DIR \(or --input\) .*no such",
        ),
        ({"rules_dirs": [Path("/nonexistent/rules")]}, "^COPYDESK_RULES_DIRS names"),
        ({"expectations_dir": Path("/nonexistent")}, "^COPYDESK_EXPECTATIONS_DIR .*articles.json"),
    ],
)
def test_check_folders_names_the_setting_at_fault(folders, change, message):
    with pytest.raises(SettingsError, match=message):
        check_folders(load_settings(**{**folders, **change}))


def test_settings_built_directly_raise_the_same_one_line_error(monkeypatch):
    """The flow builds Settings itself: a bad value stops it with the same message."""
    monkeypatch.setenv("COPYDESK_MAX_FILE_BYTES", "-1")
    with pytest.raises(SettingsError, match="^COPYDESK_MAX_FILE_BYTES = '-1': "):
        Settings()
    monkeypatch.setenv("COPYDESK_MAX_FILE_BYTES", "100")
    with pytest.raises(SettingsError, match=r"^COPYDESK_BATCH_SIZE \(or --batch-size\) = 0"):
        Settings(batch_size=0)


def test_model_validate_raises_the_same_one_line_error(monkeypatch):
    monkeypatch.setenv("COPYDESK_BATCH_SIZE", "7")
    assert Settings.model_validate({"workers": 2}).batch_size == 7
    with pytest.raises(SettingsError, match=r"^COPYDESK_BATCH_SIZE \(or --batch-size\) = 0: "):
        Settings.model_validate({"batch_size": 0})


def test_duckdb_spills_beside_the_warehouse_unless_told(monkeypatch, tmp_path):
    cfg = load_settings(warehouse=Path("/srv/news/corpus.duckdb"))
    assert temp_dir_for(cfg) == Path("/srv/news/corpus.duckdb.tmp")
    monkeypatch.setenv("COPYDESK_DUCKDB_TEMP_DIR", str(tmp_path / "spill"))
    assert temp_dir_for(load_settings()) == tmp_path / "spill"
    assert not (tmp_path / "spill").exists()  # DuckDB creates it when it first spills
