"""The study's group-level summaries (docs/tables.md#8-group_summary), computed in SQL from
`outcomes`.

Each function takes a DuckDB connection and the name of an outcomes relation (the published
columns) and returns one summary as a query result. Groups are those of the code_lists seed
and ALL (both together); only patients in the analysis (with a group) count. SciPy is used
only where SQL has no answer: the t quantile of the confidence interval and the two p-values,
computed on each group's vector of changes.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import numpy as np
import polars as pl

from pipelines.core.reference import code_list, parameter_order, responder_criteria
from pipelines.core.tables import wide_columns

ALL_GROUPS = "ALL"
# The study groups in the code_lists seed's order, then both together.
GROUP_ORDER = {group_code: order
               for order, group_code in enumerate((*code_list("group_code"), ALL_GROUPS))}
PARAM_ORDER = {param_code: order for order, param_code in enumerate(parameter_order())}
# reference -> (change column, first visit_order it applies to)
REFERENCES = {"BASELINE": ("change", 1), "PRE_USGDN": ("change_from_pre_usgdn", 2)}


def round_half_away(value: float, decimals: int = 1) -> str:
    """Round as the paper prints: to 9 decimals first, then half away from zero; no -0.0."""
    exact = Decimal(repr(round(float(value), 9)))
    rounded = exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)
    return f"{rounded:.{decimals}f}"


def one_decimal_sql(value: str) -> str:
    """SQL for round_half_away(value): DECIMAL rounding is exact and half away from zero, and
    a DECIMAL has no negative zero."""
    return f"CAST(round(CAST({value} AS DECIMAL(38, 9)), 1) AS VARCHAR)"


def _analysed(outcomes: str) -> str:
    """The analysis population's rows once per group and once more as ALL."""
    return f"""(
        SELECT * FROM {outcomes} WHERE group_code IS NOT NULL
        UNION ALL
        SELECT * REPLACE ('{ALL_GROUPS}' AS group_code) FROM {outcomes}
        WHERE group_code IS NOT NULL)"""


def _order(column: str, values: list[str]) -> str:
    """An ORDER BY term that sorts ``column`` as ``values`` list it (others last)."""
    listed = ", ".join(f"'{v}'" for v in values)
    return f"coalesce(list_position([{listed}], {column}), {len(values) + 1})"


def _group_visit_order() -> str:
    return f"{_order('group_code', list(GROUP_ORDER))}, visit_order"


def group_summary(con: duckdb.DuckDBPyConnection, outcomes: str) -> duckdb.DuckDBPyRelation:
    """Mean (SD) and the distribution of each parameter per group and visit."""
    return con.sql(f"""
        SELECT *, {one_decimal_sql('mean')} || ' ('
                  || coalesce({one_decimal_sql('sd')}, 'NA') || ')' AS mean_sd
        FROM (
            SELECT group_code, visit_code, visit_order::INTEGER AS visit_order, param_code,
                   count(*)::INTEGER AS n, avg(value) AS mean, stddev_samp(value) AS sd,
                   quantile_cont(value, 0.5) AS median, quantile_cont(value, 0.25) AS q1,
                   quantile_cont(value, 0.75) AS q3, min(value) AS min, max(value) AS max
            FROM {_analysed(outcomes)}
            GROUP BY group_code, visit_code, visit_order, param_code)
        ORDER BY {_group_visit_order()}, {_order('param_code', parameter_order())}""")


def paired_tests(changes: np.ndarray) -> tuple[float | None, float | None]:
    """Wilcoxon signed-rank and one-sample t-test p-values on changes rounded to 9 decimals;
    None when n < 2 or every rounded change is equal."""
    from scipy import stats

    rounded = np.round(changes, 9)
    if len(rounded) < 2 or np.all(rounded == rounded[0]):
        return None, None
    p_wilcoxon = float(stats.wilcoxon(rounded).pvalue)
    p_ttest = float(stats.ttest_1samp(rounded, 0.0).pvalue)
    return (None if math.isnan(p_wilcoxon) else p_wilcoxon,
            None if math.isnan(p_ttest) else p_ttest)


def confidence_interval(mean: float, sd: float | None, n: int) -> tuple[float | None, ...]:
    """mean ± t(0.975, n − 1) × sd / √n; nulls when n < 2."""
    if n < 2 or sd is None:
        return None, None
    from scipy import stats

    margin = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return mean - margin, mean + margin


