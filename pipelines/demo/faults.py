"""Planted problems of a synthetic registry: a few rows per site for every row-level rule of
docs/rules.md#1-data-issues, the clinic's own totals, and the file-level problems of a landing
folder (a superseded snapshot, a re-delivered copy, a badly named file, an empty snapshot, a
file without its required columns)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from pipelines.core.reference import questionnaire_codebook
from pipelines.demo.codes import ITEMS, PHQ9, POST_USGDN, USGDN
from pipelines.demo.columns import Cohort, Columns, append_rows, pick_rows, site_rows, text
from pipelines.demo.export_files import file_name, write_csv

_PHQ9_ITEMS = tuple(item.item for item in questionnaire_codebook()
                    if item.param_code == PHQ9 and item.whole_numbers_only)


def _row_faults(source: str, future: str) -> list[tuple[str, str]]:
    """The (column, value) edits of a source, one row each; ``future`` is a date after export."""
    return {
        "patients": [("mrn", ""), ("date_of_birth", "1970-02-31"), ("date_of_birth", future),
                     ("sex", "q"), ("mastectomy_side", "middle"), ("treatment_group", "3"),
                     ("mastectomy_date", "soon"), ("mastectomy_side", "NA"),
                     ("mastectomy_side", " Left "), ("sex", "F"), ("treatment_group", "2.0")],
        # the code in capitals and padded: tolerated, not rejected
        "procedures": [("procedure", "acupuncture"), ("procedure_date", "2024-13-01"),
                       ("procedure_date", future), ("procedure", ""),
                       ("procedure", f" {USGDN.upper()} "), ("mrn", "X999999")],
        "questionnaires": [("nrs", "11"), ("dash_3", "2.5"), ("phq9_2", "severe"),
                           ("pd_pattern", "5"), ("nrs", "3.0"), ("event", "week 3"),
                           ("event", f"{POST_USGDN.lower()}_arm_1"),  # a REDCap event name
                           ("assessment_date", "2024/01/01"),
                           ("assessment_date", future), ("event", ""), ("phq9_4", "NA"),
                           ("dash_9", "."), ("mrn", "X999999")],
        "medications": [("dose", "0"), ("dose", "ten"), ("doses_per_day", "-1"),
                        ("end_date", "2000-01-01"), ("drug", "buprenorphine"),
                        ("route", "intrathecal"), ("unit", ""), ("end_date", "someday"),
                        ("drug", " Morphine "), ("mrn", "X999999")],
    }[source]


def plant_row_faults(source: str, columns: Columns, rng: np.random.Generator,
                     export_date: dt.date) -> Columns:
    """A few rows per rule of docs/rules.md#1-data-issues, each on its own row."""
    columns = {name: values.copy() for name, values in columns.items()}
    edits = _row_faults(source, str(export_date + dt.timedelta(days=3)))
    for (column, value), row in zip(edits, pick_rows(rng, columns, len(edits)), strict=False):
        columns[column][row] = value
    if source == "questionnaires":
        prorated, short = pick_rows(rng, columns, 2)
        for item in ("phq9_1", "phq9_5"):
            columns[item][prorated] = ""
        for item in ("dash_1", "dash_2", "dash_3", "dash_4"):
            columns[item][short] = ""
    if source == "patients":
        flip = pick_rows(rng, columns, 1)[0]  # a treatment_group the procedures contradict
        columns["treatment_group"][flip] = {"1": "2", "2": "1", "": "1"}.get(
            columns["treatment_group"][flip], "1")
    copies = pick_rows(rng, columns, 2)
    extra = {name: values[copies].copy() for name, values in columns.items()}
    if source in ("patients", "questionnaires"):  # the second copy conflicts
        changed = "date_of_birth" if source == "patients" else "nrs"
        extra[changed][1] = "1971-07-07" if source == "patients" else "0"
    return append_rows(columns, extra)


def add_clinic_totals(columns: Columns, rng: np.random.Generator) -> Columns:
    """The clinic's own totals (some wrong), and a column the contract does not know."""
    rows = len(columns["mrn"])
    answers = {item: np.array([int(v) if v.isdigit() else -99 for v in columns[item]])
               for item, _, _ in ITEMS}
    phq9 = sum(answers[item] for item in _PHQ9_ITEMS)
    totals = np.where(phq9 >= 0, text(phq9), "")
    wrong = pick_rows(rng, columns, 3)
    totals[wrong] = "27"
    columns = dict(columns, phq9_total=totals.astype(object),
                   comments=np.full(rows, "", object))
    columns["comments"][wrong] = "checked by nurse"
    return columns


def write_file_faults(landing_dir: Path, cohort: Cohort, sites: int,
                      export_date: dt.date) -> list[Path]:
    """Files that a load must reject, supersede or recognise as copies."""
    earlier, later = export_date - dt.timedelta(days=30), export_date + dt.timedelta(days=1)
    first_site = site_rows(cohort.tables["patients"], cohort.sites["patients"] == 0)
    older = {name: values[: max(1, len(values) // 2)] for name, values in first_site.items()}
    written = [write_csv(landing_dir / file_name("patients", 0, earlier), older)]  # superseded
    copy = landing_dir / file_name("questionnaires", sites - 1, later)  # same bytes: duplicate
    copy.write_bytes(
        (landing_dir / file_name("questionnaires", sites - 1, export_date)).read_bytes())
    written.append(copy)
    stray = landing_dir / "site1_patient_list.csv"  # bad_file_name
    stray.write_text("mrn,date_of_birth\nR100000,1960-01-01\n", encoding="utf-8")
    written.append(stray)
    empty = landing_dir / file_name("medications", sites - 1, later)  # empty_snapshot
    empty.write_text("mrn,drug,dose,unit,doses_per_day,start_date\n", encoding="utf-8")
    written.append(empty)
    headless = landing_dir / file_name("procedures", 0, later)  # missing_columns
    headless.write_text(f"mrn,procedure\nR100000,{USGDN}\n", encoding="utf-8")
    written.append(headless)
    return written
