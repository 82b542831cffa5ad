"""Dates and links end to end, through one real `pmps load` of one landing folder:

A. two-digit years and XLSX date cells (docs/rules.md#6-dates): text dates follow
   Python's strptime for ``%y`` (00-68 -> 2000-2068, 69-99 -> 1969-1999), and an XLSX date
   cell is a date whatever the site's ``date_format``, in every date column;
B. birthdays on 29 February (docs/tables.md#5-patients, ``patients.age_at_index``): completed
   years counted by month and day, so the year is complete on 1 March in a common year;
C. symbolic links in the landing folder (docs/inputs.md#2-file-names; docs/rules.md#8-accounting):
a badly named link is ``bad_file_name`` (the first check), a well-named one
   ``unreadable_file``, and neither is followed (``sha256`` null).

Site ``xl`` sends XLSX exports with date cells, site ``yy`` CSV exports with two-digit years;
both are configured ``date_format: "%d/%m/%y"``. Every expected value is worked out by hand
from the rows below and the contract (the arithmetic is in the comments).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from tests.e2e.harness import PSEUDONYM_KEY, read_table, run_pmps
from tests.e2e.landing_builders import write_delimited, write_xlsx

CONFIG = """\
sites:
  xl: {date_format: "%d/%m/%y"}
  yy: {date_format: "%d/%m/%y"}
