"""The release writes the rendered page and switches it into place with the other outputs, or
keeps the old page when the switch fails (pipelines.publish.release)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from pipelines.core import builds, tables, warehouse
from pipelines.publish import release, report
from tests.unit.report_tables import GENERATED_AT, study_tables


def outcome_rows() -> pd.DataFrame:
    """A few published outcomes rows (NRS at two visits for three patients in the analysis,
    one outside it), from which the release computes its summaries."""
    columns = ["patient_key", "site", "mrn", "group_code", "in_analysis", "visit_code",
               "visit_order", "param_code", "value", "change", "pct_change",
               "change_from_pre_usgdn"]
    return pd.DataFrame([
        ("a1", "demo", "A1", "NI_USGDN", True, "BASELINE", 0, "NRS", 9.0, 0.0, 0.0, None),
        ("a1", "demo", "A1", "NI_USGDN", True, "POST_USGDN", 2, "NRS", 2.0, -7.0, -77.8, -5.0),
        ("a2", "demo", "A2", "NI_USGDN", True, "BASELINE", 0, "NRS", 10.0, 0.0, 0.0, None),
        ("a2", "demo", "A2", "NI_USGDN", True, "POST_USGDN", 2, "NRS", 3.0, -7.0, -70.0, -4.0),
        ("b1", "demo", "B1", "USGDN_ONLY", True, "BASELINE", 0, "NRS", 8.0, 0.0, 0.0, 0.0),
        ("b1", "demo", "B1", "USGDN_ONLY", True, "POST_USGDN", 2, "NRS", 1.0, -7.0, -87.5,
         -7.0),
        ("c1", "demo", "C1", None, False, "BASELINE", 0, "NRS", 5.0, 0.0, 0.0, None),
    ], columns=columns)


def hand_made_warehouse(warehouse_dir: Path) -> None:
    """warehouse.duckdb as the ingest and dbt leave it for the publish step: the marts (with
    the identifying columns they are ordered by), this load's files and issues."""
    patients = study_tables()["patients"].assign(
        mrn=lambda t: t["patient_key"].str.upper())
    outcomes = outcome_rows()
    load_audit = study_tables()["load_audit"]
    this_load = load_audit[load_audit["load_id"] == 2]
    with warehouse.connect(warehouse_dir) as con:
        for table, extra in (("patients", ", mrn VARCHAR"), ("outcomes", ", mrn VARCHAR"),
                             ("questionnaire_items", ", mrn VARCHAR")):
            con.execute(f"CREATE TABLE main.{table} ({tables.TABLE_DDL[table]}{extra})")
        con.execute(f"CREATE TABLE ingest.load_audit ({warehouse.LOAD_FILE_DDL})")
        con.execute(f"CREATE TABLE ingest.landing_files ({warehouse.LANDING_FILES_DDL})")
        con.execute("INSERT INTO ingest.landing_files (load_id) VALUES (2)")
        con.execute(f"CREATE TABLE main.load_data_issues ({warehouse.LOAD_ISSUE_DDL})")
        con.execute(f"CREATE TABLE ingest.load_issues ({warehouse.ISSUE_DDL})")
        con.execute(f"CREATE TABLE main.study_flow ({tables.TABLE_DDL['study_flow']})")
        con.execute("CREATE TABLE ingest.patient_keys (site VARCHAR, mrn VARCHAR, "
                    "patient_key VARCHAR)")
        con.execute("CREATE TABLE main.int_questionnaires_scored (site VARCHAR, mrn VARCHAR, "
                    "visit_code VARCHAR, visit_order INTEGER, assessment_date DATE)")
        for table, rows in (("main.patients", patients), ("main.outcomes", outcomes),
                            ("main.load_audit", load_audit[load_audit["load_id"] == 1]),
                            ("ingest.load_audit", this_load)):
            con.register("incoming", rows)
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")
            con.unregister("incoming")
        con.execute("""INSERT INTO main.load_data_issues VALUES ('x.csv', 'medications',
                       'demo', 3, 'dose', '0', 'bad_dose', 'rejected_row', 'dose not > 0')""")


