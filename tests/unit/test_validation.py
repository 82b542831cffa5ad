"""Unit tests of the row checks of one export (docs/rules.md#3-row-checks): the three steps, the
issue each problem becomes, and the file's accounting."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pytest

from pipelines.core.config import SiteConfig
from pipelines.ingest.landing import ExportName, LandingFile
from pipelines.ingest.readers import build_table
from pipelines.ingest.validation import CheckedExport, check_export
from schemas import SOURCE_SPECS
from schemas.columns import SchemaContext

EXPORT_DATE = dt.date(2026, 11, 24)
DEFAULT = SiteConfig()

PATIENTS = ["mrn", "date_of_birth", "sex"]
PROCEDURES = ["mrn", "procedure_date", "procedure", "notes"]
QUESTIONNAIRES = ["mrn", "event", "assessment_date", "nrs"]
MEDICATIONS = ["mrn", "drug", "dose", "unit", "doses_per_day", "start_date", "end_date", "route"]


def check(source: str, rows: list[list[str]], accepted_mrns: set[str] | None = None,
          site: SiteConfig = DEFAULT, export_date: dt.date = EXPORT_DATE) -> CheckedExport:
    table = build_table(rows, source, site)
    name = f"{source}_pune_{export_date:%Y%m%d}.csv"
    file = LandingFile(name, Path("/landing") / name, "0" * 64,
                       ExportName(source, "pune", export_date), status="loaded",
                       rows_read=table.rows_read)
    return check_export(source, table, file, SchemaContext(site, export_date), accepted_mrns)


ISSUE_COLUMNS = ["file_name", "source", "site", "row_number", "column", "value", "rule",
                 "message", "severity"]


def issues(result: CheckedExport) -> list[SimpleNamespace]:
    """The issues, one object per issue with its columns as attributes."""
    assert sorted(result.issues.columns) == sorted(ISSUE_COLUMNS)
    return [SimpleNamespace(**issue) for issue in result.issues.iter_rows(named=True)]


def found(result: CheckedExport) -> set[tuple]:
    """(row_number, column, rule) of every issue."""
    return {(i.row_number, i.column, i.rule) for i in issues(result)}


def accepted(result: CheckedExport) -> list[int]:
    return sorted(int(r) for r in result.rows["row_number"])


def row(result: CheckedExport, number: int) -> dict[str, str | None]:
    """The accepted row with this row number, as {column: text}."""
    [record] = result.rows.filter(result.rows["row_number"] == number).to_dicts()
    return record


def accounting(result: CheckedExport) -> tuple[int, int, int]:
    return result.rows_read, result.rows_loaded, result.rows_rejected


# ---- step 1: each row on its own ---------------------------------------------------------


def test_missing_key_once_per_empty_required_column():
    result = check("patients", [
        PATIENTS,
        ["", "", "f"],  # two empty required columns: two issues, one rejected row
        ["A2", "NA", "m"],  # NA is a missing-value token
        ["A3", "1960-01-02", "f"],
        ["NULL", "1960-01-02", "f"],
    ])
    assert found(result) == {(1, "mrn", "missing_key"), (1, "date_of_birth", "missing_key"),
                             (2, "date_of_birth", "missing_key"), (4, "mrn", "missing_key")}
    assert all(i.severity == "rejected_row" for i in issues(result))
    assert all(i.value is None for i in issues(result))
    assert accounting(result) == (4, 1, 3)  # rows_read = rows_loaded + rows_rejected
    assert accepted(result) == [3]


def test_bad_date_is_not_also_date_in_future():
    result = check("procedures", [
        PROCEDURES,
        ["A1", "2026-02-30", "usgdn", ""],  # not a date
        ["A1", "2026-11-25", "usgdn", ""],  # the day after the export date
        ["A1", "2026-11-24", "usgdn", ""],  # the export date itself is fine
        ["A1", "24/11/2026", "usgdn", ""],  # not the site's (default ISO) format
        ["A1", "2027-02-30", "usgdn", ""],  # invalid and would be in the future: bad_date only
    ])
    assert found(result) == {(1, "procedure_date", "bad_date"),
                             (2, "procedure_date", "date_in_future"),
                             (4, "procedure_date", "bad_date"),
                             (5, "procedure_date", "bad_date")}
    values = {i.row_number: i.value for i in issues(result)}
    assert values == {1: "2026-02-30", 2: "2026-11-25", 4: "24/11/2026", 5: "2027-02-30"}
    assert accounting(result) == (5, 1, 4)


def test_dates_in_the_sites_format():
    site = SiteConfig(date_format="%d/%m/%Y")
    result = check("questionnaires", [
        QUESTIONNAIRES,
        ["A1", "BASELINE", "15/01/2026", "5"],
        ["A2", "BASELINE", "2026-01-15", "5"],  # ISO is not this site's format
    ], site=site)
    assert found(result) == {(2, "assessment_date", "bad_date")}
    assert accepted(result) == [1]


def test_several_row_rules_reject_the_row_once():
    result = check("questionnaires", [
        QUESTIONNAIRES,
        ["", "week 2", "2026-02-30", "5"],
        ["A2", "BASELINE", "2026-01-15", "5"],
    ])
    assert found(result) == {(1, "mrn", "missing_key"), (1, "event", "unknown_event"),
                             (1, "assessment_date", "bad_date")}
    assert accounting(result) == (2, 1, 1)


def test_events_codes_redcap_names_and_site_labels():
    site = SiteConfig(events={"1 week post block": "POST_NI"})
    result = check("questionnaires", [
        QUESTIONNAIRES,
        ["A1", "baseline_arm_1", "2026-01-05", "5"],
        ["A1", "1 Week Post Block", "2026-01-12", "4"],
        ["A1", "post_usgdn", "2026-02-12", "3"],
        ["A1", "week 2", "2026-02-20", "3"],
    ], site=site)
    assert found(result) == {(4, "event", "unknown_event")}
    assert [row(result, n)["visit_code"] for n in (1, 2, 3)] == ["BASELINE", "POST_NI",
                                                                 "POST_USGDN"]


def test_procedures_codes_and_site_labels_case_insensitive():
    site = SiteConfig(procedures={"epidural": "neuraxial_block"})
    result = check("procedures", [
        PROCEDURES,
        ["A1", "2026-01-05", "EPIDURAL", ""],
        ["A1", "2026-01-20", "USGDN", ""],
        ["A1", "2026-01-21", "acupuncture", ""],
        ["A1", "2026-12-01", "Epidural", ""],
    ], site=site)
    assert found(result) == {(3, "procedure", "unknown_procedure"),
                             (4, "procedure_date", "date_in_future")}
    assert accepted(result) == [1, 2]


def test_medication_rules():
    result = check("medications", [
        MEDICATIONS,
        ["A1", "Morphine", "10", "MG", "2", "2026-01-01", "", ""],  # 1 fine, default route oral
        ["A1", "fentanyl", "25", "mcg/h", "1", "2026-01-01", "2026-03-01", ""],  # 2 transdermal
        ["A1", "morphine", "10", "mg", "1", "2026-01-01", "2026-01-10", "intrathecal"],  # 3
        ["A1", "buprenorphine", "5", "mg", "1", "2026-01-01", "", ""],  # 4 no factor
        ["A1", "morphine", "0", "mg", "2", "2026-01-01", "", ""],  # 5 dose not > 0
        ["A1", "morphine", "10", "mg", "7,5", "2026-01-01", "", ""],  # 6 not a number
        ["A1", "morphine", "10", "mg", "2", "2026-02-01", "2026-01-15", ""],  # 7 end < start
        ["A1", "morphine", "10", "mg", "2", "2026-02-30", "2026-01-15", ""],  # 8 bad start only
        ["A1", "morphine", "10", "mg", "2", "2026-02-01", "2026-13-01", ""],  # 9 bad end: value
        ["A1", "buprenorphine", "-5", "mg", "1", "2026-01-01", "", ""],  # 10 two rules
        ["A1", "tramadol", "50", "mg", "3", "2026-01-01", "2026-01-01", ""],  # 11 same day
        ["A1", "morphine", "10", "mcg/h", "1", "2026-01-01", "", ""],  # 12 unit does not fit
    ])
    assert found(result) == {
        (3, "drug", "no_conversion_factor"),
        (4, "drug", "no_conversion_factor"),
        (5, "dose", "bad_dose"),
        (6, "doses_per_day", "bad_dose"),
        (7, "end_date", "end_before_start"),
        (8, "start_date", "bad_date"),
        (9, "end_date", "bad_value"),
        (10, "dose", "bad_dose"),
        (10, "drug", "no_conversion_factor"),
        (12, "drug", "no_conversion_factor"),
    }
    assert accounting(result) == (12, 4, 8)
    assert accepted(result) == [1, 2, 9, 11]
    assert row(result, 9)["end_date"] is None  # the bad value counts as missing
    # rows rejected for the conversion factor, whatever their other faults (row 10 has a bad
    # dose too), still make MME missing where active
    assert sorted(int(r) for r in result.unconvertible["row_number"]) == [3, 4, 10, 12]


def test_medication_site_drug_names():
    site = SiteConfig(drugs={"ultracet": "tramadol"})
    result = check("medications", [
        MEDICATIONS,
        ["A1", "Ultracet", "37.5", "mg", "2", "2026-01-01", "", ""],
        ["A1", "Subutex", "2", "mg", "1", "2026-01-01", "", ""],
    ], site=site)
    assert found(result) == {(2, "drug", "no_conversion_factor")}


def test_optional_fields_that_do_not_parse_are_bad_values():
    header = PATIENTS + ["mastectomy_date", "mastectomy_side", "treatment_group"]
    result = check("patients", [
        header,
        ["A1", "1960-01-02", "w", "2026-13-01", "both", "3"],
        ["A2", "1961-01-02", "F", "2020-05-01", "Left", "2.0"],
    ])
    assert found(result) == {(1, "sex", "bad_value"), (1, "mastectomy_date", "bad_value"),
                             (1, "mastectomy_side", "bad_value"),
                             (1, "treatment_group", "bad_value")}
    assert {i.severity for i in issues(result)} == {"rejected_value"}
    assert {i.column: i.value for i in issues(result)} == {
        "sex": "w", "mastectomy_date": "2026-13-01", "mastectomy_side": "both",
        "treatment_group": "3"}
    assert accounting(result) == (2, 2, 0)  # the rest of the row is used
    assert all(row(result, 1)[c] is None for c in ["sex", "mastectomy_date", "mastectomy_side",
                                                   "treatment_group"])
    assert row(result, 1)["date_of_birth"] == "1960-01-02"
    assert row(result, 2)["sex"] == "F"


def test_questionnaire_values_out_of_range_only_on_surviving_rows():
    header = QUESTIONNAIRES + ["pd_total", "dash_score", "dash_1", "phq9_total", "phq9_1"]
    result = check("questionnaires", [
        header,
        ["A1", "BASELINE", "2026-01-05", "11", "severe", "62.5", "2.5", "7,5", "3.0"],
        ["", "BASELINE", "2026-01-05", "11", "severe", "", "", "", ""],  # missing_key only
        ["A3", "week 2", "2026-01-05", "12", "", "", "", "", ""],  # unknown_event only
        ["A4", "baseline_arm_1", "2026-01-05", "3.0", "-1", "0", "NA", "26.5", ""],
        ["A5", "Post_Usgdn", "2026-01-06", "-1", "38.5", "100.5", "6", "", "4"],
    ])
    assert found(result) == {
        # row 1: nrs 0-10; text is invalid; dash_1 2.5 is no integer; 7,5 is not a number;
        # dash_score 62.5 is fine for a clinic total; phq9_1 3.0 is the integer 3
        (1, "nrs", "out_of_range"), (1, "pd_total", "out_of_range"),
        (1, "dash_1", "out_of_range"), (1, "phq9_total", "out_of_range"),
        (2, "mrn", "missing_key"),
        (3, "event", "unknown_event"),
        # row 4 is valid: pd_total -1, dash_score 0, NA missing, phq9_total 26.5
        (5, "nrs", "out_of_range"), (5, "pd_total", "out_of_range"),
        (5, "dash_score", "out_of_range"), (5, "dash_1", "out_of_range"),
        (5, "phq9_1", "out_of_range"),
    }
    severities = {(i.row_number, i.rule): i.severity for i in issues(result)}
    assert severities[(1, "out_of_range")] == "rejected_value"
    assert accounting(result) == (5, 3, 2)
    assert accepted(result) == [1, 4, 5]
    row1 = row(result, 1)
    assert all(row1[c] is None for c in ["nrs", "pd_total", "dash_1", "phq9_total"])
    assert (row1["dash_score"], row1["phq9_1"]) == ("62.5", "3.0")
    assert row(result, 4)["visit_code"] == "BASELINE"


def test_site_missing_values_replace_the_defaults():
    site = SiteConfig(missing_values=["", "-99"])
    result = check("questionnaires", [
        QUESTIONNAIRES,
        ["A1", "BASELINE", "2026-01-05", "-99"],  # missing: no issue
        ["A2", "BASELINE", "2026-01-05", "NA"],  # no longer a token: text, so invalid
        ["-99", "BASELINE", "2026-01-05", "4"],  # an empty key
    ], site=site)
    assert found(result) == {(2, "nrs", "out_of_range"), (3, "mrn", "missing_key")}
    assert row(result, 1)["nrs"] is None


def test_blank_rows_keep_their_row_number_in_issues():
    result = check("patients", [
        PATIENTS, ["A1", "bad", "f"], ["", "", ""], [" ", "", ""], ["A2", "1960-99-01", "f"]])
    assert found(result) == {(1, "date_of_birth", "bad_date"), (4, "date_of_birth", "bad_date")}
    assert accounting(result) == (2, 0, 2)


# ---- step 2: duplicates ------------------------------------------------------------------


def test_identical_rows_are_one_row_and_the_copies_count_as_loaded():
    result = check("procedures", [
        PROCEDURES + ["clinician"],
        ["A1", "2026-01-05", "usgdn", "", "Dr A"],
        ["A1", "2026-01-05", "usgdn", "NA", "Dr A"],  # NA reads as empty: identical to row 1
        ["A1", "2026-01-06", "usgdn", "", "Dr A"],  # another session
        ["A1", "2026-01-05", "usgdn", "", "Dr B"],  # differs only outside the canonical columns
        [" A1 ", "2026-01-05 ", "usgdn", "", ""],  # trimmed: identical
    ])
    assert found(result) == {(2, None, "duplicate_identical"), (4, None, "duplicate_identical"),
                             (5, None, "duplicate_identical")}
    assert {i.severity for i in issues(result)} == {"warning"}
    assert accounting(result) == (5, 5, 0)
    assert accepted(result) == [1, 3]


def test_procedures_and_medications_have_no_conflicts():
    procedures = check("procedures", [
        PROCEDURES,
        ["A1", "2026-01-05", "usgdn", ""],
        ["A1", "2026-01-05", "usgdn", "second needle site"],
    ])
    assert found(procedures) == set()
    assert accepted(procedures) == [1, 2]
    medications = check("medications", [
        MEDICATIONS,
        ["A1", "morphine", "10", "mg", "2", "2026-01-01", "", ""],
        ["A1", "morphine", "20", "mg", "2", "2026-01-01", "", ""],
    ])
    assert found(medications) == set()
    assert accounting(medications) == (2, 2, 0)


def test_patient_conflict_rejects_every_row_of_it():
    result = check("patients", [
        PATIENTS,
        ["A1", "1960-01-02", "f"],
        ["A1", "1960-01-03", "f"],  # same mrn, other content
        ["A2", "1970-01-01", "m"],
        ["A2", "1970-01-01", "m"],  # identical: a warning, not a conflict
        ["a1", "1960-01-02", "f"],  # another patient: mrn case is kept
    ])
    assert found(result) == {(1, None, "duplicate_conflict"), (2, None, "duplicate_conflict"),
                             (4, None, "duplicate_identical")}
    conflicts = [i for i in issues(result) if i.rule == "duplicate_conflict"]
    assert {i.severity for i in conflicts} == {"rejected_row"}
    assert accounting(result) == (5, 3, 2)
    assert accepted(result) == [3, 5]


def test_identical_copy_of_a_conflicting_row_is_part_of_the_conflict():
    # A, A' (a copy of A) and B for one visit: three conflicts, no duplicate_identical
    result = check("questionnaires", [
        QUESTIONNAIRES,
        ["A1", "BASELINE", "2026-01-05", "7"],  # 1 A
        ["A1", "BASELINE", "2026-01-05", "7"],  # 2 A'
        ["A1", "BASELINE", "2026-01-05", "6"],  # 3 B
        ["A2", "BASELINE", "2026-01-05", "4"],  # 4
        ["A2", "BASELINE", "2026-01-05", "4"],  # 5 a copy with no conflict: counted once
    ])
    assert found(result) == {(1, None, "duplicate_conflict"), (2, None, "duplicate_conflict"),
                             (3, None, "duplicate_conflict"), (5, None, "duplicate_identical")}
    assert accounting(result) == (5, 2, 3)
    assert accepted(result) == [4]
    messages = {i.message for i in issues(result) if i.rule == "duplicate_conflict"}
    assert messages == {"rows 1, 2, 3 differ for mrn A1, visit_code BASELINE"}


def test_questionnaire_conflict_is_one_patient_and_visit():
    result = check("questionnaires", [
        QUESTIONNAIRES,
        ["A1", "BASELINE", "2026-01-05", "7"],
        ["A1", "baseline_arm_1", "2026-01-05", "6"],  # same visit, other answer
        ["A1", "POST_NI", "2026-02-01", "5"],  # another visit of the same patient
        ["A2", "BASELINE", "2026-01-05", "4"],
        ["A2", "BASELINE", "2026-01-05", "4"],
        ["A3", "BASELINE", "2026-01-05", "4"],  # another patient, same content otherwise
    ])
    assert found(result) == {(1, None, "duplicate_conflict"), (2, None, "duplicate_conflict"),
                             (5, None, "duplicate_identical")}
    assert accounting(result) == (6, 4, 2)
    assert accepted(result) == [3, 4, 6]


def test_rows_rejected_in_step_1_take_no_part_in_duplicates():
    result = check("patients", [
        PATIENTS,
        ["A1", "2026-02-30", "f"],
        ["A1", "2026-02-30", "f"],  # identical, but both already rejected: no warning
        ["A2", "1970-01-01", "m"],
        ["A2", "1970-13-01", "m"],  # rejected in step 1, so row 3 has no conflict
    ])
    assert found(result) == {(1, "date_of_birth", "bad_date"), (2, "date_of_birth", "bad_date"),
                             (4, "date_of_birth", "bad_date")}
    assert accounting(result) == (4, 1, 3)
    assert accepted(result) == [3]


def test_value_issues_are_not_reported_on_conflicting_rows():
    result = check("patients", [
        PATIENTS,
        ["A1", "1960-01-02", "w"],
        ["A1", "1960-01-02", "f"],
    ])
    assert found(result) == {(1, None, "duplicate_conflict"), (2, None, "duplicate_conflict")}
    assert accounting(result) == (2, 0, 2)


# ---- step 3: unknown_patient -------------------------------------------------------------


def test_unknown_patient_mrn_is_case_sensitive():
    result = check("questionnaires", [
        QUESTIONNAIRES,
        ["a1008", "BASELINE", "2026-01-05", "5"],  # A1008's case differs: another patient
        ["A1008", "BASELINE", "2026-01-05", "5"],
        ["A9999", "BASELINE", "2026-01-05", "11"],  # unknown: its value is not checked
        ["", "BASELINE", "2026-01-05", "5"],  # rejected in step 1 only
        ["B1", "POST_NI", "2026-02-01", "1"],
        ["B1", "POST_NI", "2026-02-01", "2"],  # a conflict: rejected in step 2 only
    ], accepted_mrns={"A1008"})
    assert found(result) == {(1, "mrn", "unknown_patient"), (3, "mrn", "unknown_patient"),
                             (4, "mrn", "missing_key"), (5, None, "duplicate_conflict"),
                             (6, None, "duplicate_conflict")}
    unknown = {i.row_number: (i.value, i.severity) for i in issues(result)
               if i.rule == "unknown_patient"}
    assert unknown == {1: ("a1008", "rejected_row"), 3: ("A9999", "rejected_row")}
    assert accounting(result) == (6, 1, 5)
    assert accepted(result) == [2]


def test_no_patients_snapshot_means_every_row_is_unknown():
    result = check("procedures", [PROCEDURES, ["A1", "2026-01-05", "usgdn", ""],
                                  ["A1", "2026-01-05", "usgdn", ""]], accepted_mrns=set())
    # the copy is dropped in step 2 and counts as loaded; the first row is unknown
    assert found(result) == {(1, "mrn", "unknown_patient"), (2, None, "duplicate_identical")}
    assert accepted(result) == []


@pytest.mark.parametrize("source", ["procedures", "medications"])
def test_patients_export_is_checked_without_a_patient_list(source):
    rows = {"procedures": [PROCEDURES, ["A1", "2026-01-05", "usgdn", ""]],
            "medications": [MEDICATIONS, ["A1", "morphine", "10", "mg", "2", "2026-01-01", "",
                                          ""]]}[source]
    assert found(check(source, rows, accepted_mrns={"A1"})) == set()
    assert found(check(source, rows, accepted_mrns={"A2"})) == {(1, "mrn", "unknown_patient")}


@pytest.mark.parametrize("mrns", [{"A1"}, frozenset({"A1"}), ["A1"], ("A1",), {"A1": 1}.keys()],
                         ids=["set", "frozenset", "list", "tuple", "dict_keys"])
def test_accepted_mrns_may_be_any_collection(mrns):
    result = check("procedures", [PROCEDURES, ["A1", "2026-01-05", "usgdn", ""],
                                  ["B1", "2026-01-05", "usgdn", ""]], accepted_mrns=mrns)
    assert found(result) == {(2, "mrn", "unknown_patient")}
    assert accepted(result) == [1]


@pytest.mark.parametrize("source", ["patients", "procedures", "questionnaires", "medications"])
def test_required_columns_are_the_schema_columns_that_must_have_a_value(source):
    spec = SOURCE_SPECS[source]
    schema = spec.schema(SchemaContext(SiteConfig(), dt.date(2026, 11, 20)))
    must_have = {name for name, column in schema.columns.items() if not column.nullable}
    assert must_have == set(spec.required)
    assert tuple(schema.columns) == spec.columns  # the schema checks every known column


def test_each_source_has_its_spec_in_the_load_order():
    assert tuple(SOURCE_SPECS) == ("patients", "procedures", "questionnaires", "medications")
    assert all(spec.name == name for name, spec in SOURCE_SPECS.items())


def test_a_malformed_record_is_a_rejected_row_with_its_own_issue():
    result = check("patients", [
        PATIENTS,
        ["A1", "1960-01-02", "f"],
        ["A2", "1960-01-02"],  # ends before the header's last named column
        ["A3", "1960-01-02", "m", "", ""],  # empty cells beyond it are ignored
        ["A4", "1960-01-02", "m", "x"],  # a non-empty cell beyond it is not
    ])
    assert found(result) == {(2, None, "malformed_row"), (4, None, "malformed_row")}
    assert accepted(result) == [1, 3]
    assert accounting(result) == (4, 2, 2)
