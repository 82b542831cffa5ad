"""Table 1: the characteristics at baseline of the patients in the analysis, by group.

A row per group (the study groups, then ALL), variable and level, laid out as the ``tableone``
package lays out a clinical paper's first table: the group sizes first (variable
``patients``), then each patient characteristic, each NI type (a level per NI code, counting
the patients who had it) and the baseline value of each parameter (``baseline:<param_code>``,
the value of the outcome row that is the patient's baseline).

- A continuous variable has ``n`` (patients with a value), ``n_missing``, the mean, SD,
  median and quartiles (linear interpolation, as ``group_summary``), and is printed
  ``mean (SD)``; a skewed count (``SKEWED``) is printed ``median [Q1, Q3]``.
- A categorical variable has a row per level with ``count`` and ``pct`` (of ``n``, the
  patients with a value), printed ``count (pct %)``.
- ``p_value`` compares the two study groups (a continuous variable on its values rounded to
  9 decimals), with the test tableone chooses, named in ``test``: Welch's t-test (a mean),
  Mann-Whitney U (a median; tableone's Kruskal-Wallis for two groups), chi-squared (SciPy's
  ``chi2_contingency``, Yates-corrected for a 2 x 2 table), or Fisher's exact test for a
  2 x 2 table with an expected count or a group under 5. It is null on the ALL rows and where
  the test is not defined (fewer than two levels seen, or too few values in a group).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl

from pipelines.core.reference import code_list, neural_intervention_codes, parameter_order
from pipelines.core.tables import PUBLISHED_COLUMNS
from pipelines.core.warehouse import polars_schema
from pipelines.publish.summaries import ALL_GROUPS, GROUP_ORDER, round_half_away

GROUPS_COMPARED = [group for group in GROUP_ORDER if group != ALL_GROUPS]
PATIENTS = "patients"  # the variable of the group sizes
NI_TYPE = "ni_type"
SKEWED = frozenset({"months_since_mastectomy", "usgdn_sessions", "baseline:MME"})
SMALL = 5  # tableone's bound on an expected count (or a group) for the chi-squared test

COLUMNS = polars_schema(PUBLISHED_COLUMNS["baseline_characteristics"])


@dataclass(frozen=True)
class Variable:
    name: str
    levels: tuple[str, ...] = ()  # a categorical variable's codes; none for a continuous one

    @property
    def continuous(self) -> bool:
        return not self.levels


def variables() -> list[Variable]:
    """Table 1's variables after the group sizes, in its order: the treatment (NI types, a
    level per NI code, see ni_type_rows) before the baseline scores."""
    return [Variable("age_at_index"), Variable("sex", tuple(code_list("sex"))),
            Variable("mastectomy_side", tuple(code_list("mastectomy_side"))),
            Variable("months_since_mastectomy"), Variable("usgdn_sessions"),
            Variable(NI_TYPE, neural_intervention_codes()),
            *(Variable(f"baseline:{code}") for code in parameter_order())]


def variable_names() -> list[str]:
    """Every variable of Table 1, the group sizes first."""
    return [PATIENTS, *(variable.name for variable in variables())]


def patients_frame(con: duckdb.DuckDBPyConnection, patients: str,
                   outcomes: str) -> pl.DataFrame:
    """One row per patient in the analysis: the group, the characteristics, the NI codes and
    the baseline value of each parameter."""
    baselines = ", ".join(
        f"max(o.value) FILTER (WHERE o.param_code = '{code}' AND o.is_baseline) "
        f'AS "baseline:{code}"' for code in parameter_order())
    return con.sql(f"""
        SELECT p.patient_key, p.group_code, p.age_at_index, p.sex, p.mastectomy_side,
               p.months_since_mastectomy, p.usgdn_sessions, p.ni_types, {baselines}
        FROM {patients} AS p
        LEFT JOIN {outcomes} AS o ON o.patient_key = p.patient_key AND o.site = p.site
        WHERE p.in_analysis AND p.group_code IS NOT NULL
        GROUP BY ALL
        ORDER BY p.patient_key""").pl()


def _groups(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Each study group's patients, then all of them."""
    return {**{g: frame.filter(pl.col("group_code") == g) for g in GROUPS_COMPARED},
            ALL_GROUPS: frame}


def _one(value: float | None) -> str:
    return "NA" if value is None else round_half_away(value)


def describe_continuous(values: np.ndarray, skewed: bool) -> dict:
    """The cells of a continuous variable for one group (``values`` without the missing)."""
    n = len(values)
    cells = {"n": n, "mean": None, "sd": None, "median": None, "q1": None, "q3": None}
    if n:
        q1, median, q3 = (float(q) for q in np.quantile(values, [0.25, 0.5, 0.75]))
        cells.update(mean=float(np.mean(values)), median=median, q1=q1, q3=q3,
                     sd=float(np.std(values, ddof=1)) if n > 1 else None)
    cells["summary"] = (f"{_one(cells['median'])} [{_one(cells['q1'])}, {_one(cells['q3'])}]"
                        if skewed else f"{_one(cells['mean'])} ({_one(cells['sd'])})")
    return cells