"""
EXPORT = "20260115"  # every export's date: 15 January 2026

D = dt.date

# --- site xl: XLSX exports whose dates are date cells -------------------------------------
# A date cell is written as the date it holds; write_xlsx shows it as DD/MM/YYYY, and X6's
# cells are shown with a two-digit year (dd/mm/yy), as a clinic's Excel might show them: a
# reader that went by the shown text would read X6's 1950 as 2050.

XL_PATIENTS = [
    ["X1", D(1948, 3, 12), D(2023, 6, 1)],  # 1 born before 1969: a cell keeps its century
    ["X2", D(2000, 2, 29), None],  # 2 leap day, index 28 Feb 2025
    ["X3", D(2000, 2, 29), None],  # 3 leap day, index 1 Mar 2025
    ["X4", "05/07/69", None],  # 4 text in an XLSX follows date_format: 1969-07-05
    ["X5", D(1996, 2, 29), None],  # 5 leap day, index 28 Feb 2024 (a leap year)
    ["X6", D(1950, 1, 20), D(2024, 11, 30)],  # 6 cells shown as dd/mm/yy
]
XL_PROCEDURES = [
    ["X1", D(2025, 1, 10), "neuraxial_block"],  # 1 X1's index date
    ["X1", D(2025, 2, 1), "usgdn"],  # 2
    ["X2", D(2025, 2, 28), "usgdn"],  # 3
    ["X3", D(2025, 3, 1), "usgdn"],  # 4
    ["X4", D(2025, 1, 10), "usgdn"],  # 5
    ["X5", D(2024, 2, 28), "usgdn"],  # 6
    ["X6", D(2025, 1, 20), "usgdn"],  # 7 shown as dd/mm/yy
]
XL_QUESTIONNAIRES = [
    ["X1", "BASELINE", D(2025, 1, 5), 8],  # 1
    ["X1", "POST_USGDN", D(2025, 2, 15), 4],  # 2
]
XL_MEDICATIONS = [
    # 1 active 2024-12-01..2025-01-20: 10 mg x 3 x factor 1 = 30 MME
    ["X1", "morphine", 10, "mg", 3, D(2024, 12, 1), D(2025, 1, 20)],
    # 2 from 2025-02-10 (a date-and-time cell), open-ended: 50 mg x 2 x factor 0.2 = 20 MME
    ["X1", "tramadol", 50, "mg", 2, dt.datetime(2025, 2, 10, 9, 30), None],
]

# --- site yy: CSV exports with two-digit years in text -------------------------------------

YY_PATIENTS = [
    ["Y1", "12/03/48", ""],  # 1 %y: 48 -> 2048-03-12, after the export date: date_in_future
    ["Y2", "12/03/69", "01/06/23"],  # 2 %y: 69 -> 1969-03-12; 23 -> 2023-06-01
    ["Y3", "29/02/00", ""],  # 3 %y: 00 -> 2000, a leap year: 2000-02-29
    ["Y4", "29/02/00", ""],  # 4
    ["Y5", "29/02/00", ""],  # 5
    ["Y6", "29/02/00", ""],  # 6
    ["Y7", "01/03/72", ""],  # 7 %y: 72 -> 1972-03-01
]
YY_PROCEDURES = [
    ["Y1", "10/01/25", "usgdn"],  # 1 unknown_patient: Y1's patients row is rejected
    ["Y2", "10/01/25", "usgdn"],  # 2
    ["Y3", "28/02/25", "usgdn"],  # 3 28 February of a common year
    ["Y4", "01/03/25", "usgdn"],  # 4 1 March of a common year
    ["Y5", "29/02/24", "usgdn"],  # 5 the birthday itself, in a leap year
    ["Y6", "28/02/24", "usgdn"],  # 6 the day before it, in a leap year
    ["Y7", "01/03/25", "usgdn"],  # 7 the 53rd birthday
]

# --- symbolic links: name -> (status, rule, source, site, export date) ----------------------
# Targets are outside the landing folder. A link that was followed would be hashed (sha256
# not null) or, for the folder, skipped as a sub-folder (no load_audit row).
LINKS = {
    # badly named: no export date; its target is a valid patients export
    "patients_link.csv": ("rejected", "bad_file_name", None, None, None),
    # badly named (31 November is no date); its target is a folder
    "procedures_xl_20261131.csv": ("rejected", "bad_file_name", None, None, None),
    # badly named and dangling
    "notes.txt": ("rejected", "bad_file_name", None, None, None),
    # well named (case-insensitively) and dangling: the name passes, the link is unreadable
    "Patients_Linked_20260110.XLSX": ("rejected", "unreadable_file", "patients", "linked",
                                      "2026-01-10"),
}
HIDDEN_LINK = ".patients_xl_20260116.xlsx"  # hidden: ignored, in no load_audit row

PATIENTS_XL, PROCEDURES_XL = f"patients_xl_{EXPORT}.xlsx", f"procedures_xl_{EXPORT}.xlsx"
QUESTIONNAIRES_XL, MEDICATIONS_XL = (f"questionnaires_xl_{EXPORT}.xlsx",
                                     f"medications_xl_{EXPORT}.xlsx")
PATIENTS_YY, PROCEDURES_YY = f"patients_yy_{EXPORT}.csv", f"procedures_yy_{EXPORT}.csv"
EXPORTS = [PATIENTS_XL, PROCEDURES_XL, QUESTIONNAIRES_XL, MEDICATIONS_XL, PATIENTS_YY,
           PROCEDURES_YY]


def build_landing(landing: Path, outside: Path) -> None:
    landing.mkdir(parents=True)
    outside.mkdir(parents=True)
    write_xlsx(landing / PATIENTS_XL, [], ["mrn", "date_of_birth", "mastectomy_date"],
               XL_PATIENTS)
    write_xlsx(landing / PROCEDURES_XL, [], ["mrn", "procedure_date", "procedure"],
               XL_PROCEDURES)
    write_xlsx(landing / QUESTIONNAIRES_XL, [], ["mrn", "event", "assessment_date", "nrs"],
               XL_QUESTIONNAIRES)
    write_xlsx(landing / MEDICATIONS_XL, [], ["mrn", "drug", "dose", "unit", "doses_per_day",
                                              "start_date", "end_date"], XL_MEDICATIONS)
    show_two_digit_years(landing / PATIENTS_XL, "X6")
    show_two_digit_years(landing / PROCEDURES_XL, "X6")
    write_delimited(landing / PATIENTS_YY, ["mrn", "date_of_birth", "mastectomy_date"],
                    YY_PATIENTS)
    write_delimited(landing / PROCEDURES_YY, ["mrn", "procedure_date", "procedure"],
                    YY_PROCEDURES)
    target = outside / "patients_link_20260115.csv"
    write_delimited(target, ["mrn", "date_of_birth"], [["L1", "01/01/60"]])
    (landing / "patients_link.csv").symlink_to(target)
    (landing / "procedures_xl_20261131.csv").symlink_to(outside, target_is_directory=True)
    (landing / "notes.txt").symlink_to(outside / "no such file")
    (landing / "Patients_Linked_20260110.XLSX").symlink_to(outside / "gone.xlsx")
    (landing / HIDDEN_LINK).symlink_to(landing / PATIENTS_XL)


def show_two_digit_years(path: Path, mrn: str) -> None:
    """Give the date cells of ``mrn``'s rows the display format dd/mm/yy: what Excel shows
    must not matter, the cell holds the date."""
    book = load_workbook(path)
    for row in book.active.iter_rows():
        if row[0].value == mrn:
            for cell in row:
                if isinstance(cell.value, dt.date):
                    cell.number_format = "dd/mm/yy"
    book.save(path)


@dataclass
class Load:
    landing: Path
    warehouse: Path

    def analytics(self, query: str) -> pd.DataFrame:
        return read_table(self.warehouse / "analytics.duckdb", query)

    def private(self, query: str) -> pd.DataFrame:
        """The pipeline's own database: typed ingest tables and row-level issues."""
        return read_table(self.warehouse / "warehouse.duckdb", query)


