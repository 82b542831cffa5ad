"""Bundled demo cohort: four synthetic clinic exports for the site ``demo``.

The cohort imitates Vas & Pai, "Ultrasound-guided dry needling for postmastectomy pain
syndrome" (Indian J Palliat Care 2019): 20 women, Group 1 (n=16) received neural
interventions (NI) followed by a course of ultrasound-guided dry needling (USGDN), Group 2
(n=4) received USGDN only. Every person, name and date is invented.

The per-patient scores in :data:`SCORE_TABLE` were found by a search (tests/unit/score_search.py)
so that the per-group mean (SD) of the scores recomputed from the written questionnaire items
reproduces the study's published table exactly; the tests re-run the search. This module only
writes files; the pipeline's scoring never imports it. Item names, MME factors and painDETECT
pattern scores come from the seeds, the export columns from the source specs.
"""

import csv
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TypeVar

from pipelines.core.reference import mme_factors, paindetect_pattern_scores
from schemas import SOURCE_SPECS

_T = TypeVar("_T")

SITE = "demo"
EXPORT_DATE = date(2026, 11, 2)
SEED = 20191102

BASELINE = "BASELINE"
POST_NI = "POST_NI"
POST_USGDN = "POST_USGDN"
GROUP_EVENTS: dict[int, tuple[str, ...]] = {
    1: (BASELINE, POST_NI, POST_USGDN),
    2: (BASELINE, POST_USGDN),
}
GROUP_SIZES = {1: 16, 2: 4}
# Group 2 patients are interleaved with Group 1 so that MRN order does not reveal the arm.
GROUP2_MRNS = ("D004", "D009", "D013", "D018")

NI_PROCEDURES = ("neuraxial_block", "intrathecal_pump", "pulsed_rf")
USGDN = "usgdn"

PARAMS = ("NRS", "PAINDETECT", "DASH")

# Per-patient score units, one tuple per patient (Group order = MRN order), one value per
# event of the group. NRS and PAINDETECT are the scores; DASH is (item sum - 30), i.e.
# DASH score = value * 5 / 6. Found by tests/unit/score_search.py (search_score_table(group, param,
# SEED)); the tests re-run the search and re-verify these against the published table.
# fmt: off
SCORE_TABLE: dict[int, dict[str, tuple[tuple[int, ...], ...]]] = {
    1: {
        "NRS": (
            (10, 4, 3), (10, 8, 3), (10, 6, 2), (10, 6, 3), (10, 5, 2), (10, 5, 3), (10, 6, 3),
            (10, 5, 3), (10, 5, 2), (9, 4, 1), (8, 4, 1), (10, 6, 2), (9, 4, 1), (10, 5, 3),
            (10, 6, 2), (7, 4, 3),
        ),
        "PAINDETECT": (
            (33, 17, 6), (35, 20, 8), (31, 20, 7), (31, 19, 7), (22, 17, 6), (31, 16, 8),
            (28, 16, 7), (35, 19, 8), (26, 15, 6), (24, 14, 6), (25, 13, 5), (25, 12, 5),
            (22, 8, 5), (32, 19, 8), (27, 21, 8), (26, 11, 5),
        ),
        "DASH": (
            (96, 95, 29), (115, 106, 81), (112, 94, 55), (105, 86, 48), (85, 80, 46), (97, 92, 55),
            (98, 94, 34), (113, 97, 60), (98, 79, 25), (82, 54, 21), (92, 83, 46), (91, 78, 25),
            (69, 68, 23), (104, 80, 58), (109, 95, 31), (88, 84, 27),
        ),
    },
    2: {
        "NRS": ((10, 2), (8, 1), (7, 1), (6, 1)),
        "PAINDETECT": ((28, 6), (23, 6), (9, 8), (20, 4)),
        "DASH": ((96, 26), (58, 33), (77, 39), (62, 10)),
    },
}
# fmt: on


