"""How the report writes values: numbers as the paper prints them, p-values, the names of
parameters, visits, groups and responder criteria from the seeds, and the study's orders.

Every function takes a value that may be null (``NA`` on the page) or a code the seeds do not
know (shown as it is), so a table from an older or newer load still renders.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from pipelines.core.reference import (
    ResponderCriterion,
    code_list,
    parameters,
    responder_criteria,
    visit_names,
)
from pipelines.publish.summaries import ALL_GROUPS, round_half_away

NA = "NA"
NO_OUTCOMES = "No patient in the analysis has an outcome value yet."  # an empty summary
PARAMETERS = parameters()
VISIT_NAMES = visit_names()
_STUDY_GROUPS = code_list("group_code")
STUDY_GROUPS = list(_STUDY_GROUPS)  # the study groups' codes, in the code_lists seed's order
GROUPS: dict[str, str] = {**{g.code: g.label for g in _STUDY_GROUPS.values()},
                          ALL_GROUPS: "All patients"}
# The dense tables name the groups briefly and spell them out once in a note.
GROUPS_SHORT: dict[str, str] = {**{g.code: g.short_label for g in _STUDY_GROUPS.values()},
                                ALL_GROUPS: "All"}
GROUPS_NOTE = "; ".join([*(g.label for g in _STUDY_GROUPS.values()), "All: both."])
CRITERIA = {c.criterion: c for c in responder_criteria()}


def is_missing(value: object) -> bool:
    return value is None or bool(pd.isna(value))


def as_text(value: object) -> str:
    return NA if is_missing(value) else str(value)


def as_count(value: object) -> str:
    return NA if is_missing(value) else str(int(value))


def format_number(value: object, decimals: int = 1) -> str:
    """A number as the paper prints it (half away from zero, never -0.0); ``NA`` when null."""
    return NA if is_missing(value) else round_half_away(float(value), decimals)


def format_p_value(value: object) -> str:
    """A p-value to 3 significant digits, ``<0.001`` below that, ``NA`` when null."""
    if is_missing(value):
        return NA
    p = float(value)
    return "<0.001" if p < 0.001 else f"{p:#.3g}"


def format_mean_change(mean: object, low: object, high: object) -> str:
    """``-1.2 (-1.8 to -0.6)``: the mean change and its 95% CI; ``NA`` for each null part."""
    if is_missing(mean):
        return NA
    interval = NA if is_missing(low) or is_missing(high) else \
        f"{format_number(low)} to {format_number(high)}"
    return f"{format_number(mean)} ({interval})"


def format_responders(responders: object, evaluable: object, pct: object) -> str:
    """``4 / 37 (10.8%)``."""
    share = NA if is_missing(pct) else f"{format_number(pct)}%"
    return f"{as_count(responders)} / {as_count(evaluable)} ({share})"


def parameter_name(param_code: str) -> str:
    """The short name of a parameter (``NRS pain``); an unknown code names itself."""
    known = PARAMETERS.get(param_code)
    return known.short_name if known else str(param_code)


def parameter_label(param_code: str) -> str:
    """The parameter's display name with its scale (``NRS pain 0–10``)."""
    known = PARAMETERS.get(param_code)
    return known.label if known else str(param_code)


def visit_label(visit_code: object) -> str:
    """The visit's name (``After USGDN``); an unknown code names itself."""
    return NA if is_missing(visit_code) else VISIT_NAMES.get(visit_code, str(visit_code))


def group_label(group_code: object, short: bool = False) -> str:
    """``Group 1: neural intervention then USGDN`` (short: ``Group 1``); unknown codes as is."""
    if is_missing(group_code):
        return NA
    return (GROUPS_SHORT if short else GROUPS).get(group_code, str(group_code))


def ranked(values: Iterable, order: Mapping | Sequence) -> list:
    """Distinct non-null values, known ones in the study's order, then unknown ones by name."""
    rank = order if isinstance(order, Mapping) else {v: i for i, v in enumerate(order)}
    distinct = {v for v in values if not is_missing(v)}
    return sorted(distinct, key=lambda v: (rank.get(v, len(rank)), str(v)))


def sort_by(frame: pd.DataFrame, keys: Sequence[tuple[str, Mapping | Sequence | None]]
            ) -> pd.DataFrame:
    """Sort by columns in the study's orders (``None``: the column's own order), nulls last."""
    if frame.empty:
        return frame
    ranks = {}
    for column, order in keys:
        if order is None:
            ranks[column] = pd.to_numeric(frame[column], errors="coerce")
        else:
            position = {v: i for i, v in enumerate(ranked(frame[column], order))}
            ranks[column] = frame[column].map(lambda v, p=position: p.get(v, len(p)))
    by = [f"_rank{i}" for i in range(len(keys))]
    with_ranks = frame.assign(**{b: ranks[c] for b, (c, _) in zip(by, keys, strict=True)})
    return with_ranks.sort_values(by, kind="stable", na_position="last").drop(columns=by)


def visits_with_data(group_summary: pd.DataFrame) -> list[str]:
    """The visit codes that have any summary row, by visit_order."""
    if group_summary.empty:
        return []
    visit_order = pd.to_numeric(group_summary["visit_order"], errors="coerce")
    first_order = (group_summary.assign(_o=visit_order.fillna(float("inf")))
                   .groupby("visit_code", dropna=True)["_o"].min())
    return sorted(first_order.index, key=lambda code: (first_order[code], str(code)))


def criterion_in_words(criterion: ResponderCriterion) -> str:
    """A responder criterion as a clinician reads it, from its measure and threshold in the
    seed (a change or percentage change at or below the threshold, a value equal to it, or a
    category): ``NRS pain fell by 30 % or more from baseline``, ``DASH fell by 10.83 points or
    more from baseline``, ``Opioid use 0 MME/day (none) at the visit``, ``painDETECT category
    "unlikely" at the visit``."""
    name = parameter_name(criterion.param_code)
    if criterion.measure == "category":
        return f"{name} category \u201c{criterion.category}\u201d at the visit"
    known = PARAMETERS.get(criterion.param_code)
    unit = known.unit if known and known.unit else ""
    threshold = criterion.threshold if criterion.threshold is not None else float("nan")
    if criterion.measure == "value":
        amount = f"{threshold:g} {unit}".strip() + (" (none)" if threshold == 0 else "")
        return f"{name} {amount} at the visit"
    amount = f"{abs(threshold):g} " + ("%" if criterion.measure == "pct_change"
                                       else unit or "points")
    if threshold < 0:
        return f"{name} fell by {amount} or more from baseline"
    if threshold > 0:
        return f"{name} rose by no more than {amount} from baseline"
    return f"{name} did not rise from baseline"


def criterion_label(criterion: object) -> str:
    """A criterion's plain words (an unknown code names itself)."""
    known = CRITERIA.get(criterion)
    return criterion_in_words(known) if known else as_text(criterion)