@pytest.fixture(scope="module")
def load(tmp_path_factory) -> Load:
    root = tmp_path_factory.mktemp("dates_and_links")
    landing, warehouse, config = root / "landing", root / "warehouse", root / "config.yaml"
    build_landing(landing, root / "outside")
    config.write_text(CONFIG, encoding="utf-8")
    run_pmps("load", "--config", str(config), "--landing", str(landing), "--warehouse",
             str(warehouse), cwd=root)  # exit 0 is checked: it published
    return Load(landing, warehouse)


def key(site: str, mrn: str) -> str:
    return hmac.new(PSEUDONYM_KEY.encode(), f"{site}:{mrn}".encode(),
                    hashlib.sha256).hexdigest()[:16]


def value(cell: object) -> object:
    """A cell as a Python value, null (None, NaN, NaT, NA) as None."""
    return None if cell is None or pd.isna(cell) else cell


def day(cell: object) -> str | None:
    """A DATE cell as ISO text (pandas reads it as a Timestamp), null as None."""
    return None if value(cell) is None else str(cell)[:10]


def ingest_dates(load: Load, table: str, site: str, columns: list[str]) -> dict[str, list]:
    """mrn -> the typed dates of its accepted rows, in file order."""
    rows = load.private(f"SELECT mrn, {', '.join(columns)} FROM ingest.{table} "
                        f"WHERE site = '{site}' ORDER BY row_number")
    found: dict[str, list] = {}
    for row in rows.itertuples(index=False):
        values = tuple(day(v) for v in row[1:])
        found.setdefault(row.mrn, []).append(values[0] if len(values) == 1 else values)
    return found


def published_patient(load: Load, site: str, mrn: str) -> dict:
    rows = load.analytics(f"SELECT * FROM patients WHERE patient_key = '{key(site, mrn)}'")
    assert len(rows) == 1, (site, mrn)
    return rows.iloc[0].to_dict()


# --- A: XLSX date cells at a %d/%m/%y site --------------------------------------------------

def test_xlsx_patient_date_cells_keep_their_century(load):
    assert ingest_dates(load, "patients", "xl", ["date_of_birth", "mastectomy_date"]) == {
        "X1": [("1948-03-12", "2023-06-01")],  # a 1948 cell is 1948, not 2048
        "X2": [("2000-02-29", None)],
        "X3": [("2000-02-29", None)],
        "X4": [("1969-07-05", None)],  # text '05/07/69' in %d/%m/%y: 69 -> 1969
        "X5": [("1996-02-29", None)],
        "X6": [("1950-01-20", "2024-11-30")],  # shown as 20/01/50: still 1950
    }


def test_xlsx_procedure_and_prescription_date_cells_are_dates(load):
    assert ingest_dates(load, "procedures", "xl", ["procedure_date"]) == {
        "X1": ["2025-01-10", "2025-02-01"], "X2": ["2025-02-28"], "X3": ["2025-03-01"],
        "X4": ["2025-01-10"], "X5": ["2024-02-28"], "X6": ["2025-01-20"]}
    assert ingest_dates(load, "medications", "xl", ["start_date", "end_date"]) == {
        "X1": [("2024-12-01", "2025-01-20"), ("2025-02-10", None)]}  # the time is dropped


