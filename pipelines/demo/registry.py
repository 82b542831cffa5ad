"""Synthetic registry-scale cohorts: N patients over S sites, for benchmarks and scale tests.

``pmps demo --patients N --sites S`` writes one, in the contract's format (docs/inputs.md): a CSV
per source and site, ISO dates, canonical column names, item-level answers
with about 2 % blanks. Patients follow the study's two pathways (neural interventions then
USGDN, or USGDN alone; a few have no USGDN). Columns are drawn with numpy, so 100 000 patients
take seconds.

With ``faults=True`` a handful of rows per site carry a planted problem of every row-level rule
of docs/rules.md#1-data-issues, and the folder gets file-level problems too (a superseded snapshot,
a re-delivered copy, a badly named file, an empty snapshot, a file without its required
columns, an XLSX export, a semicolon-delimited export, a BOM). Every value is invented.

``write_changed_snapshot`` writes the nightly case: a newer questionnaires snapshot of one site.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipelines.core.reference import mme_factors, questionnaire_codebook

EXPORT_DATE = dt.date(2026, 6, 1)
FIRST_INDEX_DATE = np.datetime64("2023-01-01")
INDEX_DATE_SPREAD_DAYS = 800
BLANK_SHARE = 0.02

NI_CODES = np.array(["neuraxial_block", "intrathecal_pump", "pulsed_rf"])
# drug -> low and high dose, in the unit of its MME factor (mg, or mcg/h for fentanyl)
DOSES = {"codeine": (15, 60), "hydrocodone": (5, 10), "hydromorphone": (2, 8),
         "methadone": (5, 20), "morphine": (10, 60), "oxycodone": (5, 30),
         "oxymorphone": (5, 20), "tapentadol": (50, 100), "tramadol": (50, 100),
         "fentanyl": (12, 75)}
# drug, unit, route, low dose, high dose: one regimen per drug of the mme_factors seed
REGIMENS = [(drug, factor.unit, factor.route, *DOSES[drug])
            for drug, factor in mme_factors().items()]
# the questionnaire items and their valid answers (the codebook seed)
ITEMS = [(item.item, item.min_value, item.max_value) for item in questionnaire_codebook()
         if item.whole_numbers_only]
FIRST_NAMES = np.array(["Asha", "Meera", "Priya", "Anita", "Sunita", "Kavita", "Leela", "Usha"])
LAST_NAMES = np.array(["Rao", "Shah", "Patil", "Iyer", "Nair", "Joshi", "Kamath", "Menon"])

Columns = dict[str, np.ndarray]  # column name -> text values (object arrays)


def _text(values) -> np.ndarray:
    return np.asarray(values).astype(str).astype(object)


def _iso(days: np.ndarray) -> np.ndarray:
    return _text(days.astype("datetime64[D]"))


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ``counts[i]`` rows per owner i: each row's owner and its 0-based position."""
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return owner, np.arange(len(owner)) - starts


@dataclass
class Cohort:
    """Every source's rows for all sites, and each row's site (0-based)."""

    tables: dict[str, Columns]
    sites: dict[str, np.ndarray]


