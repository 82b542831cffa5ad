"""The data dictionary of the published tables: every table and column of analytics.duckdb with
its type, description, unit and allowed values.

One source each: the dbt YAML of the marts (dbt_project/models/marts/<table>.yml) describes the
tables dbt builds; the declarations below describe those the publish step computes. Types come
from the published columns (tables.PUBLISHED_COLUMNS); code lists from the seeds (reference.py). The
dictionary is written into analytics.duckdb as COMMENT ON (so `duckdb_columns()` and BI tools
show it) and as published/data_dictionary.csv.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from pipelines.core.contracts import MARTS_DIR
from pipelines.core.issues import RULE_SEVERITY, SEVERITIES
from pipelines.core.reference import (
    code_list,
    parameter_order,
    parameters,
    responder_criteria,
    score_categories,
    visit_names,
    visit_orders,
)
from pipelines.core.tables import PUBLISHED_COLUMNS, wide_columns
from pipelines.core.warehouse import FILE_STATUSES
from pipelines.publish.baseline import SKEWED, variable_names
from pipelines.publish.summaries import ALL_GROUPS, REFERENCES


@dataclass(frozen=True)
class Entry:
    """One row of the dictionary: a table (column empty) or one of its columns."""

    table: str
    column: str
    type: str
    description: str
    unit: str = ""
    allowed_values: str = ""


def _codes(values) -> str:
    return ", ".join(values)


@cache
def allowed_values() -> dict[str, str]:
    """Column name -> the codes it may hold (the same name means the same codes)."""
    return {
        "group_code": _codes((*code_list("group_code"), ALL_GROUPS))
        + " (ALL in the summaries only)",
        "visit_code": _codes(visit_orders()),
        "visit_order": _codes(str(order) for order in visit_orders().values()),
        "param_code": _codes(parameter_order()),
        "category": _codes(score_categories()),
        "criterion": _codes(c.criterion for c in responder_criteria()),
        "reference": _codes(REFERENCES),
        "sex": _codes(code_list("sex")),
        "mastectomy_side": _codes(code_list("mastectomy_side")),
        "exclusion_reason": _codes(code_list("exclusion_reason")),
        "status": _codes(FILE_STATUSES),
        "severity": _codes(SEVERITIES),
        "rule": _codes(RULE_SEVERITY),
        "in_analysis": "true, false",
        "is_prorated": "true, false",
        "is_baseline": "true, false",
        "phq9_item9_positive": "true, false",
    }


UNITS: dict[str | tuple[str, str], str] = {  # by column, or by (table, column)
    "value": "points of the instrument; MME: mg/day oral morphine equivalents",
    "baseline_value": "as value", "pre_usgdn_value": "as value", "change": "as value",
    "change_from_pre_usgdn": "as value", "mean": "as value", "sd": "as value",
    "median": "as value", "q1": "as value", "q3": "as value", "min": "as value",
    "max": "as value", "mean_change": "as value", "sd_change": "as value",
    "ci95_low": "as value", "ci95_high": "as value", "pct_change": "%",
    "pct_responders": "%", "age_at_index": "years", "months_since_mastectomy": "months",
    "study_day": "days", "usgdn_sessions": "sessions", "n": "patients",
    "n_pairs": "patients", "n_evaluable": "patients", "n_responders": "patients",
    "rows_read": "rows", "rows_loaded": "rows", "rows_rejected": "rows",
    ("data_quality", "n"): "issues", ("study_flow", "n"): "rows or patients (see stage)",
    **{("baseline_characteristics", column): "as the variable"
       for column in ("mean", "sd", "median", "q1", "q3")},
    ("baseline_characteristics", "pct"): "% of n",
    ("baseline_characteristics", "count"): "patients",
}


def wide_descriptions() -> dict[str, str]:
    """outcomes_wide's value columns, each named for its parameter and visit."""
    return {column: f"{parameters()[param].label}: {visit_names()[visit]}"
            for column, (param, visit) in wide_columns().items()}