class _Rng:
    """Seeded generator built only on ``random.Random.random``.

    Why: Python guarantees only ``random()`` to produce the same sequence across versions,
    so every derived draw is done here with plain arithmetic to keep the bytes stable.
    """

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def uniform(self) -> float:
        return self._random.random()

    def randint(self, low: int, high: int) -> int:
        return low + int(self._random.random() * (high - low + 1))

    def choice(self, items: Sequence[_T]) -> _T:
        return items[self.randint(0, len(items) - 1)]

    def shuffle(self, items: list) -> None:
        for i in range(len(items) - 1, 0, -1):
            j = self.randint(0, i)
            items[i], items[j] = items[j], items[i]

    def normal(self) -> float:
        # Irwin-Hall approximation: no libm calls, so identical on every platform.
        return sum(self._random.random() for _ in range(12)) - 6.0


def _severity(group: int, seed: int) -> list[float]:
    rng = _Rng(seed * 100 + group)
    return [rng.normal() for _ in range(GROUP_SIZES[group])]


# --------------------------------------------------------------------------------------
# Export writer
# --------------------------------------------------------------------------------------

# The demo clinic lists a patient's names first; the pipeline reads columns by name.
PATIENT_COLUMNS = (
    "mrn",
    "first_name",
    "last_name",
    "sex",
    "date_of_birth",
    "mastectomy_date",
    "mastectomy_side",
    "treatment_group",
)
PROCEDURE_COLUMNS = SOURCE_SPECS["procedures"].columns
QUESTIONNAIRE_COLUMNS = SOURCE_SPECS["questionnaires"].columns  # the codebook's items
MEDICATION_COLUMNS = SOURCE_SPECS["medications"].columns
EXPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "patients": PATIENT_COLUMNS,
    "procedures": PROCEDURE_COLUMNS,
    "questionnaires": QUESTIONNAIRE_COLUMNS,
    "medications": MEDICATION_COLUMNS,
}

PD_PATTERN_SCORE = paindetect_pattern_scores()

_FIRST_NAMES = (
    "Anjali", "Kavitha", "Meena", "Lakshmi", "Sunita", "Rekha", "Deepa", "Shobha",
    "Vasanthi", "Geetha", "Nirmala", "Padmini", "Radhika", "Usha", "Savitha", "Asha",
    "Prema", "Jayashree", "Sarala", "Malini", "Revathi", "Sudha", "Hemalatha", "Leela",
)  # fmt: skip
_LAST_NAMES = (
    "Shenoy", "Kamath", "Nayak", "Rao", "Bhat", "Menon", "Nair", "Hegde", "Kini",
    "Prabhu", "Shetty", "Acharya", "Kulkarni", "Desai", "Iyer", "Pillai", "Joshi",
)  # fmt: skip
_SIDES = ("left", "left", "right", "right", "bilateral")
_NI_NOTES = {
    "neuraxial_block": ("thoracic epidural steroid T3-T4", "thoracic epidural bupivacaine", ""),
    "intrathecal_pump": ("intrathecal morphine pump implanted", "intrathecal pump trial", ""),
    "pulsed_rf": ("pulsed RF T2-T4 dorsal root ganglia", "pulsed RF intercostobrachial nerve", ""),
}
_USGDN_NOTES = (
    "pectoralis major trigger points",
    "pectoralis minor and serratus anterior",
    "latissimus dorsi and infraspinatus",
    "trigger points next to the scar",
    "upper trapezius and rhomboids",
    "",
)

# (drug, dose, doses_per_day) regimens of about 20-120 MME/day held before baseline.
_REGIMENS = (
    ("morphine", 10, 3), ("morphine", 15, 2), ("morphine", 20, 2), ("morphine", 30, 2),
    ("morphine", 30, 3), ("oxycodone", 10, 2), ("oxycodone", 15, 2), ("oxycodone", 20, 2),
    ("tramadol", 50, 3), ("tramadol", 100, 2), ("tramadol", 100, 3), ("tapentadol", 50, 2),
    ("tapentadol", 75, 2), ("tapentadol", 100, 2), ("hydromorphone", 2, 3),
    ("hydromorphone", 4, 2), ("hydromorphone", 4, 3), ("codeine", 60, 3), ("fentanyl", 12, 1),
    ("fentanyl", 25, 1), ("fentanyl", 50, 1),
)  # fmt: skip
# Lower-dose regimens a patient is stepped down to during the USGDN course.
_STEP_DOWN = (
    ("morphine", 5, 2), ("morphine", 10, 2), ("oxycodone", 5, 2), ("oxycodone", 5, 3),
    ("tramadol", 50, 1), ("tramadol", 50, 2), ("tapentadol", 50, 1), ("hydromorphone", 1, 2),
    ("hydromorphone", 2, 2), ("codeine", 30, 2), ("codeine", 30, 3), ("fentanyl", 12, 1),
)  # fmt: skip
_ADD_ON = (("tramadol", 50, 2), ("codeine", 30, 4), ("morphine", 10, 2))

