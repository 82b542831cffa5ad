"""The study's group-level summaries (CONTRACT.md section 4), as pure functions of `outcomes`.

Each takes the outcomes of the patients in the analysis and returns one table; groups are
NI_USGDN, USGDN_ONLY and ALL (both together).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
from scipy import stats

ALL_GROUPS = "ALL"
GROUP_ORDER = {"NI_USGDN": 0, "USGDN_ONLY": 1, ALL_GROUPS: 2}
PARAM_ORDER = {"NRS": 0, "PAINDETECT": 1, "DASH": 2, "PHQ9": 3, "MME": 4}

GROUP_SUMMARY_COLUMNS = ["group_code", "visit_code", "visit_order", "param_code", "n", "mean",
                         "sd", "median", "q1", "q3", "min", "max", "mean_sd"]
CHANGE_SUMMARY_COLUMNS = ["group_code", "visit_code", "visit_order", "param_code", "reference",
                          "n_pairs", "mean_change", "sd_change", "ci95_low", "ci95_high",
                          "p_wilcoxon", "p_ttest"]
RESPONDER_SUMMARY_COLUMNS = ["group_code", "visit_code", "visit_order", "criterion",
                             "n_evaluable", "n_responders", "pct_responders"]

# reference -> (change column, first visit_order it applies to)
REFERENCES = {"BASELINE": ("change", 1), "PRE_USGDN": ("change_from_pre_usgdn", 2)}


def round_half_away(value: float, decimals: int = 1) -> str:
    """Round as the paper prints: to 9 decimals first, then half away from zero; no -0.0."""
    exact = Decimal(repr(round(float(value), 9)))
    rounded = exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)
    return f"{rounded:.{decimals}f}"


def format_mean_sd(mean: float, sd: float | None) -> str:
    """``9.6 (0.9)``; ``9.6 (NA)`` when the SD is undefined."""
    spread = "NA" if sd is None or pd.isna(sd) else round_half_away(sd)
    return f"{round_half_away(mean)} ({spread})"


def with_all_group(outcomes: pd.DataFrame) -> pd.DataFrame:
    """The analysis population's rows once per group and once more as ALL."""
    analysed = outcomes[outcomes["group_code"].notna()]
    return pd.concat([analysed, analysed.assign(group_code=ALL_GROUPS)], ignore_index=True)


def _sorted(frame: pd.DataFrame, *extra: str) -> pd.DataFrame:
    keys = frame.assign(_g=frame["group_code"].map(GROUP_ORDER),
                        _p=frame.get("param_code", pd.Series(dtype=object)).map(PARAM_ORDER))
    by = ["_g", "visit_order"] + (["_p"] if "param_code" in frame else []) + list(extra)
    return keys.sort_values(by, kind="stable").drop(columns=["_g", "_p"]).reset_index(drop=True)


def describe(values: np.ndarray) -> dict:
    """n, mean, sample SD (null when n < 2), median, quartiles (linear), min, max."""
    n = len(values)
    sd = float(np.std(values, ddof=1)) if n >= 2 else None
    mean = float(np.mean(values))
    q1, median, q3 = (float(q) for q in np.quantile(values, [0.25, 0.5, 0.75]))
    return {"n": n, "mean": mean, "sd": sd, "median": median, "q1": q1, "q3": q3,
            "min": float(np.min(values)), "max": float(np.max(values)),
            "mean_sd": format_mean_sd(mean, sd)}