def test_xlsx_dates_give_age_and_months_since_mastectomy(load):
    x1 = published_patient(load, "xl", "X1")
    # index 2025-01-10 (the block); born 1948-03-12: 2025 - 1948 = 77, and 01-10 < 03-12,
    # so the 77th year is not complete: 76
    assert x1["age_at_index"] == 76
    # 2023-06-01 -> 2024-01-01: 30+31+31+30+31+30+31 = 214 days; -> 2025-01-01: 366 (2024
    # is a leap year); -> 2025-01-10: 9; 589 days / 30.4375 = 19.35 -> 19
    assert x1["months_since_mastectomy"] == 19
    assert (x1["group_code"], x1["in_analysis"]) == ("NI_USGDN", True)
    x6 = published_patient(load, "xl", "X6")
    # index 2025-01-20, born 1950-01-20: 2025 - 1950 = 75, the birthday itself: 75
    assert x6["age_at_index"] == 75
    # 2024-11-30 -> 2025-01-20: 1 (to 12-01) + 31 (to 01-01) + 19 = 51 days; 51 / 30.4375
    # = 1.68 -> 1
    assert x6["months_since_mastectomy"] == 1
    # X4 (text '05/07/69' -> 1969-07-05), index 2025-01-10: 2025 - 1969 = 56, 01-10 < 07-05: 55
    assert published_patient(load, "xl", "X4")["age_at_index"] == 55


def test_xlsx_dates_give_study_days_and_mme(load):
    rows = load.analytics(f"""SELECT visit_code, param_code, study_day, value FROM outcomes
                              WHERE patient_key = '{key("xl", "X1")}'""")
    found = {(r.visit_code, r.param_code): (int(r.study_day), float(r.value))
             for r in rows.itertuples(index=False)}
    assert found == {
        # 2025-01-05 is 5 days before the index date 2025-01-10: study day -5 (no day 0)
        ("BASELINE", "NRS"): (-5, 8.0),
        # morphine active (2024-12-01 <= 2025-01-05 <= 2025-01-20): 10 x 3 x 1 = 30;
        # tramadol starts later
        ("BASELINE", "MME"): (-5, 30.0),
        # 2025-01-10 -> 2025-02-15: 21 + 15 = 36 days, on/after the index date: 36 + 1 = 37
        ("POST_USGDN", "NRS"): (37, 4.0),
        # morphine ended 2025-01-20; tramadol from 2025-02-10: 50 x 2 x 0.2 = 20 (30 + 20 =
        # 50 would mean the end_date cell was lost)
        ("POST_USGDN", "MME"): (37, 20.0),
    }


# --- A: two-digit years in text at a %d/%m/%y CSV site --------------------------------------

def test_text_year_69_is_1969(load):
    assert ingest_dates(load, "patients", "yy", ["date_of_birth", "mastectomy_date"])["Y2"] \
        == [("1969-03-12", "2023-06-01")]
    y2 = published_patient(load, "yy", "Y2")
    # index 2025-01-10, born 1969-03-12: 2025 - 1969 = 56, 01-10 < 03-12: 55
    assert y2["age_at_index"] == 55
    # 2023-06-01 -> 2025-01-10 is 589 days, as for X1: 19
    assert y2["months_since_mastectomy"] == 19


def test_text_year_48_is_2048_and_the_patients_row_is_rejected_as_in_the_future(load):
    issues = load.private(f"""SELECT row_number, "column", value, rule, severity, message
                              FROM data_issues WHERE file_name = '{PATIENTS_YY}'""")
    assert issues.drop(columns="message").to_dict("records") == [{
        "row_number": 1, "column": "date_of_birth", "value": "12/03/48",
        "rule": "date_in_future", "severity": "rejected_row"}]
    assert "2026-01-15" in issues["message"][0]  # the message names the export date
    # the row is rejected: not typed, not a patient, its procedure has no patient
    assert "Y1" not in ingest_dates(load, "patients", "yy", ["date_of_birth"])
    assert load.analytics(
        f"SELECT * FROM patients WHERE patient_key = '{key('yy', 'Y1')}'").empty
    audit = load.analytics(f"""SELECT rows_read, rows_loaded, rows_rejected FROM load_audit
                               WHERE file_name = '{PATIENTS_YY}'""")
    assert audit.to_dict("records") == [{"rows_read": 7, "rows_loaded": 6, "rows_rejected": 1}]
    raw = load.private(f"""SELECT date_of_birth FROM raw.patients_rows
                           WHERE file_name = '{PATIENTS_YY}' AND mrn = 'Y1'""")
    assert raw["date_of_birth"].tolist() == ["12/03/48"]  # it stays in raw, as written