# Enrolment: one first procedure roughly every 24 days from mid-January 2025, so the last
# follow-up still lies months before the export date.
_FIRST_ENROLMENT = date(2025, 1, 13)
_ENROLMENT_SPACING_DAYS = 24


def export_file_names() -> dict[str, str]:
    """Return the export kind -> CSV file name mapping for the demo site and export date."""
    stamp = EXPORT_DATE.strftime("%Y%m%d")
    return {kind: f"{kind}_{SITE}_{stamp}.csv" for kind in EXPORT_COLUMNS}


def write_demo_exports(landing_dir: Path) -> list[Path]:
    """Write the demo cohort's four clinic exports as CSV into ``landing_dir``.

    Creates the folder if needed and overwrites existing files. The output is byte-for-byte
    identical on every call (fixed seed and dates). Returns the written paths in the order
    patients, procedures, questionnaires, medications.
    """
    landing_dir = Path(landing_dir)
    landing_dir.mkdir(parents=True, exist_ok=True)
    rows = _build_cohort()
    written = []
    for kind, file_name in export_file_names().items():
        path = landing_dir / file_name
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(EXPORT_COLUMNS[kind])
            writer.writerows(rows[kind])
        written.append(path)
    return written


@dataclass(frozen=True)
class _Timeline:
    """One patient's procedures (date, code, notes) and visit dates."""

    procedures: tuple[tuple[date, str, str], ...]
    visits: dict[str, date]

    @property
    def first_procedure(self) -> date:
        return self.procedures[0][0]

    @property
    def usgdn_dates(self) -> list[date]:
        return [day for day, code, _ in self.procedures if code == USGDN]


def _build_cohort() -> dict[str, list[list[str]]]:
    rng = _Rng(SEED)
    rows: dict[str, list[list[str]]] = {kind: [] for kind in EXPORT_COLUMNS}
    first_names = list(_FIRST_NAMES)
    rng.shuffle(first_names)
    profiles = _medication_profiles(rng)
    position = {1: 0, 2: 0}
    for number in range(1, 21):
        mrn = f"D{number:03d}"
        group = 2 if mrn in GROUP2_MRNS else 1
        slot = position[group]
        position[group] += 1
        timeline = _timeline(group, _enrolment_date(number, rng), rng)
        rows["patients"].append(
            _patient_row(mrn, group, first_names[number - 1], timeline.first_procedure, rng)
        )
        for day, code, notes in timeline.procedures:
            rows["procedures"].append([mrn, day.isoformat(), code, notes])
        scores = {param: SCORE_TABLE[group][param][slot] for param in PARAMS}
        phq9 = _phq9_totals(group, slot, rng)
        for k, event in enumerate(GROUP_EVENTS[group]):
            rows["questionnaires"].append(
                _questionnaire_row(
                    mrn,
                    event,
                    timeline.visits[event],
                    scores["NRS"][k],
                    scores["PAINDETECT"][k],
                    scores["DASH"][k] + 30,
                    phq9[k],
                    rng,
                )
            )
        rows["medications"].extend(_medication_rows(mrn, profiles[mrn], timeline, rng))
    return rows


