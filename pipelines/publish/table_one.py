"""The report's Table 1: baseline_characteristics laid out as a clinical paper prints it, a row
per variable or level and a column per group, then the test of the two groups."""

from __future__ import annotations

from dataclasses import dataclass

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
    """A categorical level's row label (``female``; an NI type's description)."""
    if variable == NI_TYPE:
        return procedure_descriptions().get(level, level)
    code = code_list(variable).get(level)  # a code list's level (baseline.variables)
    return code.label if code else level


@dataclass(frozen=True)
class Row:
    """A row of Table 1: a variable (``level`` None), a categorical variable's heading
    (``heading``) or one of its levels; the test is on the variable's row, or on each level's
    when each level is tested on its own (the NI types: had it or not)."""

    label: str
    summaries: list[str]
    p_value: object
    test: object
    is_level: bool = False


def rows(table: pd.DataFrame, groups: list[str]) -> list[Row]:
    """Table 1 as tableone lays it out: a row per continuous variable; a categorical
    variable's heading, ``n (%)``, then a row per level; the p-value and test from the first
    study group's row."""
    compared = next((g for g in GROUP_ORDER if g in groups), None)
    ordered = table.sort_values("display_order", kind="stable")
    cells: dict[tuple[str, object], dict] = {}
    for row in ordered.itertuples(index=False):
        level = None if pd.isna(row.level) else row.level
        cells.setdefault((row.variable, level), {})[row.group_code] = row
    shown: list[Row] = []
    headed: set[str] = set()
    for (variable, level), by_group in cells.items():
        first = by_group.get(compared)
        p_value, test = (None, None) if first is None else (first.p_value, first.test)
        summaries = [str(by_group[g].summary) if g in by_group else "NA" for g in groups]
        if level is None:
            shown.append(Row(variable_name(variable), summaries, p_value, test))
            continue
        tested_per_level = variable == NI_TYPE
        if variable not in headed:
            headed.add(variable)
            shown.append(Row(categorical_name(variable), ["" for _ in groups],
                             None if tested_per_level else p_value,
                             None if tested_per_level else test))
        shown.append(Row(level_name(variable, level), summaries,
                         p_value if tested_per_level else None,
                         test if tested_per_level else None, is_level=True))
    return shown


def categorical_name(variable: str) -> str:
    """``Sex, n (%)``: the heading row of a categorical variable."""
    return f"{NAMES.get(variable, variable)}, n (%)"