REFERENCE_DESCRIPTIONS: dict[str, tuple[str, dict[str, str]]] = {
    "ref_visits": ("The study's visits, in their order.", {
        "visit_code": "The code the other tables use.",
        "visit_order": "The visit's place in the schedule (0 = baseline).",
        "visit_name": "The visit's name in tables and plots.",
        "description": "When the visit takes place."}),
    "ref_parameters": ("The five outcome parameters.", {
        "param_code": "The code the other tables use.", "instrument": "The instrument.",
        "short_name": "The name tables and plots give it.",
        "unit": "The unit of a parameter that is not a score (MME/day); empty for scores.",
        "score_min": "The lowest possible score.",
        "score_max": "The highest possible score; empty when unbounded.",
        "display_order": "The order tables list the parameters in."}),
    "ref_responder_criteria": (
        "The responder criteria of responders and responder_summary: a criterion compares "
        "the outcome column named by measure with threshold, or (measure = category) the "
        "outcome's category with category.", {
            "criterion": "The code the other tables use.",
            "param_code": "The parameter it reads.",
            "measure": "The outcomes column compared: value, change, pct_change or category.",
            "threshold": "A responder has measure <= threshold (value: = threshold).",
            "category": "A responder's category, for measure = category.",
            "description": "The criterion in words."}),
    "ref_score_categories": (
        "The bands of the painDETECT and PHQ-9 scores (outcomes.category).", {
            "param_code": "The parameter.", "category": "The band's code.",
            "min_score": "The lowest score in the band.",
            "max_score": "The highest score in the band.",
            "description": "The band in words."}),
    "ref_code_lists": (
        "The codes of the patients table (groups, exclusion reasons, sex, mastectomy side) "
        "with their labels.", {
            "list_name": "The column the codes belong to.",
            "code": "The code as the column holds it.",
            "label": "The code's label in the report and the exports.",
            "short_label": "Its label in dense tables.",
            "display_order": "The order tables list the codes in."}),
    "ref_questionnaire_codebook": (
        "Every questionnaire item of questionnaire_items with its valid answers.", {
            "item": "The item (questionnaire_items.item).",
            "param_code": "The parameter it is part of.",
            "min_value": "The lowest valid answer.", "max_value": "The highest valid answer.",
            "kind": "item (an answer) or clinic_total (the clinic's own total).",
            "item_order": "The items' order."}),
    "ref_mme_factors": (
        "The CDC 2022 oral morphine milligram equivalent (MME) factors the MME parameter is "
        "computed with.", {
            "drug": "The opioid, as prescriptions name it.",
            "unit": "The unit of the dose it applies to.",
            "route": "The route it applies to.",
            "factor": "MME per unit of the drug."}),
}