def _enrolment_date(number: int, rng: _Rng) -> date:
    day = _FIRST_ENROLMENT + timedelta(
        days=(number - 1) * _ENROLMENT_SPACING_DAYS + rng.randint(0, 6)
    )
    # Procedures are done on weekdays.
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _timeline(group: int, first: date, rng: _Rng) -> _Timeline:
    procedures: list[tuple[date, str, str]] = []
    visits: dict[str, date] = {}
    if group == 1:
        ni_dates = [first]
        if rng.uniform() < 0.45:
            ni_dates.append(first + timedelta(weeks=rng.randint(2, 4)))
        codes = [rng.choice(NI_PROCEDURES)]
        if len(ni_dates) == 2:
            # A second NI is always a different kind of intervention.
            codes.append(rng.choice([code for code in NI_PROCEDURES if code != codes[0]]))
        for day, code in zip(ni_dates, codes, strict=True):
            procedures.append((day, code, rng.choice(_NI_NOTES[code])))
        visits[POST_NI] = ni_dates[-1] + timedelta(days=7)
        # USGDN starts 2-3 weeks after the last NI, i.e. after the POST_NI visit.
        usgdn_start = ni_dates[-1] + timedelta(weeks=rng.randint(2, 3))
    else:
        usgdn_start = first
    sessions = rng.randint(4, 8)
    for week in range(sessions):
        procedures.append((usgdn_start + timedelta(weeks=week), USGDN, rng.choice(_USGDN_NOTES)))
    visits[POST_USGDN] = procedures[-1][0] + timedelta(days=7)
    # Baseline is 0-7 days before the first procedure, on a weekday.
    offsets = [d for d in range(8) if (first - timedelta(days=d)).weekday() < 5]
    visits[BASELINE] = first - timedelta(days=rng.choice(offsets))
    return _Timeline(tuple(procedures), visits)


def _patient_row(mrn: str, group: int, first_name: str, index: date, rng: _Rng) -> list[str]:
    age = min(74, max(35, round(54 + 8 * rng.normal())))
    # Birthday anniversary on or before the index date, so the age at index is exactly `age`.
    anniversary = date(index.year - age, index.month, min(index.day, 28))
    date_of_birth = anniversary - timedelta(days=rng.randint(0, 360))
    # 6-60 months (about 190-1800 days) between mastectomy and the first procedure.
    mastectomy = index - timedelta(days=rng.randint(190, 1800))
    return [
        mrn,
        first_name,
        rng.choice(_LAST_NAMES),
        "female",
        date_of_birth.isoformat(),
        mastectomy.isoformat(),
        rng.choice(_SIDES),
        str(group),
    ]


def _spread(total: int, count: int, low: int, high: int, rng: _Rng) -> list[int]:
    """Split ``total`` into ``count`` integers in [low, high], unevenly but plausibly."""
    values = [low] * count
    # Per-item weights make some items consistently harder than others for this patient.
    weights = [0.4 + rng.uniform() for _ in range(count)]
    for _ in range(total - low * count):
        open_items = [j for j in range(count) if values[j] < high]
        pick = rng.uniform() * sum(weights[j] for j in open_items)
        for j in open_items:
            pick -= weights[j]
            if pick < 0:
                break
        values[j] += 1
    return values


def _paindetect_answers(total: int, rng: _Rng) -> tuple[list[int], int, int]:
    # Neuropathic-range totals come with attacks (pattern 3/4) and radiating pain, low ones
    # with a persistent pattern and no radiation; fall back to whatever makes the total fit.
    if total >= 19:
        patterns, radiating = [rng.choice((3, 4)), 1, 2], [1, 0]
    elif total >= 13:
        patterns, radiating = [rng.choice((1, 3, 4)), 2, 1], [rng.randint(0, 1), 1, 0]
    else:
        patterns, radiating = [rng.choice((1, 2)), 1, 2, 3], [0, 1]
    for rad in radiating:
        for pattern in patterns:
            rest = total - PD_PATTERN_SCORE[pattern] - 2 * rad
            if 0 <= rest <= 35:
                return _spread(rest, 7, 0, 5, rng), pattern, rad
    raise ValueError(f"painDETECT total {total} is out of range")


def _phq9_totals(group: int, slot: int, rng: _Rng) -> list[int]:
    # Depression tracks the patient's pain severity: moderate at baseline, similar after
    # NI, mild after USGDN.
    severity = _severity(group, SEED)[slot]
    baseline = min(24, max(6, round(13 + 2 * severity + 1.5 * rng.normal())))
    post_usgdn = min(12, max(1, round(6 + severity + 1.2 * rng.normal())))
    if group == 2:
        return [baseline, min(post_usgdn, baseline - 3)]
    post_ni = min(24, max(post_usgdn + 2, baseline + rng.randint(-2, 1)))
    return [baseline, post_ni, post_usgdn]


