"""Synthetic registry-scale cohorts: N patients over S sites, for benchmarks and scale tests.

``pmps demo --patients N --sites S`` writes one, in the contract's format (docs/inputs.md): a CSV
per source and site, ISO dates, canonical column names, item-level answers
with about 2 % blanks. Patients follow the study's two pathways (neural interventions then
USGDN, or USGDN alone; a few have no USGDN). Columns are drawn with numpy, so 100 000 patients
take seconds.

With ``faults=True`` a handful of rows per site carry a planted problem of every row-level rule
of docs/rules.md#1-data-issues, and the folder gets file-level problems too (a superseded snapshot,
a re-delivered copy, a badly named file, an empty snapshot, a file without its required
columns, an XLSX export, a semicolon-delimited export, a BOM); see pipelines/demo/faults.py.
Every value is invented.

``write_changed_snapshot`` writes the nightly case: a newer questionnaires snapshot of one site.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipelines.core.reference import code_list, mme_factors
from pipelines.demo.codes import (
    BASELINE,
    FU_3M,
    FU_6M,
    ITEMS,
    NI_PROCEDURES,
    POST_NI,
    POST_USGDN,
    USGDN,
)
from pipelines.demo.columns import Cohort, Columns, append_rows, iso, pick_rows, site_rows, text
from pipelines.demo.export_files import file_name, write_csv, write_xlsx
from pipelines.demo.faults import add_clinic_totals, plant_row_faults, write_file_faults

__all__ = ["Cohort", "build_cohort", "write_changed_snapshot", "write_file_faults",
           "write_registry_exports"]

EXPORT_DATE = dt.date(2026, 6, 1)
FIRST_INDEX_DATE = np.datetime64("2023-01-01")
INDEX_DATE_SPREAD_DAYS = 800
BLANK_SHARE = 0.02
NI_INTERVAL_DAYS = 14  # between two neural interventions
USGDN_INTERVAL_DAYS = 7  # between two dry-needling sessions

NI_CODES = np.array(NI_PROCEDURES)
PROCEDURE_NOTES = ["", "trigger points pectoralis major", "T3-T4 epidural",
                   "scar, serratus anterior"]
# drug -> low and high dose, in the unit of its MME factor (mg, or mcg/h for fentanyl)
DOSES = {"codeine": (15, 60), "hydrocodone": (5, 10), "hydromorphone": (2, 8),
         "methadone": (5, 20), "morphine": (10, 60), "oxycodone": (5, 30),
         "oxymorphone": (5, 20), "tapentadol": (50, 100), "tramadol": (50, 100),
         "fentanyl": (12, 75)}
# drug, unit, route, low dose, high dose: one regimen per drug of the mme_factors seed
REGIMENS = [(drug, factor.unit, factor.route, *DOSES[drug])
            for drug, factor in mme_factors().items()]
FIRST_NAMES = np.array(["Asha", "Meera", "Priya", "Anita", "Sunita", "Kavita", "Leela", "Usha"])
LAST_NAMES = np.array(["Rao", "Shah", "Patil", "Iyer", "Nair", "Joshi", "Kamath", "Menon"])
SIDES = list(code_list("mastectomy_side"))

Rows = tuple[Columns, np.ndarray]  # a source's rows, and each row's patient (0-based)


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ``counts[i]`` rows per owner i: each row's owner and its 0-based position."""
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return owner, np.arange(len(owner)) - starts


@dataclass(frozen=True)
class _People:
    """Each patient's record number, index date and pathway, one array element a patient."""

    mrn: np.ndarray
    index: np.ndarray
    pathway: np.ndarray  # 0: NI then USGDN, 1: USGDN only, 2: NI only

    @property
    def has_ni(self) -> np.ndarray:
        return self.pathway != 1

    @property
    def has_usgdn(self) -> np.ndarray:
        return self.pathway != 2


@dataclass(frozen=True)
class _Course:
    """Each patient's number of procedures of each kind and the days the course turns on."""

    ni_count: np.ndarray
    last_ni: np.ndarray
    usgdn_start: np.ndarray
    usgdn_count: np.ndarray
    last_usgdn: np.ndarray


def build_cohort(patients: int, sites: int, seed: int) -> Cohort:
    """Draw the cohort: patients, procedures, questionnaires and medications."""
    # One generator drawn from in this order: the order is part of what a seed gives.
    rng = np.random.default_rng(seed)
    people = _draw_people(rng, patients)
    drawn = {"patients": _patient_rows(rng, people)}
    course = _draw_course(rng, people)
    drawn["procedures"] = _procedure_rows(rng, people, course)
    drawn["questionnaires"] = _questionnaire_rows(rng, people, course)
    drawn["medications"] = _medication_rows(rng, people)
    site = np.arange(patients) % sites
    return Cohort(tables={source: rows for source, (rows, _) in drawn.items()},
                  sites={source: site[owner] for source, (_, owner) in drawn.items()})


