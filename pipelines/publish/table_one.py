"""The report's Table 1: baseline_characteristics laid out as a clinical paper prints it, a row
per variable or level and a column per group, then the test of the two groups."""

from __future__ import annotations

import pandas as pd

from pipelines.core.reference import code_list, parameters, procedure_descriptions
from pipelines.publish.baseline import NI_TYPE, PATIENTS, SKEWED
from pipelines.publish.summaries import GROUP_ORDER

NAMES = {PATIENTS: "Patients", "age_at_index": "Age at index (years)", "sex": "Sex",
         "mastectomy_side": "Mastectomy side",
         "months_since_mastectomy": "Months since mastectomy", "usgdn_sessions": "USGDN sessions",
         NI_TYPE: "Neural intervention before USGDN",
         **{f"baseline:{code}": f"Baseline {parameter.label}"
            for code, parameter in parameters().items()}}


def variable_name(variable: str) -> str:
    """The row label of a variable, with how its cells are given."""
    name = NAMES.get(variable, variable)
    if variable == PATIENTS:
        return f"{name}, n"
    if variable in SKEWED:
        return f"{name}, median [Q1, Q3]"
    return f"{name}, mean (SD)"


def level_name(variable: str, level: str) -> str:
    """``Sex: female, n (%)``: a categorical level's row label."""
    if variable == NI_TYPE:
        label = procedure_descriptions().get(level, level)
    else:  # a code list's level (baseline.variables)
        code = code_list(variable).get(level)
        label = code.label if code else level
    return f"{NAMES.get(variable, variable)}: {label}, n (%)"


def rows(table: pd.DataFrame, groups: list[str]) -> list[tuple[str, list[str], object, object]]:
    """One row per variable or level: its label, the summary of each of ``groups``, and the
    p-value and test (from the first study group's row)."""
    compared = next((g for g in GROUP_ORDER if g in groups), None)
    ordered = table.sort_values("display_order", kind="stable")
    cells: dict[tuple[str, object], dict] = {}
    for row in ordered.itertuples(index=False):
        level = None if pd.isna(row.level) else row.level
        cells.setdefault((row.variable, level), {})[row.group_code] = row
    shown = []
    for (variable, level), by_group in cells.items():
        label = variable_name(variable) if level is None else level_name(variable, level)
        first = by_group.get(compared)
        shown.append((label, [str(by_group[g].summary) if g in by_group else "NA"
                              for g in groups],
                      None if first is None else first.p_value,
                      None if first is None else first.test))
    return shown
