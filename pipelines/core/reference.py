"""Reference data of the study, read from the dbt seeds so each code list is written once.

The seeds in ``dbt_project/seeds`` are the single source of truth for visit codes, procedure
codes, MME factors, the questionnaire codebook, score categories, responder criteria, the data
issue rules and the study-flow stages: dbt
loads them as tables, and the Python side (configuration checks, pandera schemas, the publish
step, the demo cohort) reads the same files through this module.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

SEEDS_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"

SOURCES = ("patients", "procedures", "questionnaires", "medications")


def seed_path(name: str) -> Path:
    return SEEDS_DIR / f"{name}.csv"


def seed_columns(name: str) -> list[str]:
    """A seed's columns, as its header names them."""
    with seed_path(name).open(newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))


# dbt's column types of the seeds (dbt_project.yml) as DuckDB names them.
DUCKDB_TYPES = {"string": "VARCHAR", "integer": "INTEGER", "double": "DOUBLE",
                "boolean": "BOOLEAN"}


@cache
def seed_column_types(name: str) -> dict[str, str]:
    """A seed's columns in its header's order, each with the DuckDB type of the column type
    dbt_project.yml gives it (text when it gives none)."""
    project = yaml.safe_load((SEEDS_DIR.parent / "dbt_project.yml").read_text(encoding="utf-8"))
    declared = project["seeds"]["pmps"].get(name, {}).get("+column_types", {})
    return {column: DUCKDB_TYPES[declared.get(column, "string")]
            for column in seed_columns(name)}


