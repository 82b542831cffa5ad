"""The search that found the demo cohort's per-patient scores (pipelines/demo/cohort.py,
SCORE_TABLE): integer score units per patient whose mean (SD) per visit, recomputed exactly,
round to the published table of Vas & Pai 2019. The tests re-run it and check the table with
it; the pipeline never imports it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from itertools import pairwise

from pipelines.demo.codes import BASELINE, POST_NI, POST_USGDN
from pipelines.demo.cohort import GROUP_EVENTS, GROUP_SIZES, PARAMS, SEED, Rng, severity

# (group, param, event) -> (mean, sd) exactly as printed in the published table.
PUBLISHED_TABLE: dict[tuple[int, str, str], tuple[str, str]] = {
    (1, "NRS", BASELINE): ("9.6", "0.9"),
    (1, "NRS", POST_NI): ("5.2", "1.1"),
    (1, "NRS", POST_USGDN): ("2.3", "0.8"),
    (1, "PAINDETECT", BASELINE): ("28.3", "4.3"),
    (1, "PAINDETECT", POST_NI): ("16.1", "3.7"),
    (1, "PAINDETECT", POST_USGDN): ("6.6", "1.2"),
    (1, "DASH", BASELINE): ("80.9", "10.5"),
    (1, "DASH", POST_NI): ("71.1", "10.5"),
    (1, "DASH", POST_USGDN): ("34.6", "14.4"),
    (2, "NRS", BASELINE): ("7.8", "1.7"),
    (2, "NRS", POST_USGDN): ("1.3", "0.5"),
    (2, "PAINDETECT", BASELINE): ("20.0", "8.0"),
    (2, "PAINDETECT", POST_USGDN): ("6.0", "1.6"),
    (2, "DASH", BASELINE): ("61.0", "14.4"),
    (2, "DASH", POST_USGDN): ("22.5", "10.4"),
}


@dataclass(frozen=True)
class _Scale:
    """Integer search scale of one score: score = units * step."""

    low: int
    high: int
    step: Fraction


# DASH is searched on (sum of the 30 items - 30), so every candidate maps onto real answers.
SCALES: dict[str, _Scale] = {
    "NRS": _Scale(0, 10, Fraction(1)),
    "PAINDETECT": _Scale(-1, 38, Fraction(1)),
    "DASH": _Scale(0, 120, Fraction(25, 30)),
}


def _exact_mean_sd(values: Sequence[Fraction | int]) -> tuple[Fraction, Fraction]:
    n = len(values)
    mean = Fraction(sum(values)) / n
    variance = sum((Fraction(v) - mean) ** 2 for v in values) / (n - 1)
    return mean, variance


def _half_up(x: float, exact_decimal: bool = False) -> str:
    rounded = round(x, 9)
    as_decimal = Decimal(rounded) if exact_decimal else Decimal(repr(rounded))
    return str(as_decimal.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def format_mean_sd(values: Sequence[Fraction | int | float]) -> str:
    """Format values as the published ``mean (sd)``: sample SD, one decimal, half up.

    Each statistic is rounded to 9 decimals first, then to one decimal half away from zero.
    """
    mean, variance = _exact_mean_sd([Fraction(v) for v in values])
    return f"{_half_up(float(mean))} ({_half_up(math.sqrt(variance))})"


def _robust_round(x: float) -> str | None:
    # Why: the pipeline computes in floating point and may build the Decimal from the float
    # or from its repr; accept a value only if every such variant rounds the same way.
    eps = 1e-11 * max(1.0, abs(x))
    results = {_half_up(v, exact) for v in (x - eps, x, x + eps) for exact in (False, True)}
    return results.pop() if len(results) == 1 else None


def hits_target(values: Sequence[Fraction | int], target: tuple[str, str]) -> bool:
    """Return True when the values' mean and sample SD robustly round to ``target``."""
    mean, variance = _exact_mean_sd(values)
    return (_robust_round(float(mean)), _robust_round(math.sqrt(variance))) == target


