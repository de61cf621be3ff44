"""The command line refuses what would fail later, before any Prefect start-up."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from flows.cli import app


def test_run_refuses_a_warehouse_named_like_a_layer(tmp_path: Path):
    (tmp_path / "in").mkdir()
    warehouse = tmp_path / "audit.duckdb"

    result = CliRunner().invoke(
        app, ["run", "--input", str(tmp_path / "in"), "--warehouse", str(warehouse)]
    )

    assert result.exit_code == 2
    assert "named like one of its layers" in result.output
    assert not warehouse.exists()


def test_run_refuses_a_missing_input_folder(tmp_path: Path):
    result = CliRunner().invoke(app, ["run", "--input", str(tmp_path / "missing")])

    assert result.exit_code == 2
    assert "input folder not found" in result.output


def test_dashboard_refuses_a_missing_warehouse_without_creating_it(tmp_path: Path):
    missing = tmp_path / "nothing.duckdb"

    result = CliRunner().invoke(app, ["dashboard", "--warehouse", str(missing)])

    assert result.exit_code == 2
    assert "warehouse not found" in result.output
    assert not missing.exists()


def test_dashboard_goes_to_the_quality_folder_beside_the_warehouse(tmp_path: Path, monkeypatch):
    import duckdb

    from copydesk.settings import PROJECT_ROOT

    monkeypatch.delenv("COPYDESK_QUALITY_DIR", raising=False)
    warehouse = tmp_path / "corpus" / "w.duckdb"
    warehouse.parent.mkdir()
    con = duckdb.connect(str(warehouse))
    con.execute((PROJECT_ROOT / "sql" / "schema.sql").read_text(encoding="utf-8"))
    con.close()

    result = CliRunner().invoke(app, ["dashboard", "--warehouse", str(warehouse)])

    assert result.exit_code == 0, result.output
    assert (tmp_path / "corpus" / "quality" / "dashboard.html").is_file()