def build_cohort(patients: int, sites: int, seed: int) -> Cohort:
    """Draw the cohort: patients, procedures, questionnaires and medications."""
    rng = np.random.default_rng(seed)
    n = patients
    site = np.arange(n) % sites
    mrn = _text([f"R{100000 + i}" for i in range(n)])
    index = FIRST_INDEX_DATE + rng.integers(0, INDEX_DATE_SPREAD_DAYS, n)
    pathway = rng.choice(3, n, p=[0.78, 0.2, 0.02])  # NI then USGDN; USGDN only; NI only
    has_ni, has_usgdn = pathway != 1, pathway != 2

    group = np.where(pathway == 0, "1", np.where(pathway == 1, "2", ""))
    patient_rows = {
        "mrn": mrn,
        "first_name": _text(rng.choice(FIRST_NAMES, n)),
        "last_name": _text(rng.choice(LAST_NAMES, n)),
        "date_of_birth": _iso(index - rng.integers(30 * 365, 85 * 365, n)),
        "sex": _text(np.where(rng.random(n) < 0.97, "female", "male")),
        "mastectomy_date": _iso(index - rng.integers(180, 3000, n)),
        "mastectomy_side": _text(rng.choice(["left", "right", "bilateral"], n)),
        "treatment_group": _text(group),
    }

    ni_count = np.where(has_ni, rng.integers(1, 3, n), 0)
    ni_owner, ni_position = _expand(ni_count)
    last_ni = index + 14 * np.maximum(ni_count - 1, 0)
    usgdn_start = np.where(pathway == 0, last_ni + 14, index)
    usgdn_count = np.where(has_usgdn, rng.integers(3, 7, n), 0)
    us_owner, us_position = _expand(usgdn_count)
    last_usgdn = usgdn_start + 7 * np.maximum(usgdn_count - 1, 0)
    owner = np.concatenate([ni_owner, us_owner])
    procedure_rows = {
        "mrn": mrn[owner],
        "procedure_date": _iso(np.concatenate([index[ni_owner] + 14 * ni_position,
                                               usgdn_start[us_owner] + 7 * us_position])),
        "procedure": _text(np.concatenate([rng.choice(NI_CODES, len(ni_owner)),
                                           np.full(len(us_owner), "usgdn")])),
        "notes": _text(rng.choice(["", "trigger points pectoralis major", "T3-T4 epidural",
                                   "scar, serratus anterior"], len(owner))),
    }
    procedure_site = site[owner]

    visits = [  # visit, who has it, date, how much the pain has eased (0..1)
        ("BASELINE", np.ones(n, bool), index - rng.integers(0, 8, n), 0.0),
        ("POST_NI", has_ni, last_ni + 7, 0.4),
        ("POST_USGDN", has_usgdn, last_usgdn + 7, 0.7),
        ("FU_3M", has_usgdn & (rng.random(n) < 0.5), last_usgdn + 90, 0.7),
        ("FU_6M", has_usgdn & (rng.random(n) < 0.25), last_usgdn + 180, 0.6),
    ]
    q_owner = np.concatenate([np.flatnonzero(who) for _, who, _, _ in visits])
    eased = np.concatenate([np.full(who.sum(), relief) for _, who, _, relief in visits])
    rows = len(q_owner)
    questionnaire_rows = {
        "mrn": mrn[q_owner],
        "event": _text(np.concatenate([np.full(who.sum(), v) for v, who, _, _ in visits])),
        "assessment_date": _iso(np.concatenate([d[who] for _, who, d, _ in visits])),
    }
    for item, low, high in ITEMS:
        severity = rng.random(rows) * (1 - eased) + rng.random(rows) * 0.3
        answer = np.clip(np.rint(low + severity * (high - low)), low, high).astype(int)
        questionnaire_rows[item] = np.where(rng.random(rows) < BLANK_SHARE, "",
                                            _text(answer)).astype(object)

    m_owner, _ = _expand(rng.integers(0, 4, n))
    regimen = rng.integers(0, len(REGIMENS), len(m_owner))
    low = np.array([r[3] for r in REGIMENS])[regimen]
    high = np.array([r[4] for r in REGIMENS])[regimen]
    is_patch = np.array([r[0] == "fentanyl" for r in REGIMENS])[regimen]
    start = index[m_owner] - rng.integers(0, 365, len(m_owner))
    ends = rng.random(len(m_owner)) < 0.4
    medication_rows = {
        "mrn": mrn[m_owner],
        "drug": _text([REGIMENS[k][0] for k in regimen]),
        "dose": _text(np.where(is_patch, rng.choice([12, 25, 50, 75], len(m_owner)),
                               rng.integers(low, high + 1))),
        "unit": _text([REGIMENS[k][1] for k in regimen]),
        "doses_per_day": _text(np.where(is_patch, 1, rng.integers(1, 5, len(m_owner)))),
        "start_date": _iso(start),
        "end_date": np.where(ends, _iso(start + rng.integers(30, 400, len(m_owner))),
                             "").astype(object),
        "route": _text([REGIMENS[k][2] for k in regimen]),
    }
    return Cohort(
        tables={"patients": patient_rows, "procedures": procedure_rows,
                "questionnaires": questionnaire_rows, "medications": medication_rows},
        sites={"patients": site, "procedures": procedure_site,
               "questionnaires": site[q_owner], "medications": site[m_owner]},
    )


def site_rows(columns: Columns, mask: np.ndarray) -> Columns:
    return {name: values[mask] for name, values in columns.items()}


