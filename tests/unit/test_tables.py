"""The published columns (pipelines.core.tables) and the warehouse's own tables: the CREATE
TABLE lists made from them, and their agreement with the marts' enforced dbt contracts."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml

from pipelines.core import warehouse
from pipelines.core.tables import PUBLISHED_COLUMNS, TABLE_DDL, columns_of

MARTS = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "marts"
# Columns a mart keeps for the pipeline's own use and the publish step leaves out.
IDENTIFYING = {"mrn"}


def mart_contract(name: str) -> list[tuple[str, str]]:
    """The contract's columns with their types as DuckDB names them: a contract uses names
    both engines know (string, which DuckDB creates as VARCHAR; Spark has no bare varchar)."""
    (model,) = yaml.safe_load((MARTS / f"{name}.yml").read_text(encoding="utf-8"))["models"]
    assert model["config"]["contract"]["enforced"] is True
    return [(column["name"], duckdb_type(column["data_type"])) for column in model["columns"]]


def duckdb_type(name: str) -> str:
    return str(duckdb.sql(f"SELECT CAST(NULL AS {name})").types[0])


def test_column_ddl_quotes_names_and_keeps_order_and_types() -> None:
    columns = {"load_id": "INTEGER", "column": "VARCHAR", "loaded_at": "TIMESTAMP"}
    assert warehouse.column_ddl(columns) == (
        '"load_id" INTEGER, "column" VARCHAR, "loaded_at" TIMESTAMP')


@pytest.mark.parametrize("table", list(PUBLISHED_COLUMNS))
def test_each_published_table_is_created_with_its_declared_columns(table: str) -> None:
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t ({TABLE_DDL[table]})")
    described = [(name, type_) for name, type_, *_ in con.execute("DESCRIBE t").fetchall()]
    assert described == list(PUBLISHED_COLUMNS[table].items())
    assert columns_of(table) == [name for name, _ in described]


@pytest.mark.parametrize("table", ["patients", "outcomes", "questionnaire_items", "study_flow"])
def test_published_columns_agree_with_the_mart_contract(table: str) -> None:
    contract = [(name, type_) for name, type_ in mart_contract(table) if name not in IDENTIFYING]
    assert contract == list(PUBLISHED_COLUMNS[table].items())


def test_the_issue_columns_agree_with_the_load_data_issues_contract() -> None:
    assert mart_contract("load_data_issues") == list(warehouse.LOAD_ISSUE_COLUMNS.items())


def test_load_audit_is_published_as_the_warehouse_keeps_it() -> None:
    assert PUBLISHED_COLUMNS["load_audit"] == warehouse.LOAD_FILE_COLUMNS