def test_only_the_planted_issues(load):
    issues = load.private('SELECT file_name, row_number, "column", rule FROM data_issues')
    found = sorted((r.file_name, value(r.row_number), value(r.column), r.rule)
                   for r in issues.itertuples(index=False))
    assert found == sorted([
        (PATIENTS_YY, 1, "date_of_birth", "date_in_future"),
        (PROCEDURES_YY, 1, "mrn", "unknown_patient"),
        *((name, None, None, rule) for name, (_, rule, *_) in LINKS.items()),
    ])


# --- B: 29 February birthdays --------------------------------------------------------------

@pytest.mark.parametrize("site, mrn, age", [
    # CSV text dates (born 2000-02-29)
    ("yy", "Y3", 24),  # index 2025-02-28: 2025 - 2000 = 25, 02-28 < 02-29: 24
    ("yy", "Y4", 25),  # index 2025-03-01: 03-01 >= 02-29: 25 (complete on 1 March)
    ("yy", "Y5", 24),  # index 2024-02-29: 2024 - 2000 = 24, the birthday itself: 24
    ("yy", "Y6", 23),  # index 2024-02-28: 24, 02-28 < 02-29: 23
    # born 1972-03-01, index 2025-03-01, the birthday: 53. Counted in days it is 53 x 365 +
    # 13 leap days (1976 ... 2024) = 19358 < 53 x 365.25 = 19358.25: a days / 365.25 age
    # would give 52
    ("yy", "Y7", 53),
    # XLSX date cells
    ("xl", "X2", 24),  # born 2000-02-29, index 2025-02-28: 25 - 1 = 24
    ("xl", "X3", 25),  # born 2000-02-29, index 2025-03-01: 25
    ("xl", "X5", 27),  # born 1996-02-29, index 2024-02-28: 2024 - 1996 = 28, 28 - 1 = 27
])
def test_leap_day_birthday_age_at_index(load, site, mrn, age):
    patient = published_patient(load, site, mrn)
    assert (patient["age_at_index"], patient["in_analysis"]) == (age, True)


# --- C: symbolic links -----------------------------------------------------------------------

@pytest.mark.parametrize("name", list(LINKS))
def test_symbolic_link_is_rejected_unfollowed(load, name):
    assert (load.landing / name).is_symlink()
    rows = load.analytics(f"SELECT * FROM load_audit WHERE file_name = '{name}'")
    assert len(rows) == 1
    row = rows.iloc[0]
    status, rule, source, site, export_date = LINKS[name]
    assert (row["status"], value(row["source"]), value(row["site"]),
            day(row["export_date"])) == (status, source, site, export_date)
    assert value(row["sha256"]) is None  # never followed, so never hashed
    assert (row["rows_read"], row["rows_loaded"], row["rows_rejected"]) == (0, 0, 0)
    issues = load.private(f"SELECT rule, severity FROM data_issues WHERE file_name = '{name}'")
    assert issues.to_dict("records") == [{"rule": rule, "severity": "rejected_file"}]


def test_load_audit_lists_the_exports_and_links_but_not_the_hidden_link(load):
    audit = load.analytics("SELECT file_name, status, sha256 FROM load_audit")
    assert sorted(audit["file_name"]) == sorted([*EXPORTS, *LINKS])
    for row in audit.itertuples(index=False):
        if row.file_name in EXPORTS:  # every regular file loaded, with its own hash
            digest = hashlib.sha256((load.landing / row.file_name).read_bytes()).hexdigest()
            assert (row.status, row.sha256) == ("loaded", digest), row.file_name