def _read_seed(name: str) -> list[dict[str, str]]:
    with seed_path(name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@dataclass(frozen=True)
class CodebookItem:
    """One questionnaire column and its valid values (docs/scoring.md#2-parameters)."""

    item: str
    param_code: str
    min_value: int
    max_value: int
    kind: str  # "item" (integer answers) or "clinic_total" (any number within the range)

    @property
    def whole_numbers_only(self) -> bool:
        return self.kind == "item"


@dataclass(frozen=True)
class MmeFactor:
    drug: str
    unit: str
    route: str
    factor: float


@cache
def visit_orders() -> dict[str, int]:
    """Visit code -> visit order."""
    return {row["visit_code"]: int(row["visit_order"]) for row in _read_seed("visits")}


@cache
def visit_codes() -> tuple[str, ...]:
    """The visit codes in visit order, BASELINE first."""
    orders = visit_orders()
    return tuple(sorted(orders, key=orders.__getitem__))


@cache
def visit_names() -> dict[str, str]:
    """Visit code -> the name tables and labels give it (Baseline, After NI, ...)."""
    return {row["visit_code"]: row["visit_name"] for row in _read_seed("visits")}


@cache
def procedure_codes() -> frozenset[str]:
    return frozenset(row["procedure_code"] for row in _read_seed("procedure_codes"))


@cache
def procedure_descriptions() -> dict[str, str]:
    """Procedure code -> its description (neuraxial block, ...)."""
    return {row["procedure_code"]: row["description"] for row in _read_seed("procedure_codes")}


@cache
def neural_intervention_codes() -> tuple[str, ...]:
    """The procedure codes of the neural interventions (NI), in the seed's order."""
    return tuple(row["procedure_code"] for row in _read_seed("procedure_codes")
                 if row["is_neural_intervention"].strip().lower() == "true")


@cache
def mme_factors() -> dict[str, MmeFactor]:
    """Drug name -> its CDC 2022 conversion factor, with the unit and route it applies to."""
    return {
        row["drug"]: MmeFactor(row["drug"], row["unit"], row["route"], float(row["factor"]))
        for row in _read_seed("mme_factors")
    }


@cache
def paindetect_pattern_scores() -> dict[int, int]:
    """painDETECT pain-course pattern option -> its score contribution."""
    return {int(row["pd_pattern"]): int(row["pattern_score"])
            for row in _read_seed("paindetect_pattern_scores")}


@cache
def questionnaire_codebook() -> tuple[CodebookItem, ...]:
    """Every questionnaire column with a valid set: the items and the clinics' own totals."""
    return tuple(
        CodebookItem(
            row["item"], row["param_code"], int(row["min_value"]), int(row["max_value"]),
            row["kind"],
        )
        for row in _read_seed("questionnaire_codebook")
    )


@cache
def score_categories() -> tuple[str, ...]:
    """The category codes of the banded scores (painDETECT, PHQ-9), in the seed's order."""
    return tuple(row["category"] for row in _read_seed("score_categories"))


@dataclass(frozen=True)
class Parameter:
    param_code: str
    instrument: str
    short_name: str  # as tables and plots name it (NRS pain)
    unit: str  # of a parameter that is not a score (MME/day); empty for the scores
    score_min: float | None
    score_max: float | None

    @property
    def label(self) -> str:
        """The short name with its scale: ``NRS pain 0–10``, ``Opioid use (MME/day)``."""
        if self.unit:
            return f"{self.short_name} ({self.unit})"
        low, high = (f"{bound:g}".replace("-", "\u2212") for bound in (self.score_min,
                                                                        self.score_max))
        return f"{self.short_name} {low}\u2013{high}"


@cache
def parameters() -> dict[str, Parameter]:
    """The outcome parameters in their display order (the parameters seed)."""
    rows = sorted(_read_seed("parameters"), key=lambda row: int(row["display_order"]))
    return {row["param_code"]: Parameter(
        row["param_code"], row["instrument"], row["short_name"], row["unit"],
        float(row["score_min"]) if row["score_min"] else None,
        float(row["score_max"]) if row["score_max"] else None) for row in rows}


def parameter_order() -> list[str]:
    """Parameter codes in their display order (the parameters seed)."""
    return list(parameters())


@dataclass(frozen=True)
class Code:
    code: str
    label: str
    short_label: str  # the label in dense tables; the label itself when the seed has none


@cache
def code_list(list_name: str) -> dict[str, Code]:
    """A small code list of the code_lists seed (group_code, exclusion_reason, sex,
    mastectomy_side): code -> its labels, in display order."""
    rows = sorted((row for row in _read_seed("code_lists") if row["list_name"] == list_name),
                  key=lambda row: int(row["display_order"]))
    if not rows:
        raise KeyError(f"no code list {list_name!r} in code_lists.csv")
    return {row["code"]: Code(row["code"], row["label"], row["short_label"] or row["label"])
            for row in rows}


@dataclass(frozen=True)
class ResponderCriterion:
    criterion: str
    param_code: str
    measure: str  # the outcomes column the criterion reads
    threshold: float | None  # none for a category criterion
    category: str | None  # the category a category criterion counts, none for the others
    description: str


@cache
def responder_criteria() -> tuple[ResponderCriterion, ...]:
    """The responder criteria, in the seed's order (docs/scoring.md#11-responders)."""
    return tuple(
        ResponderCriterion(row["criterion"], row["param_code"], row["measure"],
                           float(row["threshold"]) if row["threshold"] else None,
                           row["category"] or None, row["description"])
        for row in _read_seed("responder_criteria"))


@dataclass(frozen=True)
class DataIssueRule:
    """A data issue's rule: its severity and what it means, in one line
    (docs/rules.md#1-data-issues)."""

    rule: str
    severity: str
    meaning: str


@cache
def data_issue_rules() -> tuple[DataIssueRule, ...]:
    """Every data issue rule, in the seed's order (the order the dictionary lists them in)."""
    return tuple(DataIssueRule(row["rule"], row["severity"], row["meaning"])
                 for row in _read_seed("data_issue_rules"))


@dataclass(frozen=True)
class StudyFlowStage:
    """A stage of the study flow: its step, its label in the report and the kind of row the
    report draws for it (total, main or sub)."""

    step: int
    stage: str
    label: str
    row_kind: str


@cache
def study_flow_stages() -> dict[str, StudyFlowStage]:
    """Stage name -> the stage, in the flow's order."""
    return {row["stage"]: StudyFlowStage(int(row["step"]), row["stage"], row["label"],
                                         row["row_kind"])
            for row in _read_seed("study_flow_stages")}