def _draw_people(rng: np.random.Generator, n: int) -> _People:
    index = FIRST_INDEX_DATE + rng.integers(0, INDEX_DATE_SPREAD_DAYS, n)
    pathway = rng.choice(3, n, p=[0.78, 0.2, 0.02])
    return _People(text([f"R{100000 + i}" for i in range(n)]), index, pathway)


def _patient_rows(rng: np.random.Generator, people: _People) -> Rows:
    n, index = len(people.mrn), people.index
    group = np.where(people.pathway == 0, "1", np.where(people.pathway == 1, "2", ""))
    columns = {
        "mrn": people.mrn,
        "first_name": text(rng.choice(FIRST_NAMES, n)),
        "last_name": text(rng.choice(LAST_NAMES, n)),
        "date_of_birth": iso(index - rng.integers(30 * 365, 85 * 365, n)),
        "sex": text(np.where(rng.random(n) < 0.97, "female", "male")),
        "mastectomy_date": iso(index - rng.integers(180, 3000, n)),
        "mastectomy_side": text(rng.choice(SIDES, n)),
        "treatment_group": text(group),
    }
    return columns, np.arange(n)


def _draw_course(rng: np.random.Generator, people: _People) -> _Course:
    n = len(people.mrn)
    ni_count = np.where(people.has_ni, rng.integers(1, 3, n), 0)
    last_ni = people.index + NI_INTERVAL_DAYS * np.maximum(ni_count - 1, 0)
    # USGDN starts two weeks after the last NI, or on the index date without one.
    usgdn_start = np.where(people.pathway == 0, last_ni + 14, people.index)
    usgdn_count = np.where(people.has_usgdn, rng.integers(3, 7, n), 0)
    last_usgdn = usgdn_start + USGDN_INTERVAL_DAYS * np.maximum(usgdn_count - 1, 0)
    return _Course(ni_count, last_ni, usgdn_start, usgdn_count, last_usgdn)


def _procedure_rows(rng: np.random.Generator, people: _People, course: _Course) -> Rows:
    ni_owner, ni_position = _expand(course.ni_count)
    us_owner, us_position = _expand(course.usgdn_count)
    owner = np.concatenate([ni_owner, us_owner])
    days = np.concatenate([people.index[ni_owner] + NI_INTERVAL_DAYS * ni_position,
                           course.usgdn_start[us_owner] + USGDN_INTERVAL_DAYS * us_position])
    columns = {
        "mrn": people.mrn[owner],
        "procedure_date": iso(days),
        "procedure": text(np.concatenate([rng.choice(NI_CODES, len(ni_owner)),
                                          np.full(len(us_owner), USGDN)])),
        "notes": text(rng.choice(PROCEDURE_NOTES, len(owner))),
    }
    return columns, owner


def _visits(rng: np.random.Generator, people: _People,
            course: _Course) -> list[tuple[str, np.ndarray, np.ndarray, float]]:
    """Each visit, who has it, its date and how much the pain has eased by then (0..1)."""
    n = len(people.mrn)
    return [
        (BASELINE, np.ones(n, bool), people.index - rng.integers(0, 8, n), 0.0),
        (POST_NI, people.has_ni, course.last_ni + 7, 0.4),
        (POST_USGDN, people.has_usgdn, course.last_usgdn + 7, 0.7),
        (FU_3M, people.has_usgdn & (rng.random(n) < 0.5), course.last_usgdn + 90, 0.7),
        (FU_6M, people.has_usgdn & (rng.random(n) < 0.25), course.last_usgdn + 180, 0.6),
    ]


def _questionnaire_rows(rng: np.random.Generator, people: _People, course: _Course) -> Rows:
    visits = _visits(rng, people, course)
    owner = np.concatenate([np.flatnonzero(who) for _, who, _, _ in visits])
    columns = {
        "mrn": people.mrn[owner],
        "event": text(np.concatenate([np.full(who.sum(), v) for v, who, _, _ in visits])),
        "assessment_date": iso(np.concatenate([d[who] for _, who, d, _ in visits])),
    }
    eased = np.concatenate([np.full(who.sum(), relief) for _, who, _, relief in visits])
    return columns | _answers(rng, eased), owner


def _answers(rng: np.random.Generator, eased: np.ndarray) -> Columns:
    """Every item's answers, lower the more the pain has eased, about 2 % blank."""
    rows = len(eased)
    columns = {}
    for item, low, high in ITEMS:
        severity = rng.random(rows) * (1 - eased) + rng.random(rows) * 0.3
        answer = np.clip(np.rint(low + severity * (high - low)), low, high).astype(int)
        columns[item] = np.where(rng.random(rows) < BLANK_SHARE, "", text(answer)).astype(object)
    return columns


