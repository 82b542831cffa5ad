"""The demo patients' questionnaire answers: item answers that add up to each visit's scores
of :data:`~pipelines.demo.cohort.SCORE_TABLE`, and the clinic's own totals beside them.

The answers follow the codebook's item order (docs/scoring.md#2-parameters); the painDETECT
pattern scores come from their seed.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from pipelines.core.reference import paindetect_pattern_scores
from pipelines.demo.codes import DASH, NRS, PAINDETECT
from pipelines.demo.cohort import GROUP_EVENTS, PARAMS, SCORE_TABLE, SEED, Rng, severity

PD_PATTERN_SCORE = paindetect_pattern_scores()


def questionnaire_rows(
    mrn: str, group: int, slot: int, visits: dict[str, date], rng: Rng
) -> list[list[str]]:
    """A patient's rows of the questionnaires export, one a visit of the group.

    ``slot`` is the patient's place in the group (MRN order), the row of the score table.
    """
    scores = {param: SCORE_TABLE[group][param][slot] for param in PARAMS}
    phq9 = _phq9_totals(group, slot, rng)
    return [
        _questionnaire_row(
            mrn,
            event,
            visits[event],
            scores[NRS][k],
            scores[PAINDETECT][k],
            scores[DASH][k] + 30,
            phq9[k],
            rng,
        )
        for k, event in enumerate(GROUP_EVENTS[group])
    ]


def _phq9_totals(group: int, slot: int, rng: Rng) -> list[int]:
    """A patient's PHQ-9 total at each visit of the group."""
    # Depression tracks the patient's pain severity: moderate at baseline, similar after
    # NI, mild after USGDN.
    patient_severity = severity(group, SEED)[slot]
    baseline = min(24, max(6, round(13 + 2 * patient_severity + 1.5 * rng.normal())))
    post_usgdn = min(12, max(1, round(6 + patient_severity + 1.2 * rng.normal())))
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
    rng: Rng,
) -> list[str]:
    """One visit's row: the item answers for the given totals, then the clinic's totals."""
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


def _spread(total: int, count: int, low: int, high: int, rng: Rng) -> list[int]:
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


def _paindetect_answers(total: int, rng: Rng) -> tuple[list[int], int, int]:
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