# The tables the publish step computes (the marts describe themselves in dbt's YAML).
COMPUTED_TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "group_summary": (
        "Mean (SD) and the distribution of each parameter per group and visit, over the "
        "patients in the analysis (the study's table); a row per group, visit and parameter "
        "with n >= 1.", {
            "group_code": "NI_USGDN (Group 1), USGDN_ONLY (Group 2), or ALL (both).",
            "visit_code": "The visit of the assessments.", "visit_order": "The visit's order.",
            "param_code": "The parameter.", "n": "Patients with a value.",
            "mean": "Mean of the values.", "sd": "Sample standard deviation (n - 1); null "
            "when n < 2.", "median": "Median of the values.", "q1": "First quartile (linear "
            "interpolation).", "q3": "Third quartile (linear interpolation).",
            "min": "Smallest value.", "max": "Largest value.",
            "mean_sd": "Mean (SD) as the paper prints it, each rounded half away from zero to "
            "one decimal, e.g. 9.6 (0.9); NA for a missing SD."}),
    "change_summary": (
        "Mean change from a reference per group, post-baseline visit and parameter, with its "
        "95% confidence interval and two p-values; a row per group, visit, parameter and "
        "reference with n_pairs >= 1.", {
            "group_code": "NI_USGDN, USGDN_ONLY or ALL.",
            "visit_code": "The visit of the assessments.",
            "visit_order": "The visit's order (>= 1).", "param_code": "The parameter.",
            "reference": "BASELINE (change) or PRE_USGDN (change_from_pre_usgdn, from "
            "POST_USGDN on).", "n_pairs": "Patients with both values.",
            "mean_change": "Mean change.", "sd_change": "Sample SD of the changes.",
            "ci95_low": "mean - t(0.975, n - 1) x sd / sqrt(n); null when n < 2.",
            "ci95_high": "mean + t(0.975, n - 1) x sd / sqrt(n); null when n < 2.",
            "p_wilcoxon": "Wilcoxon signed-rank test (SciPy defaults), two-sided, on the "
            "changes rounded to 9 decimals; null when n < 2 or all equal.",
            "p_ttest": "One-sample t-test against 0 on the same changes."}),
    "responder_summary": (
        "Responders per group, post-baseline visit and criterion among the evaluable "
        "patients (those with every value the criterion uses).", {
            "group_code": "NI_USGDN, USGDN_ONLY or ALL.",
            "visit_code": "The visit of the assessments.",
            "visit_order": "The visit's order (>= 1).",
            "criterion": "The responder criterion; its definition is in "
            "ref_responder_criteria.",
            "n_evaluable": "Patients with the values the criterion uses.",
            "n_responders": "Evaluable patients who meet it.",
            "pct_responders": "100 x n_responders / n_evaluable."}),
    "responders": (
        "Each patient's responder flags: a row per patient, post-baseline visit and criterion, "
        "for every patient with an assessment at the visit (in the analysis or not); "
        "responder_summary counts the evaluable rows of the patients in the analysis.", {
            "patient_key": "The patient's pseudonym.",
            "site": "The site (clinic) of the patient.",
            "group_code": "NI_USGDN or USGDN_ONLY; null outside the analysis.",
            "in_analysis": "Whether the patient is in the analysis population.",
            "visit_code": "The post-baseline visit.",
            "visit_order": "The visit's order (>= 1).",
            "criterion": "The responder criterion; its definition is in "
            "ref_responder_criteria.",
            "evaluable": "Whether the patient has every value the criterion uses at the "
            "visit (the value, or its change or percent change from baseline).",
            "responder": "Whether the evaluable patient meets the criterion; null when not "
            "evaluable."}),
    "baseline_characteristics": (
        "Table 1: the characteristics at baseline of the patients in the analysis, by group "
        "(NI_USGDN, USGDN_ONLY and ALL): a row per group, variable and level, as a clinical "
        "paper's first table lists them.", {
            "group_code": "NI_USGDN (Group 1), USGDN_ONLY (Group 2), or ALL (both).",
            "variable": f"The characteristic: {', '.join(variable_names())}. "
            "baseline:<param_code> is the patient's baseline value of the parameter; patients "
            "gives the group sizes.",
            "level": "The level of a categorical variable (for ni_type an NI code: the "
            "patients who had it); empty for a continuous one.",
            "n": "Patients with a value (patients: the group's size).",
            "n_missing": "Patients of the group without a value.",
            "mean": "Mean (continuous).", "sd": "Sample standard deviation (n - 1).",
            "median": "Median (continuous).",
            "q1": "First quartile (linear interpolation).",
            "q3": "Third quartile (linear interpolation).",
            "count": "Patients at the level (categorical).",
            "pct": "100 x count / n (categorical).",
            "summary": "The cell as printed: mean (SD), median [Q1, Q3] for "
            f"{', '.join(sorted(SKEWED))}, or count (pct %); one decimal, rounded half away "
            "from zero.",
            "test": "The test of the difference between the two groups: Welch's t-test, "
            "Mann-Whitney U, Chi-squared (Yates-corrected for 2 x 2), or Fisher's exact "
            "(a 2 x 2 table with an expected count or a group under 5).",
            "p_value": "Its two-sided p-value (a continuous variable's on its values rounded "
            "to 9 decimals); empty on the ALL rows and where the test is not defined.",
            "display_order": "The row's place in Table 1."}),
    "outcomes_wide": (
        "The outcomes one row per patient, a column per parameter and visit "
        "(<param_code>_<visit_code>, in the parameters' and visits' orders) holding the "
        "value; every patient of the patients table.", {
            "patient_key": "The patient's pseudonym.",
            "site": "The site (clinic) of the patient.",
            "group_code": "NI_USGDN or USGDN_ONLY; empty outside the analysis.",
            "in_analysis": "Whether the patient is in the analysis population.",
            **wide_descriptions()}),
    "load_audit": (
        "Every file each load saw, with its status and its rows; every load kept.", {
            "load_id": "The load, 1 for the first, rising by one.",
            "file_name": "The file's name in the landing folder (bad bytes escaped).",
            "source": "patients, procedures, questionnaires or medications; null for a "
            "badly named file.", "site": "The site; null for a badly named file.",
            "export_date": "The export date in the file name.",
            "sha256": "SHA-256 of the file's bytes; null for a symbolic link.",
            "status": "What the load did with the file.",
            "rows_read": "Data rows (0 for superseded, duplicate and unreadable files).",
            "rows_loaded": "Rows the load used.", "rows_rejected": "Rows the load set aside.",
            "message": "Why a file was rejected, superseded or a duplicate.",
            "loaded_at": "When the load started."}),
    "data_quality": (
        "Counts of the data issues of each load per source, site, rule and severity; every "
        "load kept (the detail stays in warehouse.duckdb's data_issues).", {
            "load_id": "The load whose issues are counted.",
            "source": "The source; null for a badly named file.",
            "site": "The site; null for a badly named file.",
            "rule": "The data-issue rule (docs/rules.md#1-data-issues).",
            "severity": "What the rule does: a file, a row or a value set aside, or a "
            "warning.", "n": "Issues counted."}),
}


