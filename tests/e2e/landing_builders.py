"""Builders for a small two-site landing folder with every bad-input rule of docs/rules.md
 planted at a known file, row and column (used by tests/e2e/bad_input.py).

Site `alpha` uses the defaults (UTF-8, delimiter sniffed, ISO dates); site `beta` is read as
latin-1, `;`-separated, day-first dates, with its own column names, event, procedure and drug
labels (BETA_CONFIG). Row numbers in the comments are the contract's `row_number`: the
record's position below the header row, a blank line included.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

from openpyxl import Workbook

ALPHA_EXPORT = "20261120"
BETA_EXPORT = "20261118"

BETA_CONFIG = """\
# alpha is not listed: it is read with the defaults
sites:
  Beta:
    encoding: latin-1
    delimiter: ";"
    Date_Format: "%d/%m/%Y"  # config keys match case-insensitively
    missing_values: ["", "-99"]
    columns:
      "Record ID": mrn
      "Event Name": event
      "Date of assessment": assessment_date
      "NRS pain": nrs
      "First name": first_name
      "Surname": last_name
      "Sex": sex
      "Date of birth": date_of_birth
      "Procedure date": procedure_date
      "Procedure": procedure
    events:
      "Pre-treatment": BASELINE
      "1 week post block": POST_NI
      "After dry needling": POST_USGDN
    procedures:
      "Epidural": neuraxial_block
      "Dry needling": usgdn
    drugs:
      "Ultracet": tramadol
