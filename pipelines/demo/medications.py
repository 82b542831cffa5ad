"""The demo patients' opioid prescriptions: a regimen held before baseline that ends during the
USGDN course, sometimes an earlier or an added prescription, and a lower dose or none after.

Each drug's unit, route and MME factor come from the mme_factors seed.
"""

from datetime import date, timedelta

from pipelines.core.reference import mme_factors
from pipelines.demo.codes import BASELINE, POST_USGDN
from pipelines.demo.cohort import EXPORT_DATE, MRNS, Rng, group_of
from pipelines.demo.patients import Timeline

Regimen = tuple[str, int, int]  # drug, dose, doses_per_day

# Regimens of about 20-120 MME/day held before baseline.
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
_EARLIER = ("codeine", 30, 4)
_LOWEST = ("tramadol", 50, 1)


def medication_profiles(rng: Rng) -> dict[str, str]:
    """MRN -> what happens to the patient's opioids: ``none``, ``stop`` or ``reduce``."""
    # Per group: one opioid-naive patient, a few who stop during USGDN, the rest step down.
    profiles: dict[str, str] = {}
    for group, stops in ((1, 3), (2, 1)):
        mrns = [mrn for mrn in MRNS if group_of(mrn) == group]
        plan = ["none"] + ["stop"] * stops + ["reduce"] * (len(mrns) - 1 - stops)
        rng.shuffle(plan)
        profiles.update(zip(mrns, plan, strict=True))
    return profiles


def medication_rows(mrn: str, profile: str, timeline: Timeline, rng: Rng) -> list[list[str]]:
    """A patient's rows of the medications export, by start date."""
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
        rows.append(_medication_row(mrn, _EARLIER, earlier_start, start - timedelta(1)))
    if rng.uniform() < 0.3 and _mme(regimen) <= 90:
        add_on = rng.choice([r for r in _ADD_ON if r[0] != regimen[0]])
        add_on_start = start + timedelta(days=rng.randint(0, (baseline - start).days - 1))
        rows.append(_medication_row(mrn, add_on, add_on_start, end))
    if profile == "reduce":
        rows.append(_step_down_row(mrn, regimen, end, timeline.visits[POST_USGDN], rng))
    return sorted(rows, key=lambda row: (row[5], row[1]))


def _step_down_row(
    mrn: str, regimen: Regimen, end: date, follow_up: date, rng: Rng
) -> list[str]:
    lower = [r for r in _STEP_DOWN if r[0] == regimen[0] and _mme(r) <= 0.6 * _mme(regimen)]
    step_down = rng.choice(lower or [_LOWEST])
    # Most step-down prescriptions are still running at export; some ended after follow-up.
    stop = None
    if rng.uniform() < 0.3:
        stop = min(EXPORT_DATE, follow_up + timedelta(days=rng.randint(28, 84)))
    return _medication_row(mrn, step_down, end + timedelta(days=1), stop)


def _mme(regimen: Regimen) -> float:
    drug, dose, per_day = regimen
    return dose * per_day * mme_factors()[drug].factor


def _medication_row(mrn: str, regimen: Regimen, start: date, end: date | None) -> list[str]:
    drug, dose, per_day = regimen
    factor = mme_factors()[drug]
    end_text = end.isoformat() if end else ""
    return [mrn, drug, str(dose), factor.unit, str(per_day), start.isoformat(), end_text,
            factor.route]