@cache
def mart_descriptions() -> dict[str, tuple[str, dict[str, str]]]:
    """The dbt YAML of the marts: table -> (description, column -> description)."""
    models = [model for path in sorted(MARTS_DIR.glob("*.yml"))
              for model in yaml.safe_load(path.read_text(encoding="utf-8"))["models"]]
    return {model["name"]: (" ".join(str(model.get("description", "")).split()), {
        column["name"]: " ".join(str(column.get("description", "")).split())
        for column in model.get("columns", [])}) for model in models}


def entries() -> list[Entry]:
    """The dictionary of every published table, in the order of tables.PUBLISHED_COLUMNS."""
    described = {**mart_descriptions(), **COMPUTED_TABLES, **REFERENCE_DESCRIPTIONS}
    rows = []
    for table, types in PUBLISHED_COLUMNS.items():
        description, columns = described[table]
        rows.append(Entry(table, "", "TABLE", description))
        for column in types:
            unit = UNITS.get((table, column), UNITS.get(column, ""))
            rows.append(Entry(table, column, types[column], columns.get(column, ""), unit,
                              allowed_values().get(column, "")))
    return rows


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def comment_statements(database: str) -> list[str]:
    """COMMENT ON statements for the tables of the attached ``database``."""
    statements = []
    for entry in entries():
        text = entry.description
        if entry.unit:
            text += f" Unit: {entry.unit}."
        if entry.allowed_values:
            text += f" Values: {entry.allowed_values}."
        if entry.column:
            statements.append(f'COMMENT ON COLUMN {database}.main.{entry.table}."{entry.column}"'
                              f" IS {_quoted(text)}")
        else:
            statements.append(f"COMMENT ON TABLE {database}.main.{entry.table} IS "
                              f"{_quoted(text)}")
    return statements


def write_csv(path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["table", "column", "type", "description", "unit", "allowed_values"])
        for entry in entries():
            writer.writerow([entry.table, entry.column, entry.type, entry.description,
                             entry.unit, entry.allowed_values])
