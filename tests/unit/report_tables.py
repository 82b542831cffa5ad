"""Hand-made published tables for the report's tests: two study groups, a few visits, a load
with a rejected file and issues, and the study flow of eight patient rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

GENERATED_AT = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
GROUP_1 = "Group 1: neural intervention then USGDN"
GROUP_2 = "Group 2: USGDN only"
# The columns of the hand-made tables below (the report reads them by name).
COLUMNS = {
    "patients": ["patient_key", "site", "group_code", "in_analysis", "age_at_index", "sex",
                 "mastectomy_side", "months_since_mastectomy", "ni_types", "usgdn_sessions"],
    "group_summary": ["group_code", "visit_code", "visit_order", "param_code", "n", "mean",
                      "sd", "median", "q1", "q3", "min", "max", "mean_sd"],
    "change_summary": ["group_code", "visit_code", "visit_order", "param_code", "reference",
                       "n_pairs", "mean_change", "sd_change", "ci95_low", "ci95_high",
                       "p_wilcoxon", "p_ttest"],
    "responder_summary": ["group_code", "visit_code", "visit_order", "criterion",
                          "n_evaluable", "n_responders", "pct_responders"],
    "load_audit": ["load_id", "file_name", "source", "site", "export_date", "sha256", "status",
                   "rows_read", "rows_loaded", "rows_rejected", "message", "loaded_at"],
    "data_quality": ["load_id", "source", "site", "rule", "severity", "n"],
    "study_flow": ["site", "step", "stage", "reason", "n"],
    "warnings": ["check", "summary"],
}


def frame(name: str, rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS[name])


def study_tables() -> dict[str, pd.DataFrame]:
    patients = frame("patients", [
        ("a1", "demo", "NI_USGDN", True, 52, "female", "left", 14, "neuraxial_block", 6),
        ("a2", "demo", "NI_USGDN", True, 61, "female", "right", 30, "pulsed_rf", 7),
        ("a3", "demo", "NI_USGDN", True, 45, "female", "left", 9, "intrathecal_pump", 5),
        ("b1", "demo", "USGDN_ONLY", True, 48, "female", "right", 22, None, 6),
        ("b2", "demo", "USGDN_ONLY", True, 57, "female", "left", 40, None, 4),
        ("c1", "demo", None, False, 66, "female", "left", 12, "pulsed_rf", 0),
    ])
    # Rows deliberately out of order: the page orders them by the study's orders.
    group_summary = frame("group_summary", [
        ("USGDN_ONLY", "POST_USGDN", 2, "NRS", 6, 1.3, 0.5, 1.0, 1.0, 2.0, 1.0, 2.0, "1.3 (0.5)"),
        ("NI_USGDN", "BASELINE", 0, "NRS", 16, 9.6, 0.9, 10.0, 9.0, 10.0, 8.0, 10.0, "9.6 (0.9)"),
        ("USGDN_ONLY", "FU_6M", 4, "DASH", 1, 20.0, None, 20.0, 20.0, 20.0, 20.0, 20.0,
         "20.0 (NA)"),
        ("NI_USGDN", "POST_NI", 1, "NRS", 15, 8.1, 1.2, 8.0, 7.0, 9.0, 6.0, 10.0, "8.1 (1.2)"),
        ("NI_USGDN", "POST_USGDN", 2, "NRS", 16, 2.0, 0.8, 2.0, 1.5, 2.5, 1.0, 4.0, "2.0 (0.8)"),
        ("USGDN_ONLY", "BASELINE", 0, "NRS", 6, 9.2, 0.7, 9.0, 9.0, 10.0, 8.0, 10.0, "9.2 (0.7)"),
        ("ALL", "BASELINE", 0, "NRS", 22, 9.5, 0.9, 10.0, 9.0, 10.0, 8.0, 10.0, "9.5 (0.9)"),
        ("NI_USGDN", "BASELINE", 0, "DASH", 16, 62.3, 10.4, 61.0, 55.0, 70.0, 40.0, 80.0,
         "62.3 (10.4)"),
    ])
    change_summary = frame("change_summary", [
        ("USGDN_ONLY", "FU_6M", 4, "DASH", "BASELINE", 1, -40.0, None, None, None, None, None),
        ("NI_USGDN", "POST_USGDN", 2, "NRS", "BASELINE", 16, -7.6, 1.1, -8.19, -7.01, 0.00044,
         1.2e-12),
        ("USGDN_ONLY", "POST_USGDN", 2, "NRS", "PRE_USGDN", 6, -7.9, 0.9, -8.84, -6.96,
         0.0283237, 0.000123),
    ])
    responder_summary = frame("responder_summary", [
        ("ALL", "FU_6M", 4, "OPIOID_FREE", 5, 2, 40.0),
        ("NI_USGDN", "POST_USGDN", 2, "NRS_30PCT", 16, 15, 93.75),
        ("NI_USGDN", "FU_6M", 4, "OPIOID_FREE", 10, 3, 30.0),
    ])
    load_audit = frame("load_audit", [
        (1, "patients_demo_20261101.csv", "patients", "demo", "2026-11-01", "aa", "loaded",
         6, 6, 0, None, "2026-11-01 02:00"),
        (2, "patients_demo_20261102.csv", "patients", "demo", "2026-11-02", "bb", "loaded",
         20, 18, 2, None, "2026-11-02 02:00"),
        (2, "procedures_demo_20261102.csv", "procedures", "demo", "2026-11-02", "cc", "loaded",
         10, 10, 0, None, "2026-11-02 02:00"),
        (2, "medications_demo_20261102.csv", "medications", "demo", "2026-11-02", "dd",
         "rejected", 5, 0, 5, "unreadable", "2026-11-02 02:00"),
        (2, "patients_demo_20261101.csv", "patients", "demo", "2026-11-01", "aa", "superseded",
         0, 0, 0, None, "2026-11-02 02:00"),
    ])
    data_quality = frame("data_quality", [
        (1, "patients", "demo", "bad_date", "rejected_row", 9),
        (2, "questionnaires", "demo", "out_of_range", "rejected_value", 3),
        (2, None, None, "bad_file_name", "rejected_file", 1),
        (2, "medications", "demo", "bad_dose", "rejected_row", 2),
    ])
    # 8 patient rows: 1 rejected (bad_date), 1 identical copy, 6 patients, 1 of them excluded
    study_flow = frame("study_flow", [
        (site, step, stage, reason, n) for site in ("demo", "ALL") for step, stage, reason, n in [
            (1, "received", None, 8), (2, "rejected_at_ingestion", "bad_date", 1),
            (3, "rejected_rows", None, 1), (4, "identical_copies", None, 1),
            (5, "patients", None, 6), (6, "excluded", "no_usgdn", 1), (7, "in_analysis", None, 5),
            (8, "group", "USGDN_ONLY", 2), (8, "group", "NI_USGDN", 3)]])
    warnings = frame("warnings", [("patients_without_baseline",
                                   "patients in the analysis with values but no baseline: "
                                   "NRS 1")])
    return {"patients": patients, "outcomes": pd.DataFrame(), "group_summary": group_summary,
            "change_summary": change_summary, "responder_summary": responder_summary,
            "load_audit": load_audit, "data_quality": data_quality, "study_flow": study_flow,
            "warnings": warnings}

