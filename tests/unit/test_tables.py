"""The published columns (pipelines.core.tables) and the warehouse's own tables: the CREATE
TABLE lists made from them, and the marts' columns read from their enforced dbt contracts."""

from __future__ import annotations

import dataclasses

import duckdb
import polars as pl
import pytest

from pipelines.core import warehouse
from pipelines.core.issues import ISSUE_SCHEMA, Issue
from pipelines.core.tables import PUBLISHED_COLUMNS, TABLE_DDL, columns_of, mart_contract


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


def test_a_mart_is_published_with_its_contract_columns_less_the_record_number() -> None:
    contract = mart_contract("patients")
    assert list(contract)[:4] == ["patient_key", "site", "mrn", "group_code"]
    assert contract["in_analysis"] == "BOOLEAN" and contract["age_at_index"] == "INTEGER"
    assert PUBLISHED_COLUMNS["patients"] == {k: v for k, v in contract.items() if k != "mrn"}
    assert list(PUBLISHED_COLUMNS["study_flow"].items()) == [
        ("site", "VARCHAR"), ("step", "INTEGER"), ("stage", "VARCHAR"), ("reason", "VARCHAR"),
        ("n", "INTEGER")]


def test_the_published_tables_keep_their_order() -> None:
    assert list(PUBLISHED_COLUMNS)[:4] == [
        "patients", "outcomes", "questionnaire_items", "group_summary"]


def test_the_checks_issue_frames_are_the_load_data_issues_contract_but_severity() -> None:
    """The checks' frames (ISSUE_SCHEMA) get their severity from the rule (with_severity), and
    an Issue's fields fill them in order (issues_frame builds rows with astuple)."""
    contract = mart_contract("load_data_issues")
    del contract["severity"]
    assert [(name, warehouse.POLARS_TYPES[type_]) for name, type_ in contract.items()] == list(
        ISSUE_SCHEMA.items())
    assert list(ISSUE_SCHEMA.items()) == [
        ("file_name", pl.String), ("source", pl.String), ("site", pl.String),
        ("row_number", pl.Int32), ("column", pl.String), ("value", pl.String),
        ("rule", pl.String), ("message", pl.String)]
    assert [field.name for field in dataclasses.fields(Issue)] == list(ISSUE_SCHEMA)
    assert mart_contract("load_data_issues") is not mart_contract("load_data_issues")


def test_load_audit_is_published_as_the_warehouse_keeps_it() -> None:
    assert PUBLISHED_COLUMNS["load_audit"] == warehouse.LOAD_FILE_COLUMNS