def change_summary(con: duckdb.DuckDBPyConnection, outcomes: str) -> pl.DataFrame:
    """Mean change from each reference per group, post-baseline visit and parameter, with its
    95% CI and the p-values of the Wilcoxon signed-rank and one-sample t tests."""
    changes = " UNION ALL ".join(
        f"""SELECT group_code, visit_code, visit_order, param_code, '{reference}' AS reference,
                   {column} AS change FROM {_analysed(outcomes)}
            WHERE visit_order >= {first} AND {column} IS NOT NULL"""
        for reference, (column, first) in REFERENCES.items())
    groups = con.sql(f"""
        SELECT group_code, visit_code, visit_order::INTEGER AS visit_order, param_code,
               reference, count(*)::INTEGER AS n_pairs, avg(change) AS mean_change,
               stddev_samp(change) AS sd_change, list(change) AS changes
        FROM ({changes})
        GROUP BY group_code, visit_code, visit_order, param_code, reference
        ORDER BY {_group_visit_order()}, {_order('param_code', parameter_order())},
                 {_order('reference', list(REFERENCES))}""").pl()
    statistics = []
    for number, row in enumerate(groups.drop("changes").iter_rows(named=True)):
        low, high = confidence_interval(row["mean_change"], row["sd_change"], row["n_pairs"])
        changes = groups["changes"][number].to_numpy()  # one group's vector, without Python floats
        statistics.append((low, high, *paired_tests(changes)))
    columns = ["ci95_low", "ci95_high", "p_wilcoxon", "p_ttest"]
    return groups.drop("changes").hstack(pl.DataFrame(
        statistics, schema={c: pl.Float64 for c in columns}, orient="row"))


def _responders_sql(outcomes: str) -> str:
    """One row per patient, post-baseline visit and criterion: whether the patient is
    evaluable (has every value the criterion's definition uses, docs/scoring.md#11-responders) and,
    when so,
    a responder. The one statement of the rule; responder_summary counts its rows."""
    criteria = responder_criteria()
    rows = ", ".join(
        f"('{c.criterion}', '{c.param_code}', '{c.measure}', "
        f"{'NULL' if c.threshold is None else repr(c.threshold)}::DOUBLE, "
        f"{'NULL' if c.category is None else repr(c.category)}::VARCHAR)" for c in criteria)
    return f"""
        WITH criteria(criterion, param_code, measure, threshold, category) AS (VALUES {rows}),
        visits AS (
            SELECT DISTINCT patient_key, site, group_code, in_analysis, visit_code, visit_order
            FROM {outcomes} WHERE visit_order >= 1),
        measured AS (
            SELECT v.*, c.criterion,
                   CASE c.measure
                       WHEN 'category' THEN (o.category = c.category)
                       WHEN 'value' THEN (o.value = c.threshold)
                       WHEN 'change' THEN (o.change <= c.threshold)
                       WHEN 'pct_change' THEN (o.pct_change <= c.threshold)
                   END AS is_responder
            FROM visits AS v
            CROSS JOIN criteria AS c
            LEFT JOIN {outcomes} AS o
              ON o.patient_key = v.patient_key AND o.visit_code = v.visit_code
             AND o.param_code = c.param_code)
        SELECT patient_key, site, group_code, in_analysis, visit_code,
               visit_order::INTEGER AS visit_order, criterion,
               is_responder IS NOT NULL AS evaluable, is_responder AS responder
        FROM measured
        ORDER BY site, patient_key, visit_order,
                 {_order('criterion', [c.criterion for c in criteria])}"""


def responders(con: duckdb.DuckDBPyConnection, outcomes: str) -> duckdb.DuckDBPyRelation:
    """Each patient's responder flags (every patient with a post-baseline assessment, in the
    analysis or not): one row per patient, post-baseline visit and criterion."""
    return con.sql(_responders_sql(outcomes))


def responder_summary(con: duckdb.DuckDBPyConnection, outcomes: str,
                      flags: str | None = None) -> duckdb.DuckDBPyRelation:
    """Responders per group, post-baseline visit and criterion among the evaluable patients
    in the analysis, counted from their responder flags: the relation ``flags`` when the
    caller has them (the published responders), else ``responders`` of ``outcomes``."""
    criteria = responder_criteria()
    source = flags or f"({_responders_sql(outcomes)})"
    return con.sql(f"""
        WITH flags AS (SELECT * FROM {source})
        SELECT group_code, visit_code, visit_order, criterion,
               count(*)::INTEGER AS n_evaluable,
               count(*) FILTER (WHERE responder)::INTEGER AS n_responders,
               100.0 * count(*) FILTER (WHERE responder) / count(*) AS pct_responders
        FROM {_analysed('flags')}
        WHERE evaluable
        GROUP BY group_code, visit_code, visit_order, criterion
        ORDER BY {_group_visit_order()},
                 {_order('criterion', [c.criterion for c in criteria])}""")


def outcomes_wide_sql(patients: str, outcomes: str, order: str) -> str:
    """One row per patient (every patient of the marts ``patients`` and ``outcomes``, in the
    patients' ``order``) with a column per parameter and visit holding its value."""
    values = ",\n               ".join(
        f"max(o.value) FILTER (WHERE o.param_code = '{param}' AND o.visit_code = '{visit}') "
        f'AS "{column}"' for column, (param, visit) in wide_columns().items())
    return f"""
        SELECT * EXCLUDE (mrn) FROM (
            SELECT p.patient_key, p.site, p.group_code, p.in_analysis, p.mrn,
                   {values}
            FROM {patients} AS p
            LEFT JOIN {outcomes} AS o ON o.site = p.site AND o.mrn = p.mrn
            GROUP BY p.patient_key, p.site, p.group_code, p.in_analysis, p.mrn)
        {order}"""
