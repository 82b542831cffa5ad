"""Hostile files (docs/inputs.md#5-malformed-text, docs/inputs.md#6-limits): in a good landing
folder, each one gets its status,
rule and counts, every good row arrives, and the load stays within time and memory."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import openpyxl
import pytest

from benchmarks.bench import measure
from pipelines.core.tables import TABLE_DDL
from tests.e2e.attack import DEMO, environment, landing_digest, pmps_command, write_demo
from tests.e2e.harness import read_table

# ---- hostile files (docs/inputs.md#5-malformed-text, docs/inputs.md#6-limits)

HOSTILE_CONFIG = """\
limits: {max_cell_bytes: 500000, max_rows: 1000, max_xlsx_uncompressed_bytes: 200000}
sites:
  yy: {date_format: "%d/%m/%y"}
"""


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return path


def hostile_landing(landing: Path) -> dict[str, tuple[str, str | None]]:
    """The demo cohort plus hostile files: name -> (status, rule) a load must give each."""
    write_demo(landing)
    expected = {}

    def add(name: str, data: bytes, status: str, rule: str | None) -> None:
        (landing / os.fsdecode(name.encode("utf-8", "surrogateescape"))).write_bytes(data)
        expected[name] = (status, rule)

    patients = b"mrn,date_of_birth\nH1,1960-01-02\nH2,1961-02-03\n"
    add("patients_zero_20261102.csv", b"", "rejected", "missing_columns")
    add("patients_png_20261102.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20,
        "rejected", "unreadable_file")
    add("patients_wide_20261102.csv", "mrn,date_of_birth\nH1,1960-01-02\n".encode("utf-16"),
        "rejected", "unreadable_file")
    add("patients_cut_20261102.xlsx", (Path(write_xlsx(
        landing.parent / "whole.xlsx", [["mrn", "date_of_birth"], ["H1", "1960-01-02"]]))
        .read_bytes()[:300]), "rejected", "unreadable_file")
    add("patients_text_20261102.xlsx", patients, "rejected", "unreadable_file")
    expected["patients_\\xe9t\\xe9_20261102.csv"] = ("rejected", "bad_file_name")
    (landing / os.fsdecode(b"patients_\xe9t\xe9_20261102.csv")).write_bytes(patients)
    (landing / "patients_link_20261102.csv").symlink_to(landing / f"patients_demo_{DEMO}.csv")
    expected["patients_link_20261102.csv"] = ("rejected", "unreadable_file")
    add("procedures_quote_20261102.csv",
        b'mrn,procedure_date,procedure,notes\nH1,2025-01-01,usgdn,"never closed\n'
        b"H1,2025-01-08,usgdn,ok\n", "rejected", "unreadable_file")
    add("patients_rows_20261102.csv", b"mrn,date_of_birth\n" + b"".join(
        f"R{i},1960-01-02\n".encode() for i in range(1500)), "rejected", "unreadable_file")
    add("patients_cell_20261102.csv", b"mrn,date_of_birth,last_name\nH1,1960-01-02,"
        + b"x" * 600_000 + b"\n", "rejected", "unreadable_file")
    write_xlsx(landing / "patients_sheet_20261102.xlsx", [["mrn", "date_of_birth", "notes"]] + [
        [f"S{i}", "1960-01-02", "y" * 50] for i in range(4000)])
    expected["patients_sheet_20261102.xlsx"] = ("rejected", "unreadable_file")
    # accepted: a long note, records that do not fit the header, a payload, two-digit years
    add("patients_note_20261102.csv", patients, "loaded", None)
    add("procedures_note_20261102.csv", b"mrn,procedure_date,procedure,notes\n"
        b'H1,2025-01-01,usgdn,"' + b"n" * 200_000 + b'"\nH2,2025-01-02,usgdn,short\n',
        "loaded", None)
    add("patients_ragged_20261102.csv", b"mrn,date_of_birth,sex\nH1,1960-01-02,f\n"
        b"H2,1961-02-03\nH3,1962-03-04,m,,\nH4,1963-04-05,m,oops\n", "loaded", None)
    add("patients_sql_20261102.csv", b"mrn,date_of_birth,last_name\n"
        b"\"x'); DROP TABLE patients; --\",1960-01-02,\"Robert'); DROP TABLE raw;--\"\n",
        "loaded", None)
    write_xlsx(landing / "patients_yy_20261102.xlsx",
               [["mrn", "date_of_birth"], ["Y1", dt.date(1948, 5, 6)],
                ["Y2", "07/08/19"]])
    expected["patients_yy_20261102.xlsx"] = ("loaded", None)
    for name in ("procedures", "questionnaires", "medications", "patients"):
        expected[f"{name}_demo_{DEMO}.csv"] = ("loaded", None)
    (landing.parent / "whole.xlsx").unlink()
    return expected


@pytest.fixture(scope="module")
def hostile_load(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    landing, warehouse = root / "landing", root / "warehouse"
    landing.mkdir()
    expected = hostile_landing(landing)
    config = root / "config.yaml"
    config.write_text(HOSTILE_CONFIG, encoding="utf-8")
    before = landing_digest(landing)
    run = measure(pmps_command("load", "--config", str(config), "--landing", str(landing),
                               "--warehouse", str(warehouse)), environment(), root)
    assert landing_digest(landing) == before
    return warehouse, expected, run


def test_each_hostile_file_gets_its_status_and_rule(hostile_load):
    warehouse, expected, _ = hostile_load
    audit = read_table(warehouse / "analytics.duckdb", "SELECT * FROM load_audit")
    issues = read_table(warehouse / "warehouse.duckdb", "SELECT * FROM data_issues")
    rules = {row.file_name: row.rule for row in issues.itertuples()
             if row.severity == "rejected_file"}
    found = {row.file_name: (row.status, rules.get(row.file_name))
             for row in audit.itertuples()}
    assert found == expected
    messages = dict(zip(audit["file_name"], audit["message"], strict=True))
    assert "opened on line 2" in messages["procedures_quote_20261102.csv"]
    assert "limits.max_rows" in messages["patients_rows_20261102.csv"]
    assert "limits.max_cell_bytes" in messages["patients_cell_20261102.csv"]
    assert "limits.max_xlsx_uncompressed_bytes" in messages["patients_sheet_20261102.xlsx"]


def test_hostile_rows_are_counted_and_good_rows_all_arrive(hostile_load):
    warehouse, _, _ = hostile_load
    audit = read_table(warehouse / "analytics.duckdb", "SELECT * FROM load_audit")
    counts = {row.file_name: (row.rows_read, row.rows_loaded, row.rows_rejected)
              for row in audit.itertuples()}
    assert counts["patients_ragged_20261102.csv"] == (4, 2, 2)  # H2 short, H4 beyond
    assert counts["procedures_note_20261102.csv"] == (2, 2, 0)
    assert counts["patients_sql_20261102.csv"] == (1, 1, 0)
    assert counts["patients_rows_20261102.csv"] == (0, 0, 0)
    assert counts[f"patients_demo_{DEMO}.csv"] == (20, 20, 0)
    patients = read_table(warehouse / "analytics.duckdb", "SELECT * FROM patients")
    assert (patients["site"] == "demo").sum() == 20
    assert (patients["site"] == "sql").sum() == 1
    issues = read_table(warehouse / "warehouse.duckdb",
                        "SELECT * FROM data_issues WHERE rule = 'malformed_row'")
    assert sorted(issues["row_number"]) == [2, 4]
    tables = read_table(warehouse / "analytics.duckdb",
                        "SELECT count(*) AS n FROM information_schema.tables")
    assert tables["n"][0] == len(TABLE_DDL)  # the payload dropped nothing


def test_xlsx_date_cells_keep_their_century(hostile_load):
    warehouse, _, _ = hostile_load
    births = read_table(warehouse / "warehouse.duckdb",
                        "SELECT mrn, date_of_birth FROM ingest.patients WHERE site = 'yy'")
    found = {row.mrn: str(row.date_of_birth)[:10] for row in births.itertuples()}
    assert found == {"Y1": "1948-05-06", "Y2": "2019-08-07"}  # a text date follows %y


def test_the_hostile_load_stays_within_time_and_memory(hostile_load):
    _, _, run = hostile_load
    assert run.wall_s < 300 and run.peak_mb < 2048