"""

BLANK = None  # a line with no cells: no data row, but it takes a row number


def write_delimited(path: Path, header: list[str], rows: list[list[str] | None], *,
                    delimiter: str = ",", encoding: str = "utf-8", bom: bool = False,
                    line_end: str = "\n") -> None:
    """Write a delimited text file by hand (no quoting needed: no cell holds the delimiter)."""
    lines = [delimiter.join(header)]
    for row in rows:
        lines.append("" if row is BLANK else delimiter.join(row))
    data = (line_end.join(lines) + line_end).encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


# --- site alpha: defaults ----------------------------------------------------------------

ALPHA_PATIENTS_HEADER = ["mrn", "first_name", "last_name", "sex", "date_of_birth",
                         "mastectomy_date", "mastectomy_side", "treatment_group"]
ALPHA_PATIENTS = [
    ["A101", "Ann", "Lee", "F", "1960-05-10", "2024-01-15", "left", "1"],  # 1 clean
    ["A102", "Bea", "Kim", "female", "1970-03-03", "2024-02-01", "Right", "2"],  # 2 group_mismatch
    ["A103", "Cat", "Ng", "unknown", "1955-07-07", "2023-11-30", "top", ""],  # 3 bad sex, side
    ["A104", "Dee", "Ong", "x", "1965-01-01", "sometime", "left", "3"],  # 4 bad date, group
    ["A105", "Eve", "Orr", "f", "1972-02-02", "2024-03-03", "left", ""],  # 5 conflict
    ["A105", "Eve", "Orr", "f", "1972-02-02", "2024-03-04", "left", ""],  # 6 conflict
    ["A106", "Fay", "Poe", "m", "1980-08-08", "2024-04-04", "right", "2"],  # 7
    ["A106", "Fay", "Poe", "m", "1980-08-08", "2024-04-04", "right", "2"],  # 8 identical copy
    BLANK,  # 9: a blank line
    ["", "Gus", "Ray", "f", "1950-01-01", "", "", ""],  # 10 missing_key mrn
    ["A108", "Hal", "Sim", "zzz", "1962-02-30", "", "", ""],  # 11 bad_date (no bad_value)
    ["A109", "Ida", "Tan", "f", "2027-01-01", "", "", ""],  # 12 date_in_future date_of_birth
]

PROCEDURES_HEADER = ["mrn", "procedure_date", "procedure", "notes", "ward"]  # ward: not canonical
ALPHA_PROCEDURES = [
    ["A101", "2025-01-10", "neuraxial_block", "epidural T4", "W1"],  # 1
    ["A101", "2025-02-01", "usgdn", "", "W1"],  # 2
    ["A101", "2025-02-08", "usgdn", "", "W1"],  # 3
    ["A102", "2025-01-05", "Pulsed_RF", "", "W2"],  # 4
    ["A102", "2025-01-20", "usgdn", "", "W2"],  # 5
    ["A103", "2025-03-01", "usgdn", "", "W2"],  # 6
    ["A103", "2024-12-01", "physiotherapy", "", "W2"],  # 7 unknown_procedure
    ["A104", "2025-02-10", "usgdn", "", "W3"],  # 8
    ["A104", "2025-13-01", "neuraxial_block", "", "W3"],  # 9 bad_date procedure_date
    ["A104", "2026-12-01", "neuraxial_block", "", "W3"],  # 10 date_in_future procedure_date
    ["A106", "2025-04-01", "usgdn", "", "W1"],  # 11
    ["A106", "2025-04-01", "usgdn", " ", "W2"],  # 12 duplicate_identical (ward not canonical)
    ["A106", "2025-04-15", "usgdn", "", "W1"],  # 13
    ["A106", "2025-03-01", "", "planned", "W1"],  # 14 missing_key procedure
    ["A105", "2025-01-15", "usgdn", "", "W1"],  # 15 unknown_patient (conflicting patients rows)
    ["A199", "2025-01-15", "neuraxial_block", "", "W1"],  # 16 unknown_patient (no such patient)
    ["A101", "2025-02-08", "usgdn", "left side", "W1"],  # 17 differs from 3: a second session
    ["", "", "", "", ""],  # 18 every cell empty: no data row
]

QUESTIONNAIRES_HEADER = (["mrn", "event", "assessment_date", "nrs"]
                         + [f"phq9_{i}" for i in range(1, 10)]
                         + ["phq9_total", "interviewer", "visit_note"])


def _q(mrn: str, event: str, date: str, nrs: str, phq9: list[str] | None = None,
       total: str = "", interviewer: str = "JS") -> list[str]:
    return [mrn, event, date, nrs, *(phq9 or [""] * 9), total, interviewer, ""]


ALPHA_QUESTIONNAIRES = [
    _q("A101", "BASELINE", "2025-01-05", "8", ["1"] * 9, "9.04"),  # 1 total within 0.05
    _q("A101", "post_ni_arm_1", "2025-01-17", "5", ["1"] * 9),  # 2 REDCap event name
    _q("A101", "POST_USGDN", "2025-02-15", "11", ["1"] * 9),  # 3 out_of_range nrs
    _q("A102", "baseline_arm_1", "2025-01-02", "7", ["2"] * 9, "18"),  # 4
    _q("A102", "POST_USGDN", "2025-02-01", "severe", ["1"] * 9, "12"),  # 5 nrs; total_mismatch
    _q("A103", "BASELINE", "2025-02-20", "6", ["2.5"] + ["1"] * 8),  # 6 out_of_range phq9_1
    _q("A103", "POST_USGDN", "2025-03-20", "3", ["0"] * 9, "28"),  # 7 out_of_range phq9_total
    _q("A104", "BASELINE", "2025-02-01", "5"),  # 8 duplicate_conflict
    _q("A104", "BASELINE", "2025-02-03", "6"),  # 9 duplicate_conflict
    _q("A104", "POST_USGDN", "2026-12-01", "2"),  # 10 date_in_future assessment_date
    _q("A104", "FU_3M", "2025-05-10", "4.0"),  # 11 4.0 is the integer 4
    _q("A106", "BASELINE", "2025-03-25", "9", total=""),  # 12
    _q("A106", "BASELINE", "2025-03-25", " 9 ", total="NA", interviewer="KL"),  # 13 identical
    _q("A106", "week_12", "2025-06-01", "15"),  # 14 unknown_event (nrs 15 not checked)
    _q("A106", "POST_USGDN", "2025-02-30", "4"),  # 15 bad_date assessment_date
    _q("A106", "", "", "4"),  # 16 missing_key event and assessment_date
    _q("A105", "BASELINE", "2025-01-10", "12"),  # 17 unknown_patient (nrs not checked)
    _q("a101", "FU_3M", "2025-04-01", "2"),  # 18 unknown_patient ('a101' is not 'A101')
    _q(" A106 ", "POST_USGDN", "2025-04-20", "2"),  # 19 mrn trimmed
]

ALPHA_MEDICATIONS_HEADER = [" MRN", "drug", "dose", "unit", "doses_per_day", "start_date",
                            "end_date", "route"]
ALPHA_MEDICATIONS = [
    ["A101", "morphine", "10", "mg", "3", "2024-12-01", "2025-01-20", "oral"],  # 1 30 MME
    ["A101", "buprenorphine", "5", "mcg/h", "1", "2025-02-10", "", "transdermal"],  # 2 no factor
    ["A102", "tramadol", "50", "mg", "2", "2025-01-01", "", "oral"],  # 3 20 MME
    ["A102", "morphine", "1", "mg", "1", "2025-01-25", "", "intrathecal"],  # 4 no factor
    ["A103", "oxycodone", "5", "mg", "0", "2025-01-01", "", "oral"],  # 5 bad_dose doses_per_day
    ["A103", "codeine", "7,5", "mg", "2", "2025-01-01", "", "oral"],  # 6 bad_dose dose
    ["A103", "tramadol", "50", "mg", "2", "2025-03-10", "2025-03-01", "oral"],  # 7 end<start
    ["A104", "morphine", "10", "mg", "2", "2025-13-01", "2025-01-01", "oral"],  # 8 bad_date
    ["A104", "hydromorphone", "2", "mg", "4", "2025-01-01", "2025-12-31", "oral"],  # 9 40 MME
    ["A104", "hydromorphone", "2", "mg", "4", "2025-01-01", "2025-12-31", "oral"],  # 10 copy
    ["A106", "Fentanyl", "12", "MCG/H", "1", "2025-03-01", "", ""],  # 11 28.8 MME
    ["A105", "morphine", "10", "mg", "1", "2025-01-01", "", "oral"],  # 12 unknown_patient
    ["A106", "morphine", "5", "mg", "2", "2026-12-01", "", "oral"],  # 13 date_in_future
    ["A103", "", "10", "mg", "1", "2025-01-01", "", "oral"],  # 14 missing_key drug
    ["A106", "morphine", "5", "", "2", "2025-01-01", "", "oral"],  # 15 missing_key unit only
]

# --- site beta: latin-1, ';', day-first dates, renamed columns and mapped labels -----------

BETA_PATIENTS_HEADER = ["Record ID", "First name", "Surname", "Sex", "Date of birth",
                        "mastectomy_date", "mastectomy_side", "treatment_group"]
BETA_PATIENTS = [
    ["3001", "Zoë", "Muñoz", "F", "15/04/1961", "10/01/2024", "left", "1.0"],  # 1
    ["3002", "Ana", "Böhm", "female", "02/03/1958", "-99", "RIGHT", ""],  # 2
    ["3003", "Li", "Wu", "-99", "20/10/1970", "", "", "1"],  # 3 group_mismatch (no USGDN)
    ["3004", "Mia", "Roe", "f", "05/05/1966", "", "", "2"],  # 4 dropped by the newer snapshot
]

BETA_QUESTIONNAIRES_HEADER = ["Record ID", "Event Name", "Date of assessment", "NRS pain"]
BETA_QUESTIONNAIRES = [
    ["3001", "Pre-treatment", "05/01/2025", "9"],  # 1
    ["3001", "1 week post block", "15/01/2025", "6"],  # 2
    ["3001", "After dry needling", "10/02/2025", "-99"],  # 3 nrs missing (site token)
    ["3002", "pre-treatment ", "03/01/2025", "7"],  # 4
    ["3002", "After dry needling", "20/01/2025", "3"],  # 5
    ["3002", "6 week review", "01/02/2025", "2"],  # 6 unknown_event
    ["3003", "Pre-treatment", "10/01/2025", "5"],  # 7
    ["3004", "Pre-treatment", "25/01/2025", "8"],  # 8
    ["3004", "After dry needling", "15/02/2025", "4"],  # 9
    ["3005", "Pre-treatment", "01/01/2025", "5"],  # 10 unknown_patient
    ["3001", "Pre-treatment", "2025-01-05", "9"],  # 11 bad_date (ISO at a day-first site)
    ["3003", "After dry needling", "01/02/2025", "NA"],  # 12 out_of_range: NA is no token here
    ["3002", "FU_3M", "18/11/2026", "1"],  # 13 on the export date: not in the future
]

BETA_MEDICATIONS_HEADER = ["Record ID", "drug", "dose", "unit", "doses_per_day", "start_date",
                           "end_date"]
BETA_MEDICATIONS = [
    ["3001", "ULTRACET ", "37.5", "mg", "3", "01/12/2024", ""],  # 1 tramadol: 22.5 MME
    ["3002", "morphine", "5", "mg", "2", "01/01/2025", "10/01/2025"],  # 2 10 MME
    ["3004", "codeine", "30", "mg", "4", "01/02/2025", ""],  # 3 18 MME
]

# XLSX: a title row and an empty row above the header (sheet row 3); record n is sheet row 3+n
BETA_PROCEDURES_XLSX = [
    [3001.0, dt.date(2025, 1, 8), "Epidural", "L2-3"],  # 1
    [3001.0, dt.date(2025, 2, 3), "Dry needling", None],  # 2
    [3002.0, dt.date(2025, 1, 12), "dry needling ", None],  # 3
    [],  # 4: an empty row
    [3002.0, "05/01/2025", "EPIDURAL", None],  # 5 a date as text: day-first, 5 January
    [3003.0, dt.date(2025, 1, 20), "Epidural", None],  # 6
    [3004.0, dt.date(2025, 2, 1), "Dry needling", None],  # 7
    [3001.0, dt.date(2025, 1, 2), "Laser", None],  # 8 unknown_procedure
]


def write_beta(path: Path, header: list[str], rows: list[list[str] | None],
               title: str | None = None) -> None:
    """latin-1, ';', CRLF; an optional title line above the header."""
    above = [] if title is None else [title]
    lines = [*above, ";".join(header), *(";".join(row) for row in rows)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))


def write_xlsx(path: Path, above: list[list], header: list[str], rows: list[list]) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Export"
    for row in [*above, header, *rows]:
        sheet.append(row)
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, dt.date):
                cell.number_format = "DD/MM/YYYY"
    book.save(path)
    _whole_numbers_as_floats(path)


def _whole_numbers_as_floats(path: Path) -> None:
    """openpyxl stores 3001.0 as <v>3001</v>; write <v>3001.0</v>, as some exporters do, so
    that a reader sees the float 3001.0 (dates are styled cells and stay as they are)."""
    with zipfile.ZipFile(path) as source:
        parts = {info: source.read(info.filename) for info in source.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in parts.items():
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(rb'(<c r="[A-Z]+[0-9]+" t="n"><v>)(-?[0-9]+)(</v>)', rb"\1\2.0\3",
                              data)
            target.writestr(info, data)


def build_first_landing(landing: Path, outside: Path) -> None:
    """The landing folder of load 1 (``outside`` holds the symbolic link's target)."""
    landing.mkdir(parents=True)
    outside.mkdir(parents=True)
    a, b = ALPHA_EXPORT, BETA_EXPORT
    # alpha: UTF-8 with BOM and CRLF line ends; comma; tab-separated medications
    write_delimited(landing / f"patients_alpha_{a}.csv", ALPHA_PATIENTS_HEADER, ALPHA_PATIENTS,
                    bom=True, line_end="\r\n")
    write_delimited(landing / f"procedures_alpha_{a}.csv", PROCEDURES_HEADER, ALPHA_PROCEDURES)
    write_delimited(landing / f"questionnaires_alpha_{a}.csv", QUESTIONNAIRES_HEADER,
                    ALPHA_QUESTIONNAIRES)
    write_delimited(landing / f"medications_alpha_{a}.csv", ALPHA_MEDICATIONS_HEADER,
                    ALPHA_MEDICATIONS, delimiter="\t")
    # beta
    write_beta(landing / f"patients_beta_{b}.csv", BETA_PATIENTS_HEADER, BETA_PATIENTS)
    write_beta(landing / f"questionnaires_beta_{b}.csv", BETA_QUESTIONNAIRES_HEADER,
               BETA_QUESTIONNAIRES)
    write_beta(landing / f"medications_beta_{b}.csv", BETA_MEDICATIONS_HEADER,
               BETA_MEDICATIONS, title="Beta clinic - medications")
    # an older beta medications snapshot: superseded
    write_beta(landing / "medications_beta_20261101.csv", BETA_MEDICATIONS_HEADER,
               [["3002", "morphine", "50", "mg", "1", "01/01/2025", ""]])
    write_xlsx(landing / f"procedures_beta_{b}.xlsx",
               [["Procedure log - Beta clinic"], []],
               ["Record ID", "Procedure date", "Procedure", "Notes"], BETA_PROCEDURES_XLSX)
    # rejected files
    write_beta(landing / "medications_beta_20261120.csv", BETA_MEDICATIONS_HEADER, [])  # empty
    write_beta(landing / "questionnaires_beta_20261119.csv",  # no "Date of assessment"
               ["Record ID", "Event Name", "NRS pain"], [["3001", "Pre-treatment", "4"]])
    (landing / "procedures_alpha_20261119.xlsx").write_bytes(b"PK\x03\x04 truncated, not a zip")
    (landing / "README.txt").write_text("exports from the alpha and beta clinics\n")
    write_delimited(landing / "questionnaires_alpha_20261131.csv", QUESTIONNAIRES_HEADER,
                    ALPHA_QUESTIONNAIRES[:2])  # 31 November is no calendar date
    target = outside / "patients_alpha_20261121.csv"  # a valid, newer snapshot: never followed
    write_delimited(target, ALPHA_PATIENTS_HEADER, ALPHA_PATIENTS[:1])
    (landing / "patients_alpha_20261121.csv").symlink_to(target)
    # ignored: a hidden file and a sub-folder
    write_delimited(landing / ".patients_alpha_20261122.csv", ALPHA_PATIENTS_HEADER,
                    ALPHA_PATIENTS[:1])
    (landing / "archive").mkdir()
    write_delimited(landing / "archive" / "patients_alpha_20261201.csv", ALPHA_PATIENTS_HEADER,
                    ALPHA_PATIENTS[:1])


def add_second_delivery(landing: Path) -> None:
    """Files that arrive before load 2."""
    # newer beta patients snapshot without 3004
    write_beta(landing / "patients_beta_20261124.csv", BETA_PATIENTS_HEADER, BETA_PATIENTS[:3])
    # the same bytes as the current alpha questionnaires, re-delivered under a later date
    (landing / "questionnaires_alpha_20261126.csv").write_bytes(
        (landing / f"questionnaires_alpha_{ALPHA_EXPORT}.csv").read_bytes())
    # an older alpha procedures snapshot arriving late (it would change every alpha group)
    write_delimited(landing / "procedures_alpha_20261001.csv", PROCEDURES_HEADER,
                    [["A101", "2024-06-01", "usgdn", "", "W1"],
                     ["A103", "2024-06-01", "pulsed_rf", "", "W1"]])
    # different bytes for (medications, alpha, 2026-11-20), which load 1 used
    write_delimited(landing / "Medications_ALPHA_20261120.csv", ALPHA_MEDICATIONS_HEADER[:6],
                    [["A103", "morphine", "100", "mg", "1", "2025-01-01"],
                     ["A106", "morphine", "100", "mg", "1", "2025-01-01"]])
    # different bytes for (medications, beta, 2026-11-01), which load 1 used as superseded
    write_xlsx(landing / "medications_beta_20261101.xlsx", [], BETA_MEDICATIONS_HEADER,
               [[3002, "morphine", 50, "mg", 1, dt.date(2025, 1, 1), None]])
    # two different new files for one (procedures, beta, date), arriving together
    write_beta(landing / "procedures_beta_20261130.csv",
               ["Record ID", "Procedure date", "Procedure"],
               [["3003", "01/02/2025", "Dry needling"]])
    write_beta(landing / "Procedures_Beta_20261130.csv",
               ["Record ID", "Procedure date", "Procedure"],
               [["3003", "02/02/2025", "Dry needling"], ["3003", "03/02/2025", "Dry needling"]])