def group_summary(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Mean (SD) and the distribution of each parameter per group and visit."""
    rows = []
    grouped = with_all_group(outcomes).groupby(
        ["group_code", "visit_code", "visit_order", "param_code"])
    for (group, visit, order, param), part in grouped:
        rows.append({"group_code": group, "visit_code": visit, "visit_order": int(order),
                     "param_code": param, **describe(part["value"].to_numpy(dtype=float))})
    return _sorted(pd.DataFrame(rows, columns=GROUP_SUMMARY_COLUMNS))


def paired_tests(changes: np.ndarray) -> tuple[float | None, float | None]:
    """Wilcoxon signed-rank and one-sample t-test p-values on changes rounded to 9 decimals;
    None when n < 2 or every rounded change is equal."""
    rounded = np.round(changes, 9)
    if len(rounded) < 2 or np.all(rounded == rounded[0]):
        return None, None
    p_wilcoxon = float(stats.wilcoxon(rounded).pvalue)
    p_ttest = float(stats.ttest_1samp(rounded, 0.0).pvalue)
    return (None if math.isnan(p_wilcoxon) else p_wilcoxon,
            None if math.isnan(p_ttest) else p_ttest)


def describe_changes(changes: np.ndarray) -> dict:
    n = len(changes)
    mean = float(np.mean(changes))
    sd = float(np.std(changes, ddof=1)) if n >= 2 else None
    low = high = None
    if n >= 2:
        margin = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
        low, high = mean - margin, mean + margin
    p_wilcoxon, p_ttest = paired_tests(changes)
    return {"n_pairs": n, "mean_change": mean, "sd_change": sd, "ci95_low": low,
            "ci95_high": high, "p_wilcoxon": p_wilcoxon, "p_ttest": p_ttest}


def change_summary(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Mean change from each reference per group, post-baseline visit and parameter."""
    rows = []
    frame = with_all_group(outcomes)
    for reference, (column, first_order) in REFERENCES.items():
        eligible = frame[(frame["visit_order"] >= first_order) & frame[column].notna()]
        grouped = eligible.groupby(["group_code", "visit_code", "visit_order", "param_code"])
        for (group, visit, order, param), part in grouped:
            rows.append({"group_code": group, "visit_code": visit, "visit_order": int(order),
                         "param_code": param, "reference": reference,
                         **describe_changes(part[column].to_numpy(dtype=float))})
    table = pd.DataFrame(rows, columns=CHANGE_SUMMARY_COLUMNS)
    table["_r"] = table["reference"].map({"BASELINE": 0, "PRE_USGDN": 1})
    return _sorted(table, "_r").drop(columns="_r")


def responder_flags(outcomes: pd.DataFrame, criteria: pd.DataFrame) -> pd.DataFrame:
    """One row per patient, post-baseline visit and criterion where the patient is evaluable,
    with ``is_responder``. ``criteria`` is the responder_criteria seed."""
    post = outcomes[outcomes["visit_order"] >= 1]
    rows = []
    for criterion in criteria.itertuples(index=False):
        values = post[post["param_code"] == criterion.param_code]
        measure = values[criterion.measure]
        evaluable = values[measure.notna()]
        measure = measure[measure.notna()]
        if criterion.measure == "category":
            responder = measure == "unlikely"
        elif criterion.measure == "value":
            responder = measure.astype(float) == criterion.threshold
        else:
            responder = measure.astype(float) <= criterion.threshold
        rows.append(evaluable[["patient_key", "group_code", "visit_code", "visit_order"]]
                    .assign(criterion=criterion.criterion, is_responder=responder.to_numpy()))
    return pd.concat(rows, ignore_index=True)


def responder_summary(outcomes: pd.DataFrame, criteria: pd.DataFrame) -> pd.DataFrame:
    """Responders per group, post-baseline visit and criterion among the evaluable patients."""
    flags = with_all_group(responder_flags(outcomes, criteria))
    order = {c: i for i, c in enumerate(criteria["criterion"])}
    rows = []
    for (group, visit, visit_order, criterion), part in flags.groupby(
            ["group_code", "visit_code", "visit_order", "criterion"]):
        n_evaluable = len(part)
        n_responders = int(part["is_responder"].sum())
        rows.append({"group_code": group, "visit_code": visit, "visit_order": int(visit_order),
                     "criterion": criterion, "n_evaluable": n_evaluable,
                     "n_responders": n_responders,
                     "pct_responders": 100.0 * n_responders / n_evaluable})
    table = pd.DataFrame(rows, columns=RESPONDER_SUMMARY_COLUMNS)
    table["_c"] = table["criterion"].map(order)
    return _sorted(table, "_c").drop(columns="_c")
