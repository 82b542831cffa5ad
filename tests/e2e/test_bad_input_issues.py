"""Bad input end to end, the data issues: every rule of docs/rules.md  planted in the
bad-input landing folder (tests/e2e/bad_input.py) is one data issue at its file, row and column,
with its raw value, and nothing else is; data_quality counts them; `pmps issues` and `pmps load`
print them.

Every expected value below is worked out by hand from the planted rows and the contract.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest

from tests.e2e.bad_input import (
    FILES,
    MA,
    MB,
    PA,
    PB1,
    PB2,
    PRA,
    PRB,
    QA,
    QB,
    REJECTED_FILES,
    Loads,
    value,
)
from tests.e2e.harness import run_pmps

SEVERITY = {
    **dict.fromkeys(["bad_file_name", "unreadable_file", "missing_columns", "empty_snapshot",
                     "conflicting_snapshot"], "rejected_file"),
    **dict.fromkeys(["missing_key", "bad_date", "date_in_future", "unknown_event",
                     "unknown_procedure", "bad_dose", "end_before_start",
                     "no_conversion_factor", "duplicate_conflict", "unknown_patient"],
                    "rejected_row"),
    **dict.fromkeys(["out_of_range", "bad_value"], "rejected_value"),
    **dict.fromkeys(["duplicate_identical", "total_mismatch", "group_mismatch",
                     "unknown_column"], "warning"),
}

# The contract does not say which column an unconvertible route is reported on: either the
# route (the faulty field) or the drug (the prescription) is accepted.
ROUTE_OR_DRUG = "route|drug"

ALPHA_ISSUES = [
    (PA, 2, "treatment_group", "group_mismatch"),
    (PA, 3, "sex", "bad_value"),
    (PA, 3, "mastectomy_side", "bad_value"),
    (PA, 4, "mastectomy_date", "bad_value"),
    (PA, 4, "treatment_group", "bad_value"),
    (PA, 5, None, "duplicate_conflict"),
    (PA, 6, None, "duplicate_conflict"),
    (PA, 8, None, "duplicate_identical"),
    (PA, 10, "mrn", "missing_key"),  # row 9 is a blank line
    (PA, 11, "date_of_birth", "bad_date"),
    (PA, 12, "date_of_birth", "date_in_future"),
    (PRA, 7, "procedure", "unknown_procedure"),
    (PRA, 9, "procedure_date", "bad_date"),
    (PRA, 10, "procedure_date", "date_in_future"),
    (PRA, 12, None, "duplicate_identical"),
    (PRA, 14, "procedure", "missing_key"),
    (PRA, 15, "mrn", "unknown_patient"),
    (PRA, 16, "mrn", "unknown_patient"),
    (QA, None, "interviewer", "unknown_column"),
    (QA, None, "visit_note", "unknown_column"),
    (QA, 3, "nrs", "out_of_range"),
    (QA, 5, "nrs", "out_of_range"),
    (QA, 5, "phq9_total", "total_mismatch"),
    (QA, 6, "phq9_1", "out_of_range"),
    (QA, 7, "phq9_total", "out_of_range"),
    (QA, 8, None, "duplicate_conflict"),
    (QA, 9, None, "duplicate_conflict"),
    (QA, 10, "assessment_date", "date_in_future"),
    (QA, 13, None, "duplicate_identical"),
    (QA, 14, "event", "unknown_event"),
    (QA, 15, "assessment_date", "bad_date"),
    (QA, 16, "event", "missing_key"),
    (QA, 16, "assessment_date", "missing_key"),
    (QA, 17, "mrn", "unknown_patient"),
    (QA, 18, "mrn", "unknown_patient"),
    (MA, 2, "drug", "no_conversion_factor"),
    (MA, 4, ROUTE_OR_DRUG, "no_conversion_factor"),
    (MA, 5, "doses_per_day", "bad_dose"),
    (MA, 6, "dose", "bad_dose"),
    (MA, 7, "end_date", "end_before_start"),
    (MA, 8, "start_date", "bad_date"),  # and no end_before_start: its start has a fault
    (MA, 10, None, "duplicate_identical"),
    (MA, 12, "mrn", "unknown_patient"),
    (MA, 13, "start_date", "date_in_future"),
    (MA, 14, "drug", "missing_key"),
    (MA, 15, "unit", "missing_key"),  # and no no_conversion_factor: it needs the unit
]
BETA_ISSUES_COMMON = [
    (PRB, 8, "procedure", "unknown_procedure"),  # row 4 is an empty row
    (QB, 6, "event", "unknown_event"),
    (QB, 10, "mrn", "unknown_patient"),
    (QB, 11, "assessment_date", "bad_date"),
    (QB, 12, "nrs", "out_of_range"),  # 'NA' is no missing token at beta
]
EXPECTED_ISSUES = {
    1: REJECTED_FILES + ALPHA_ISSUES + BETA_ISSUES_COMMON + [
        (PB1, 3, "treatment_group", "group_mismatch"),
    ],
    2: REJECTED_FILES + ALPHA_ISSUES + BETA_ISSUES_COMMON + [
        ("Medications_ALPHA_20261120.csv", None, None, "conflicting_snapshot"),
        ("procedures_beta_20261130.csv", None, None, "conflicting_snapshot"),
        ("Procedures_Beta_20261130.csv", None, None, "conflicting_snapshot"),
        ("medications_beta_20261101.xlsx", None, None, "conflicting_snapshot"),
        (PB2, 3, "treatment_group", "group_mismatch"),
        # 3004 is not in the newer patients snapshot
        (PRB, 7, "mrn", "unknown_patient"),
        (QB, 8, "mrn", "unknown_patient"),
        (QB, 9, "mrn", "unknown_patient"),
        (MB, 3, "mrn", "unknown_patient"),
    ],
}


@pytest.fixture(scope="module")
def loads(bad_input_loads) -> Loads:
    """The three loads the bad-input files share (tests/e2e/conftest.py)."""
    return bad_input_loads


def issue_tuples(frame: pd.DataFrame) -> list[tuple]:
    found = []
    for row in frame.itertuples(index=False):
        number = value(row.row_number)
        found.append((row.file_name, None if number is None else int(number), value(row.column),
                      row.rule, row.severity))
    return found


def loosen(issue: tuple) -> tuple:
    """The unconvertible route on medications row 4 may be reported on route or on drug."""
    file_name, number, column, rule, severity = issue
    if (file_name, number, rule) == (MA, 4, "no_conversion_factor") and column in ("route", "drug"):
        column = ROUTE_OR_DRUG
    return (file_name, number, column, rule, severity)


def expected_tuples(load: int) -> list[tuple]:
    return [(*issue, SEVERITY[issue[3]]) for issue in EXPECTED_ISSUES[load]]


# --- data issues ---------------------------------------------------------------------------

@pytest.mark.parametrize("load, issue", [
    pytest.param(load, issue, id=f"{load}-{issue[0]}-{issue[1]}-{issue[2]}-{issue[3]}")
    for load in (1, 2) for issue in EXPECTED_ISSUES[load]])
def test_planted_problem_is_one_data_issue(loads, load, issue):
    file_name, number, column, rule = issue
    found = [loosen(i) for i in issue_tuples(loads.issues(load))]
    assert found.count((file_name, number, column, rule, SEVERITY[rule])) == 1, \
        sorted(str(i) for i in found if i[0] == file_name)


@pytest.mark.parametrize("load", [1, 2, 3])
def test_no_other_data_issues(loads, load):
    found = Counter(loosen(i) for i in issue_tuples(loads.issues(load)))
    wanted = Counter(expected_tuples(2 if load == 3 else load))
    assert sorted(map(str, found - wanted)) == [] and sorted(map(str, wanted - found)) == []


@pytest.mark.parametrize("file_name, number, column, raw", [
    (QA, 3, "nrs", "11"), (QA, 5, "nrs", "severe"), (QA, 6, "phq9_1", "2.5"),
    (QA, 7, "phq9_total", "28"), (QA, 14, "event", "week_12"),
    (QA, 15, "assessment_date", "2025-02-30"), (QA, 18, "mrn", "a101"),
    (PA, 3, "sex", "unknown"), (PA, 3, "mastectomy_side", "top"),
    (PA, 4, "mastectomy_date", "sometime"), (PA, 4, "treatment_group", "3"),
    (PA, 11, "date_of_birth", "1962-02-30"), (PRA, 7, "procedure", "physiotherapy"),
    (PRA, 9, "procedure_date", "2025-13-01"), (MA, 2, "drug", "buprenorphine"),
    (MA, 5, "doses_per_day", "0"), (MA, 6, "dose", "7,5"), (PRB, 8, "procedure", "Laser"),
    (QB, 6, "event", "6 week review"), (QB, 10, "mrn", "3005"), (QB, 12, "nrs", "NA"),
    (QA, 5, "phq9_total", "12"),  # the clinic total as written, not 12.0
])
def test_issue_keeps_the_raw_value(loads, file_name, number, column, raw):
    issues = loads.issues(1)
    rows = issues[(issues["file_name"] == file_name) & (issues["row_number"] == number)
                  & (issues["column"] == column)]
    assert rows["value"].tolist() == [raw]


def test_issues_carry_source_site_and_a_message(loads):
    issues = loads.issues()
    assert len(issues) > 0
    assert issues["message"].notna().all()
    assert (issues["message"].astype(str).str.strip() != "").all()
    for row in issues.itertuples(index=False):
        naming = FILES[row.file_name]
        assert (value(row.source), value(row.site)) == (
            (None, None) if naming is None else naming[:2]), row.file_name


def test_data_quality_counts_the_issues_of_each_load(loads):
    quality = loads.table("data_quality")
    found = {(int(r.load_id), value(r.source), value(r.site), r.rule, r.severity): int(r.n)
             for r in quality.itertuples(index=False)}
    wanted = Counter()
    for load in (1, 2, 3):
        for file_name, _, _, rule in EXPECTED_ISSUES[2 if load == 3 else load]:
            naming = FILES[file_name]
            source, site = (None, None) if naming is None else naming[:2]
            wanted[(load, source, site, rule, SEVERITY[rule])] += 1
    assert found == dict(wanted)


def test_data_quality_equals_the_data_issues(loads):
    issues = loads.issues()
    counted = Counter((int(r.load_id), value(r.source), value(r.site), r.rule, r.severity)
                      for r in issues.itertuples(index=False))
    quality = loads.table("data_quality")
    assert {(int(r.load_id), value(r.source), value(r.site), r.rule, r.severity): int(r.n)
            for r in quality.itertuples(index=False)} == dict(counted)


def test_pmps_issues_prints_a_loads_issues_with_their_values(loads):
    """`pmps issues` reads the copy each load leaves beside the warehouse: the filters, the
    raw value, and the latest load by default."""
    printed = run_pmps("issues", "--warehouse", str(loads.warehouse), "--load", "1",
                       "--file", QA, "--rule", "out_of_range", cwd=loads.root).stdout
    lines = printed.splitlines()
    assert lines[0].startswith("load 1: ")
    assert f"{QA} row 3 nrs: out_of_range value '11': " in printed
    assert all(" out_of_range " in f" {line} " for line in lines[1:])
    latest = run_pmps("issues", "--warehouse", str(loads.warehouse), "--limit", "1",
                      cwd=loads.root).stdout
    assert latest.startswith("load 3: 1 issue(s) (the first 1)")
    copy = loads.warehouse / "data_issues.duckdb"
    assert copy.stat().st_mode & 0o777 == 0o600


def test_pmps_load_lists_where_the_issues_are_without_values(loads):
    printed = loads.outputs[0].stdout
    assert "issues by rule: " in printed
    assert f"  out_of_range: {QA} row 3 nrs" in printed
    assert "'11'" not in printed  # values stay out of the console