def compare_continuous(first: np.ndarray, second: np.ndarray,
                       skewed: bool) -> tuple[str | None, float | None]:
    """Welch's t-test of the means, or Mann-Whitney U for a skewed variable, on the values
    rounded to 9 decimals (so that values equal but for the order of a sum, as two engines
    compute MME, tie as they should)."""
    from scipy import stats

    first, second = np.round(first, 9), np.round(second, 9)

    if skewed:
        if not (len(first) and len(second)):
            return None, None
        return "Mann-Whitney U", _p(stats.mannwhitneyu(first, second).pvalue)
    if len(first) < 2 or len(second) < 2:
        return None, None
    return "Welch's t-test", _p(stats.ttest_ind(first, second, equal_var=False).pvalue)


def compare_counts(table: np.ndarray) -> tuple[str | None, float | None]:
    """The test of a groups x levels table of counts, as tableone chooses it; levels no
    patient has are left out."""
    from scipy import stats

    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return None, None
    _, p_value, _, expected = stats.chi2_contingency(table)
    if expected.min() < SMALL or table.sum(axis=1).min() < SMALL:
        if table.shape == (2, 2):
            return "Fisher's exact", _p(stats.fisher_exact(table).pvalue)
        return "Chi-squared (expected count < 5)", _p(p_value)
    return "Chi-squared", _p(p_value)


def _p(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def _row(group: str, variable: str, level: str | None, **cells) -> dict:
    return {**dict.fromkeys(COLUMNS), "group_code": group, "variable": variable,
            "level": level, **cells}


def continuous_rows(groups: dict[str, pl.DataFrame], name: str) -> list[dict]:
    skewed = name in SKEWED
    values = {g: frame[name].drop_nulls().cast(pl.Float64).to_numpy()
              for g, frame in groups.items()}
    test, p_value = compare_continuous(*(values[g] for g in GROUPS_COMPARED), skewed)
    return [_row(group, name, None, n_missing=groups[group][name].null_count(),
                 **describe_continuous(values[group], skewed),
                 test=None if group == ALL_GROUPS else test,
                 p_value=None if group == ALL_GROUPS else p_value)
            for group in groups]


def level_rows(groups: dict[str, pl.DataFrame], name: str, column: pl.Expr,
               levels: tuple[str, ...], level_of: dict[str, pl.Expr]) -> list[dict]:
    """A categorical variable's rows: for each level and group, the patients with a value
    (``column`` not null) and those at the level (``level_of[level]`` true)."""
    counts = {g: {level: frame.filter(level_of[level]).height for level in levels}
              for g, frame in groups.items()}
    known = {g: frame.filter(column.is_not_null()).height for g, frame in groups.items()}
    test, p_value = compare_counts(np.array([[counts[g][level] for level in levels]
                                             for g in GROUPS_COMPARED]))
    rows = []
    for level in levels:
        for group in groups:
            n, count = known[group], counts[group][level]
            pct = 100.0 * count / n if n else None
            rows.append(_row(group, name, level, n=n, n_missing=groups[group].height - n,
                             count=count, pct=pct,
                             summary=f"{count} ({_one(pct)} %)" if n else "NA",
                             test=None if group == ALL_GROUPS else test,
                             p_value=None if group == ALL_GROUPS else p_value))
    return rows


def ni_type_rows(groups: dict[str, pl.DataFrame]) -> list[dict]:
    """A level per NI code, each had or not had by every patient (a 2 x 2 test each)."""
    rows = []
    (ni_type,) = (variable for variable in variables() if variable.name == NI_TYPE)
    for code in ni_type.levels:
        had = pl.col("ni_types").fill_null("").str.split(",").list.contains(code)
        rows += level_rows(groups, NI_TYPE, pl.col("group_code"), (code, f"no {code}"),
                           {code: had, f"no {code}": ~had})
    return [row for row in rows if not row["level"].startswith("no ")]


def baseline_characteristics(frame: pl.DataFrame) -> pl.DataFrame:
    """Table 1 of the patients of ``patients_frame``."""
    groups = _groups(frame)
    rows = [_row(group, PATIENTS, None, n=part.height, n_missing=0, summary=str(part.height))
            for group, part in groups.items()]
    for variable in variables():
        if variable.name == NI_TYPE:
            rows += ni_type_rows(groups)
        elif variable.continuous:
            rows += continuous_rows(groups, variable.name)
        else:
            rows += level_rows(groups, variable.name, pl.col(variable.name), variable.levels,
                               {level: pl.col(variable.name) == level
                                for level in variable.levels})
    for order, row in enumerate(rows):
        row["display_order"] = order
    return pl.DataFrame(rows, schema=COLUMNS, orient="row")