def search_score_table(group: int, param: str, seed: int = SEED) -> tuple[tuple[int, ...], ...]:
    """Search per-patient score units whose mean (SD) per visit hit the published table.

    Seeded random start (correlated with a per-patient severity shared by all parameters)
    followed by hill-climbing with +/-1 and transfer moves on the integer units. Every
    patient's units strictly fall from visit to visit. Returns one tuple per patient.
    """
    scale = SCALES[param]
    events = GROUP_EVENTS[group]
    n = GROUP_SIZES[group]
    targets = [PUBLISHED_TABLE[(group, param, event)] for event in events]
    severities = severity(group, seed)
    rng = Rng(seed * 100 + group * 10 + PARAMS.index(param))
    for _ in range(200):
        cols = _initial_columns(scale, targets, severities, rng)
        if cols is not None and _climb(cols, scale, targets, rng, n):
            return tuple(tuple(cols[t][i] for t in range(len(events))) for i in range(n))
    raise RuntimeError(f"no score table found for group {group} {param}")


def _initial_columns(
    scale: _Scale,
    targets: list[tuple[str, str]],
    severity: list[float],
    rng: Rng,
) -> list[list[int]] | None:
    n = len(severity)
    cols: list[list[int]] = []
    for mean_text, sd_text in targets:
        z = [0.8 * s + 0.5 * rng.normal() for s in severity]
        z_mean = sum(z) / n
        z_sd = math.sqrt(sum((v - z_mean) ** 2 for v in z) / (n - 1)) or 1.0
        mean_units = float(Fraction(mean_text) / scale.step)
        sd_units = float(Fraction(sd_text) / scale.step)
        col = [round(mean_units + sd_units * (v - z_mean) / z_sd) for v in z]
        cols.append([min(scale.high, max(scale.low, v)) for v in col])
    for t in range(1, len(cols)):
        for i in range(n):
            cols[t][i] = max(scale.low, min(cols[t][i], cols[t - 1][i] - 1))
    ok = all(_patient_valid(cols, scale, i) for i in range(n))
    return cols if ok else None


def _patient_valid(cols: list[list[int]], scale: _Scale, i: int) -> bool:
    values = [col[i] for col in cols]
    in_range = all(scale.low <= v <= scale.high for v in values)
    return in_range and all(a > b for a, b in pairwise(values))


def _objective(col: list[int], scale: _Scale, target: tuple[str, str]) -> float:
    mean, variance = _exact_mean_sd([v * scale.step for v in col])
    error_mean = (float(mean) - float(target[0])) / 0.05
    error_sd = (math.sqrt(variance) - float(target[1])) / 0.05
    return error_mean**2 + error_sd**2


def _climb(
    cols: list[list[int]],
    scale: _Scale,
    targets: list[tuple[str, str]],
    rng: Rng,
    n: int,
    steps: int = 4000,
) -> bool:
    def hit(t: int) -> bool:
        return hits_target([v * scale.step for v in cols[t]], targets[t])

    scores = [_objective(col, scale, target) for col, target in zip(cols, targets, strict=True)]
    for _ in range(steps):
        open_visits = [t for t in range(len(cols)) if not hit(t)]
        if not open_visits:
            return True
        t = rng.choice(open_visits)
        i = rng.randint(0, n - 1)
        moves = [(i, rng.choice((-1, 1)))]
        if rng.uniform() < 0.5:
            # Transfer: keeps the mean and reshapes the spread.
            j = rng.randint(0, n - 1)
            moves = [(i, 1), (j, -1)] if j != i else moves
        for k, delta in moves:
            cols[t][k] += delta
        new_score = _objective(cols[t], scale, targets[t])
        if new_score <= scores[t] and all(_patient_valid(cols, scale, k) for k, _ in moves):
            scores[t] = new_score
        else:
            for k, delta in moves:
                cols[t][k] -= delta
    return False
