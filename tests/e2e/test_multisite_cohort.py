"""The four-site sample with planted problems, loaded twice through the real pipeline and
compared cell by cell with the tables the contract expects (tests/fixtures/multisite)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.e2e.expected_tables import differences, with_patient_key
from tests.e2e.harness import MULTISITE, PSEUDONYM_KEY, read_table

EXPECTED = MULTISITE / "expected"
KEY = PSEUDONYM_KEY.encode()


def expected(name: str) -> pd.DataFrame:
    return pd.read_csv(EXPECTED / f"{name}.csv", dtype={"mrn": str})


@pytest.mark.parametrize("table, keys", [
    ("patients", ["patient_key"]),
    ("outcomes", ["patient_key", "visit_code", "param_code"]),
    ("questionnaire_items", ["patient_key", "visit_code", "item"]),
])
def test_patient_tables_match(multisite_loads, table, keys):
    found = differences(multisite_loads.table(table), with_patient_key(expected(table), KEY), keys)
    assert found == []


@pytest.mark.parametrize("table, keys", [
    ("group_summary", ["group_code", "visit_code", "param_code"]),
    ("change_summary", ["group_code", "visit_code", "param_code", "reference"]),
    ("responder_summary", ["group_code", "visit_code", "criterion"]),
])
def test_summaries_match(multisite_loads, table, keys):
    assert differences(multisite_loads.table(table), expected(table), keys) == []


def test_load_audit_matches(multisite_loads):
    audit = multisite_loads.table("load_audit").rename(columns={"load_id": "load"})
    audit["export_date"] = [None if pd.isna(d) else d.strftime("%Y-%m-%d")
                            for d in audit["export_date"]]
    assert differences(audit, expected("load_audit"), ["load", "file_name"]) == []


def test_file_statuses_follow_the_manifest(multisite_loads):
    audit = multisite_loads.table("load_audit")
    manifest = json.loads((MULTISITE / "manifest.json").read_text())
    for entry in manifest["files"]:
        if entry["folder"] == "extra":
            continue  # only reachable through the landing folder's symbolic link
        for load, status in entry["expected_status"].items():
            rows = audit[(audit["load_id"] == int(load)) & (audit["file_name"] == entry["name"])]
            assert rows["status"].tolist() == ([] if status is None else [status]), \
                (entry["name"], load)


def test_data_quality_matches(multisite_loads):
    quality = multisite_loads.table("data_quality").rename(columns={"load_id": "load"})
    assert differences(quality, expected("data_quality"),
                       ["load", "source", "site", "rule", "severity"]) == []


def test_data_issues_match(multisite_loads):
    issues = read_table(multisite_loads.warehouse / "warehouse.duckdb",
                        "SELECT * FROM data_issues").rename(columns={"load_id": "load"})
    wanted = expected("data_issues")
    for frame in (issues, wanted):
        frame["row_number"] = frame["row_number"].astype("Int64")
        frame["n"] = 1
    keys = ["load", "file_name", "row_number", "column", "rule"]
    assert differences(issues, wanted, keys) == []
    assert len(issues) == len(wanted)


def test_every_issue_names_file_and_rule(multisite_loads):
    issues = read_table(multisite_loads.warehouse / "warehouse.duckdb",
                        "SELECT * FROM data_issues WHERE severity <> 'rejected_file'")
    assert issues["file_name"].notna().all() and issues["message"].notna().all()
    row_level = issues[issues["rule"] != "unknown_column"]
    assert row_level["row_number"].notna().all()