def append_rows(columns: Columns, extra: Columns) -> Columns:
    """``extra`` rows after the others; columns missing from ``extra`` are blank."""
    count = len(next(iter(extra.values())))
    return {name: np.concatenate([values, extra.get(name, np.full(count, "", object))])
            for name, values in columns.items()}


def _pick(rng: np.random.Generator, columns: Columns, count: int) -> np.ndarray:
    rows = len(next(iter(columns.values())))
    return rng.choice(rows, size=min(count, rows), replace=False)


def plant_row_faults(source: str, columns: Columns, rng: np.random.Generator,
                     export_date: dt.date) -> Columns:
    """A few rows per rule of docs/rules.md#1-data-issues, each on its own row."""
    columns = {name: values.copy() for name, values in columns.items()}
    future = str(export_date + dt.timedelta(days=3))
    edits: dict[str, list[tuple[str, str]]] = {
        "patients": [("mrn", ""), ("date_of_birth", "1970-02-31"), ("date_of_birth", future),
                     ("sex", "q"), ("mastectomy_side", "middle"), ("treatment_group", "3"),
                     ("mastectomy_date", "soon"), ("mastectomy_side", "NA"),
                     ("mastectomy_side", " Left "), ("sex", "F"), ("treatment_group", "2.0")],
        "procedures": [("procedure", "acupuncture"), ("procedure_date", "2024-13-01"),
                       ("procedure_date", future), ("procedure", ""), ("procedure", " USGDN "),
                       ("mrn", "X999999")],
        "questionnaires": [("nrs", "11"), ("dash_3", "2.5"), ("phq9_2", "severe"),
                           ("pd_pattern", "5"), ("nrs", "3.0"), ("event", "week 3"),
                           ("event", "post_usgdn_arm_1"), ("assessment_date", "2024/01/01"),
                           ("assessment_date", future), ("event", ""), ("phq9_4", "NA"),
                           ("dash_9", "."), ("mrn", "X999999")],
        "medications": [("dose", "0"), ("dose", "ten"), ("doses_per_day", "-1"),
                        ("end_date", "2000-01-01"), ("drug", "buprenorphine"),
                        ("route", "intrathecal"), ("unit", ""), ("end_date", "someday"),
                        ("drug", " Morphine "), ("mrn", "X999999")],
    }[source]
    for (column, value), row in zip(edits, _pick(rng, columns, len(edits)), strict=False):
        columns[column][row] = value
    if source == "questionnaires":
        prorated, short = _pick(rng, columns, 2)
        for item in ("phq9_1", "phq9_5"):
            columns[item][prorated] = ""
        for item in ("dash_1", "dash_2", "dash_3", "dash_4"):
            columns[item][short] = ""
    if source == "patients":
        flip = _pick(rng, columns, 1)[0]  # a treatment_group the procedures contradict
        columns["treatment_group"][flip] = {"1": "2", "2": "1", "": "1"}.get(
            columns["treatment_group"][flip], "1")
    copies = _pick(rng, columns, 2)
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
    phq9 = sum(answers[f"phq9_{k}"] for k in range(1, 10))
    totals = np.where(phq9 >= 0, _text(phq9), "")
    wrong = _pick(rng, columns, 3)
    totals[wrong] = "27"
    columns = dict(columns, phq9_total=totals.astype(object),
                   comments=np.full(rows, "", object))
    columns["comments"][wrong] = "checked by nurse"
    return columns


def _write_csv(path: Path, columns: Columns, delimiter: str = ",", bom: bool = False) -> Path:
    import duckdb
    import pyarrow as pa

    table = pa.table({name: pa.array([v or None for v in values.tolist()], pa.string())
                      for name, values in columns.items()})
    with duckdb.connect() as con:  # quotes only the cells that need it, unlike pyarrow
        con.from_arrow(table).write_csv(str(path), sep=delimiter, header=True)
    if bom:
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    return path


def _xlsx_cell(text: str, is_date: bool) -> object:
    """Whole numbers as numeric cells, valid ISO dates in date columns as date cells."""
    if text.isdigit():
        return int(text)
    if is_date:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    return text or None