def _questionnaire_row(
    mrn: str,
    event: str,
    day: date,
    nrs: int,
    pd_total: int,
    dash_sum: int,
    phq9_total: int,
    rng: _Rng,
) -> list[str]:
    pd_items, pattern, radiating = _paindetect_answers(pd_total, rng)
    dash_items = _spread(dash_sum, 30, 1, 5, rng)
    phq9_items = _spread(phq9_total, 9, 0, 3, rng)
    dash_score = (Decimal((dash_sum - 30) * 25) / Decimal(30)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    answers = [nrs, *pd_items, pattern, radiating, *dash_items, *phq9_items]
    return [
        mrn,
        event,
        day.isoformat(),
        *map(str, answers),
        str(pd_total),
        str(dash_score),
        str(phq9_total),
    ]


def _medication_profiles(rng: _Rng) -> dict[str, str]:
    # Per group: one opioid-naive patient, a few who stop during USGDN, the rest step down.
    profiles: dict[str, str] = {}
    for group, stops in ((1, 3), (2, 1)):
        mrns = [f"D{k:03d}" for k in range(1, 21) if (f"D{k:03d}" in GROUP2_MRNS) == (group == 2)]
        plan = ["none"] + ["stop"] * stops + ["reduce"] * (len(mrns) - 1 - stops)
        rng.shuffle(plan)
        profiles.update(zip(mrns, plan, strict=True))
    return profiles


def _mme(regimen: tuple[str, int, int]) -> float:
    drug, dose, per_day = regimen
    return dose * per_day * mme_factors()[drug].factor


def _medication_row(
    mrn: str, regimen: tuple[str, int, int], start: date, end: date | None
) -> list[str]:
    drug, dose, per_day = regimen
    unit, route = ("mcg/h", "transdermal") if drug == "fentanyl" else ("mg", "oral")
    end_text = end.isoformat() if end else ""
    return [mrn, drug, str(dose), unit, str(per_day), start.isoformat(), end_text, route]


def _medication_rows(mrn: str, profile: str, timeline: _Timeline, rng: _Rng) -> list[list[str]]:
    if profile == "none":
        return []
    baseline = timeline.visits[BASELINE]
    sessions = timeline.usgdn_dates
    regimen = rng.choice(_REGIMENS)
    start = baseline - timedelta(days=rng.randint(30, 540))
    # The regimen held through BASELINE and POST_NI ends during the USGDN course.
    end = sessions[rng.randint(1, len(sessions) - 2)]
    rows = [_medication_row(mrn, regimen, start, end)]
    if rng.uniform() < 0.25:
        # An earlier codeine prescription that was replaced by the current regimen.
        earlier_start = start - timedelta(days=rng.randint(90, 300))
        rows.append(_medication_row(mrn, ("codeine", 30, 4), earlier_start, start - timedelta(1)))
    if rng.uniform() < 0.3 and _mme(regimen) <= 90:
        add_on = rng.choice([r for r in _ADD_ON if r[0] != regimen[0]])
        add_on_start = start + timedelta(days=rng.randint(0, (baseline - start).days - 1))
        rows.append(_medication_row(mrn, add_on, add_on_start, end))
    if profile == "reduce":
        lower = [r for r in _STEP_DOWN if r[0] == regimen[0] and _mme(r) <= 0.6 * _mme(regimen)]
        step_down = rng.choice(lower or [("tramadol", 50, 1)])
        follow_up = timeline.visits[POST_USGDN]
        # Most step-down prescriptions are still running at export; some ended after follow-up.
        stop = None
        if rng.uniform() < 0.3:
            stop = min(EXPORT_DATE, follow_up + timedelta(days=rng.randint(28, 84)))
        rows.append(_medication_row(mrn, step_down, end + timedelta(days=1), stop))
    return sorted(rows, key=lambda row: (row[5], row[1]))