def recorded_build_with_a_warning(warehouse_dir: Path) -> None:
    """The record of a dbt build whose test visits_in_order warned (2 rows) and whose other
    tests passed, as the dbt step writes it."""
    target = builds.target_dir(warehouse_dir)
    target.mkdir()
    builds.record(target, {"checks": {
        "int_questionnaires_scored:visits_in_order": {
            "passed": False, "severity": "WARN", "failed_rows": 2,
            "description": "Dates against the visit order."},
        "outcomes:patients_without_baseline": {
            "passed": True, "severity": "WARN", "failed_rows": 0, "description": "None."},
        "outcomes:not_null_outcomes_value": {
            "passed": True, "severity": "ERROR", "failed_rows": 0, "description": None}}})


@pytest.fixture
def fixed_time(monkeypatch) -> None:
    """The release renders its page at GENERATED_AT, so the test can render the same page."""
    render = report.render_report
    monkeypatch.setattr(report, "render_report",
                        lambda tables, generated_at=None, **options: render(
                            tables, GENERATED_AT, **options))


def test_a_release_switches_the_rendered_page_into_place(tmp_path: Path, fixed_time) -> None:
    hand_made_warehouse(tmp_path)
    recorded_build_with_a_warning(tmp_path)
    target = tmp_path / "published" / "report.html"
    rows = release.stage_release(tmp_path)
    assert rows["patients"] == 6 and rows["outcomes"] == 7
    assert not target.exists()  # in the load's release folder until the load is recorded
    assert not (tmp_path / "analytics.duckdb").exists()
    assert (release.release_dir(tmp_path, 2) / "published" / "report.html").exists()
    release.publish_release(tmp_path)
    assert release.current_release(tmp_path) == 2
    # the page is the one the report renders from the published tables and the warnings
    warnings = pd.DataFrame([("visits_in_order", "Dates against the visit order: 2 found")],
                            columns=["check", "summary"])
    published = {**release.report_tables(tmp_path / "analytics.duckdb"), "warnings": warnings}
    assert target.read_text(encoding="utf-8") == report.render_report(published)
    assert list(published["group_summary"]["mean_sd"][
        (published["group_summary"]["group_code"] == "ALL")
        & (published["group_summary"]["visit_code"] == "BASELINE")]) == ["9.0 (1.0)"]
    assert sorted(os.listdir(target.parent)) == [
        "baseline_characteristics.csv", "change_summary.csv", "data_dictionary.csv",
        "group_summary.csv", "parquet", "report.html", "responder_summary.csv", "spss", "stata"]
    assert oct(target.stat().st_mode & 0o777) == "0o644"  # de-identified: readable by all


def test_a_failed_switch_keeps_the_old_page_and_the_next_load_finishes_it(
        tmp_path: Path, monkeypatch, fixed_time) -> None:
    hand_made_warehouse(tmp_path)
    target = tmp_path / "published" / "report.html"
    target.parent.mkdir()
    target.write_text("old page", encoding="utf-8")

    def failing_replace(source, destination):
        raise OSError("disk full")

    release.stage_release(tmp_path)
    with monkeypatch.context() as patched:
        patched.setattr(release.os, "replace", failing_replace)
        with pytest.raises(OSError, match="disk full"):
            release.publish_release(tmp_path)
    assert target.read_text(encoding="utf-8") == "old page"
    assert os.listdir(target.parent) == ["report.html"]
    assert not (tmp_path / "analytics.duckdb").exists()
    # what the release wrote stays in its own folder, never beside the outputs
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "published", "releases", "warehouse.duckdb"]
    # the load was recorded before the switch failed: the next load switches to it first
    release.finish_interrupted_release(tmp_path, last_recorded=2)
    assert release.current_release(tmp_path) == 2
    assert target.read_text(encoding="utf-8") != "old page"
    assert (tmp_path / "analytics.duckdb").is_file()