def _medication_rows(rng: np.random.Generator, people: _People) -> Rows:
    owner, _ = _expand(rng.integers(0, 4, len(people.mrn)))
    count = len(owner)
    regimen = rng.integers(0, len(REGIMENS), count)
    low = np.array([r[3] for r in REGIMENS])[regimen]
    high = np.array([r[4] for r in REGIMENS])[regimen]
    is_patch = np.array([r[0] == "fentanyl" for r in REGIMENS])[regimen]
    start = people.index[owner] - rng.integers(0, 365, count)
    ends = rng.random(count) < 0.4
    columns = {
        "mrn": people.mrn[owner],
        "drug": text([REGIMENS[k][0] for k in regimen]),
        "dose": text(np.where(is_patch, rng.choice([12, 25, 50, 75], count),
                              rng.integers(low, high + 1))),
        "unit": text([REGIMENS[k][1] for k in regimen]),
        "doses_per_day": text(np.where(is_patch, 1, rng.integers(1, 5, count))),
        "start_date": iso(start),
        "end_date": np.where(ends, iso(start + rng.integers(30, 400, count)), "").astype(object),
        "route": text([REGIMENS[k][2] for k in regimen]),
    }
    return columns, owner


def write_registry_exports(landing_dir: Path, patients: int, sites: int = 4, seed: int = 1,
                           faults: bool = False, export_date: dt.date = EXPORT_DATE) -> list[Path]:
    """Write the cohort's exports into ``landing_dir``; returns the files written."""
    landing_dir = Path(landing_dir)
    landing_dir.mkdir(parents=True, exist_ok=True)
    cohort = build_cohort(patients, sites, seed)
    rng = np.random.default_rng(seed + 1)
    written = []
    for source, columns in cohort.tables.items():
        for site in range(sites):
            rows = site_rows(columns, cohort.sites[source] == site)
            if not len(rows["mrn"]):
                continue
            if faults:
                rows = plant_row_faults(source, rows, rng, export_date)
                if source == "questionnaires" and site == 0:
                    rows = add_clinic_totals(rows, rng)
            path = landing_dir / file_name(source, site, export_date)
            written.append(_write_export(path, rows, source, site, sites, faults))
    if faults:
        written += write_file_faults(landing_dir, cohort, sites, export_date)
    return written


def _write_export(path: Path, rows: Columns, source: str, site: int, sites: int,
                  faults: bool) -> Path:
    # With faults, three files come as a clinic might send them instead of the contract's CSV.
    if faults and source == "procedures" and site == sites - 1:
        return write_xlsx(path.with_suffix(".xlsx"), rows)
    if faults and source == "medications" and site == min(2, sites - 1):
        return write_csv(path, rows, delimiter=";")
    bom = faults and source == "patients" and site == min(1, sites - 1)
    return write_csv(path, rows, bom=bom)


def write_changed_snapshot(landing_dir: Path, patients: int, sites: int = 4, seed: int = 1,
                           site: int = 0, export_date: dt.date = EXPORT_DATE) -> Path:
    """The nightly case: site ``site`` sends a newer questionnaires snapshot in which a few
    answers were corrected and a tenth of the follow-up visits are new."""
    cohort = build_cohort(patients, sites, seed)
    rng = np.random.default_rng(seed + 2)
    rows = site_rows(cohort.tables["questionnaires"], cohort.sites["questionnaires"] == site)
    corrected = pick_rows(rng, rows, max(1, len(rows["mrn"]) // 50))
    rows["nrs"][corrected] = text(rng.integers(0, 11, len(corrected)))
    follow_up = np.flatnonzero(rows["event"] == POST_USGDN)
    new = rng.choice(follow_up, size=max(1, len(follow_up) // 10), replace=False)
    extra = {name: values[new].copy() for name, values in rows.items()}
    later_dates = np.array(extra["assessment_date"], dtype="datetime64[D]") + 180
    extra["event"] = np.full(len(new), FU_6M, object)
    extra["assessment_date"] = iso(later_dates)
    keep = np.ones(len(rows["mrn"]), bool)  # a patient already with FU_6M gets no second one
    has_fu6 = set(rows["mrn"][rows["event"] == FU_6M])
    fresh = np.array([mrn not in has_fu6 for mrn in extra["mrn"]])
    rows = append_rows(site_rows(rows, keep), {k: v[fresh] for k, v in extra.items()})
    path = Path(landing_dir) / file_name("questionnaires", site, export_date + dt.timedelta(days=7))
    return write_csv(path, rows)