def _write_xlsx(path: Path, columns: Columns) -> Path:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("export")
    sheet.append(list(columns))
    dates = [name.endswith("_date") for name in columns]
    for row in zip(*columns.values(), strict=True):
        sheet.append([_xlsx_cell(value, is_date)
                      for value, is_date in zip(row, dates, strict=True)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(_without_timestamps(buffer.getvalue()))
    return path


def _without_timestamps(xlsx: bytes) -> bytes:
    """The same workbook with fixed archive and document dates, so a seed gives the same
    bytes every time (a re-generated file is then a re-delivery, not a new export)."""
    fixed = b"2026-01-01T00:00:00Z"
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", fixed, data)
            target.writestr(zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0)),
                            data, compress_type=zipfile.ZIP_DEFLATED)
    return output.getvalue()


def _name(source: str, site: int, export_date: dt.date, ext: str = "csv") -> str:
    return f"{source}_site{site + 1}_{export_date:%Y%m%d}.{ext}"


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
            path = landing_dir / _name(source, site, export_date)
            if faults and source == "procedures" and site == sites - 1:
                written.append(_write_xlsx(path.with_suffix(".xlsx"), rows))
            elif faults and source == "medications" and site == min(2, sites - 1):
                written.append(_write_csv(path, rows, delimiter=";"))
            else:
                written.append(_write_csv(path, rows, bom=faults and source == "patients"
                                          and site == min(1, sites - 1)))
    if faults:
        written += write_file_faults(landing_dir, cohort, sites, export_date)
    return written


def write_file_faults(landing_dir: Path, cohort: Cohort, sites: int,
                      export_date: dt.date) -> list[Path]:
    """Files that a load must reject, supersede or recognise as copies."""
    earlier, later = export_date - dt.timedelta(days=30), export_date + dt.timedelta(days=1)
    first_site = site_rows(cohort.tables["patients"], cohort.sites["patients"] == 0)
    older = {name: values[: max(1, len(values) // 2)] for name, values in first_site.items()}
    written = [_write_csv(landing_dir / _name("patients", 0, earlier), older)]  # superseded
    copy = landing_dir / _name("questionnaires", sites - 1, later)  # same bytes: duplicate
    copy.write_bytes((landing_dir / _name("questionnaires", sites - 1, export_date)).read_bytes())
    written.append(copy)
    stray = landing_dir / "site1_patient_list.csv"  # bad_file_name
    stray.write_text("mrn,date_of_birth\nR100000,1960-01-01\n", encoding="utf-8")
    written.append(stray)
    empty = landing_dir / _name("medications", sites - 1, later)  # empty_snapshot
    empty.write_text("mrn,drug,dose,unit,doses_per_day,start_date\n", encoding="utf-8")
    written.append(empty)
    headless = landing_dir / _name("procedures", 0, later)  # missing_columns
    headless.write_text("mrn,procedure\nR100000,usgdn\n", encoding="utf-8")
    written.append(headless)
    return written


def write_changed_snapshot(landing_dir: Path, patients: int, sites: int = 4, seed: int = 1,
                           site: int = 0, export_date: dt.date = EXPORT_DATE) -> Path:
    """The nightly case: site ``site`` sends a newer questionnaires snapshot in which a few
    answers were corrected and a tenth of the follow-up visits are new."""
    cohort = build_cohort(patients, sites, seed)
    rng = np.random.default_rng(seed + 2)
    rows = site_rows(cohort.tables["questionnaires"], cohort.sites["questionnaires"] == site)
    corrected = _pick(rng, rows, max(1, len(rows["mrn"]) // 50))
    rows["nrs"][corrected] = _text(rng.integers(0, 11, len(corrected)))
    follow_up = np.flatnonzero(rows["event"] == "POST_USGDN")
    new = rng.choice(follow_up, size=max(1, len(follow_up) // 10), replace=False)
    extra = {name: values[new].copy() for name, values in rows.items()}
    later_dates = np.array(extra["assessment_date"], dtype="datetime64[D]") + 180
    extra["event"] = np.full(len(new), "FU_6M", object)
    extra["assessment_date"] = _iso(later_dates)
    keep = np.ones(len(rows["mrn"]), bool)  # a patient already with FU_6M gets no second one
    has_fu6 = set(rows["mrn"][rows["event"] == "FU_6M"])
    fresh = np.array([mrn not in has_fu6 for mrn in extra["mrn"]])
    rows = append_rows(site_rows(rows, keep), {k: v[fresh] for k, v in extra.items()})
    path = Path(landing_dir) / _name("questionnaires", site, export_date + dt.timedelta(days=7))
    return _write_csv(path, rows)
