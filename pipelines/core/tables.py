"""The published tables of analytics.duckdb and their columns, declared once (docs/tables.md): the
publish step creates them from here; the structure check, the report, the dictionary
and the exports read them."""

from __future__ import annotations

from pipelines.core import warehouse
from pipelines.core.contracts import mart_contract
from pipelines.core.reference import (
    parameter_order,
    seed_column_types,
    visit_orders,
)
from pipelines.core.warehouse import Columns

# The reference data an analyst reads the codes with, published from the seeds as they are:
# published table -> seed. Their columns and types are the seeds' (reference.seed_column_types).
REFERENCE_TABLES = {
    "ref_visits": "visits", "ref_parameters": "parameters",
    "ref_responder_criteria": "responder_criteria", "ref_score_categories": "score_categories",
    "ref_code_lists": "code_lists", "ref_questionnaire_codebook": "questionnaire_codebook",
    "ref_mme_factors": "mme_factors",
}


# The marts published as dbt builds them take their columns and types from the model's enforced
# contract (models/marts/<table>.yml), the declaration a dashboard relies on, less the columns a
# mart keeps for the pipeline's own use (the site's record number).
IDENTIFYING = frozenset({"mrn"})


def mart_columns(model: str) -> Columns:
    """The published columns of a mart: its contract's, less the identifying ones."""
    return {name: type_ for name, type_ in mart_contract(model).items()
            if name not in IDENTIFYING}


def wide_column(param_code: str, visit_code: str) -> str:
    """The column of outcomes_wide that holds a parameter's value at a visit."""
    return f"{param_code}_{visit_code}"


def wide_columns() -> dict[str, tuple[str, str]]:
    """outcomes_wide's value columns, parameter by parameter and visit by visit (the seeds'
    orders): column -> (param_code, visit_code)."""
    return {wide_column(param, visit): (param, visit)
            for param in parameter_order() for visit in visit_orders()}

# The published tables and their columns, in order (docs/tables.md).
PUBLISHED_COLUMNS: dict[str, Columns] = {
    "patients": mart_columns("patients"),
    "outcomes": mart_columns("outcomes"),
    "questionnaire_items": mart_columns("questionnaire_items"),
    "group_summary": {
        "group_code": "VARCHAR", "visit_code": "VARCHAR", "visit_order": "INTEGER",
        "param_code": "VARCHAR", "n": "INTEGER", "mean": "DOUBLE", "sd": "DOUBLE",
        "median": "DOUBLE", "q1": "DOUBLE", "q3": "DOUBLE", "min": "DOUBLE",
        "max": "DOUBLE", "mean_sd": "VARCHAR",
    },
    "change_summary": {
        "group_code": "VARCHAR", "visit_code": "VARCHAR", "visit_order": "INTEGER",
        "param_code": "VARCHAR", "reference": "VARCHAR", "n_pairs": "INTEGER",
        "mean_change": "DOUBLE", "sd_change": "DOUBLE", "ci95_low": "DOUBLE",
        "ci95_high": "DOUBLE", "p_wilcoxon": "DOUBLE", "p_ttest": "DOUBLE",
    },
    "responder_summary": {
        "group_code": "VARCHAR", "visit_code": "VARCHAR", "visit_order": "INTEGER",
        "criterion": "VARCHAR", "n_evaluable": "INTEGER", "n_responders": "INTEGER",
        "pct_responders": "DOUBLE",
    },
    "responders": {
        "patient_key": "VARCHAR", "site": "VARCHAR", "group_code": "VARCHAR",
        "in_analysis": "BOOLEAN", "visit_code": "VARCHAR", "visit_order": "INTEGER",
        "criterion": "VARCHAR", "evaluable": "BOOLEAN", "responder": "BOOLEAN",
    },
    "study_flow": mart_columns("study_flow"),
    "baseline_characteristics": {
        "group_code": "VARCHAR", "variable": "VARCHAR", "level": "VARCHAR", "n": "INTEGER",
        "n_missing": "INTEGER", "mean": "DOUBLE", "sd": "DOUBLE", "median": "DOUBLE",
        "q1": "DOUBLE", "q3": "DOUBLE", "count": "INTEGER", "pct": "DOUBLE",
        "summary": "VARCHAR", "test": "VARCHAR", "p_value": "DOUBLE",
        "display_order": "INTEGER",
    },
    "outcomes_wide": {
        "patient_key": "VARCHAR", "site": "VARCHAR", "group_code": "VARCHAR",
        "in_analysis": "BOOLEAN", **dict.fromkeys(wide_columns(), "DOUBLE"),
    },
    "load_audit": warehouse.LOAD_FILE_COLUMNS,
    "data_quality": {
        "load_id": "INTEGER", "source": "VARCHAR", "site": "VARCHAR", "rule": "VARCHAR",
        "severity": "VARCHAR", "n": "INTEGER",
    },
}

PUBLISHED_COLUMNS.update({table: seed_column_types(seed)
                          for table, seed in REFERENCE_TABLES.items()})

# CREATE TABLE column lists, made from the declaration above.
TABLE_DDL: dict[str, str] = {table: warehouse.column_ddl(columns)
                             for table, columns in PUBLISHED_COLUMNS.items()}


def columns_of(table: str) -> list[str]:
    """The published columns of ``table``, in order."""
    return list(PUBLISHED_COLUMNS[table])
