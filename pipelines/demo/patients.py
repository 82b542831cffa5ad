"""The demo patients: who they are (names, age, mastectomy) and each one's timeline of
procedures and visits. Every person, name and date is invented."""

from dataclasses import dataclass
from datetime import date, timedelta

from pipelines.core.reference import code_list
from pipelines.demo.codes import (
    BASELINE,
    NI_PROCEDURES,
    POST_NI,
    POST_USGDN,
    USGDN,
    require_codes,
)
from pipelines.demo.cohort import Rng

_FIRST_NAMES = (
    "Anjali", "Kavitha", "Meena", "Lakshmi", "Sunita", "Rekha", "Deepa", "Shobha",
    "Vasanthi", "Geetha", "Nirmala", "Padmini", "Radhika", "Usha", "Savitha", "Asha",
    "Prema", "Jayashree", "Sarala", "Malini", "Revathi", "Sudha", "Hemalatha", "Leela",
)  # fmt: skip
_LAST_NAMES = (
    "Shenoy", "Kamath", "Nayak", "Rao", "Bhat", "Menon", "Nair", "Hegde", "Kini",
    "Prabhu", "Shetty", "Acharya", "Kulkarni", "Desai", "Iyer", "Pillai", "Joshi",
)  # fmt: skip
# Each side as often as the clinic sees it: one side twice as often as both.
_SIDES = ("left", "left", "right", "right", "bilateral")
require_codes(_SIDES, code_list("mastectomy_side"), "mastectomy sides")
_NI_NOTES = {
    "neuraxial_block": ("thoracic epidural steroid T3-T4", "thoracic epidural bupivacaine", ""),
    "intrathecal_pump": ("intrathecal morphine pump implanted", "intrathecal pump trial", ""),
    "pulsed_rf": ("pulsed RF T2-T4 dorsal root ganglia", "pulsed RF intercostobrachial nerve", ""),
}
require_codes(_NI_NOTES, NI_PROCEDURES, "notes of the neural interventions")
_USGDN_NOTES = (
    "pectoralis major trigger points",
    "pectoralis minor and serratus anterior",
    "latissimus dorsi and infraspinatus",
    "trigger points next to the scar",
    "upper trapezius and rhomboids",
    "",
)

# Enrolment: one first procedure roughly every 24 days from mid-January 2025, so the last
# follow-up still lies months before the export date.
_FIRST_ENROLMENT = date(2025, 1, 13)
_ENROLMENT_SPACING_DAYS = 24

Procedure = tuple[date, str, str]  # date, procedure code, notes


@dataclass(frozen=True)
class Timeline:
    """One patient's procedures (date, code, notes) and visit dates."""

    procedures: tuple[Procedure, ...]
    visits: dict[str, date]

    @property
    def first_procedure(self) -> date:
        """The index date: the day of the first procedure."""
        return self.procedures[0][0]

    @property
    def usgdn_dates(self) -> list[date]:
        """The days of the dry-needling sessions."""
        return [day for day, code, _ in self.procedures if code == USGDN]


def first_names(rng: Rng) -> list[str]:
    """The first names in the order the patients get them (MRN order)."""
    names = list(_FIRST_NAMES)
    rng.shuffle(names)
    return names


def enrolment_date(number: int, rng: Rng) -> date:
    """The day of the first procedure of the ``number``-th patient (from 1), a weekday."""
    day = _FIRST_ENROLMENT + timedelta(
        days=(number - 1) * _ENROLMENT_SPACING_DAYS + rng.randint(0, 6)
    )
    # Procedures are done on weekdays.
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def timeline(group: int, first: date, rng: Rng) -> Timeline:
    """A patient's procedures and visits, the first procedure on ``first``.

    Group 1 has one or two neural interventions, then the USGDN course; Group 2 the course alone.
    """
    procedures: list[Procedure] = []
    visits: dict[str, date] = {}
    if group == 1:
        procedures = _neural_interventions(first, rng)
        visits[POST_NI] = procedures[-1][0] + timedelta(days=7)
        # USGDN starts 2-3 weeks after the last NI, i.e. after the POST_NI visit.
        usgdn_start = procedures[-1][0] + timedelta(weeks=rng.randint(2, 3))
    else:
        usgdn_start = first
    sessions = rng.randint(4, 8)
    for week in range(sessions):
        procedures.append((usgdn_start + timedelta(weeks=week), USGDN, rng.choice(_USGDN_NOTES)))
    visits[POST_USGDN] = procedures[-1][0] + timedelta(days=7)
    # Baseline is 0-7 days before the first procedure, on a weekday.
    offsets = [d for d in range(8) if (first - timedelta(days=d)).weekday() < 5]
    visits[BASELINE] = first - timedelta(days=rng.choice(offsets))
    return Timeline(tuple(procedures), visits)


def _neural_interventions(first: date, rng: Rng) -> list[Procedure]:
    dates = [first]
    if rng.uniform() < 0.45:
        dates.append(first + timedelta(weeks=rng.randint(2, 4)))
    codes = [rng.choice(NI_PROCEDURES)]
    if len(dates) == 2:
        # A second NI is always a different kind of intervention.
        codes.append(rng.choice([code for code in NI_PROCEDURES if code != codes[0]]))
    return [(day, code, rng.choice(_NI_NOTES[code]))
            for day, code in zip(dates, codes, strict=True)]


def patient_row(mrn: str, group: int, first_name: str, index: date, rng: Rng) -> list[str]:
    """A patient's row of the patients export; ``index`` is the day of the first procedure."""
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
