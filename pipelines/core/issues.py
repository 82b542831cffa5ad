"""Data issues: every problem a load finds, with its rule and severity
(docs/rules.md#1-data-issues)."""

from __future__ import annotations

from dataclasses import astuple, dataclass

import polars as pl

from pipelines.core.reference import data_issue_rules
from pipelines.core.warehouse import LOAD_ISSUE_COLUMNS, polars_schema

REJECTED_FILE, REJECTED_ROW, REJECTED_VALUE, WARNING = (
    "rejected_file", "rejected_row", "rejected_value", "warning")
SEVERITIES = (REJECTED_FILE, REJECTED_ROW, REJECTED_VALUE, WARNING)  # the order reports use

# Each rule's severity and meaning are the data_issue_rules seed's, which the dbt models read too.
RULE_SEVERITY: dict[str, str] = {rule.rule: rule.severity for rule in data_issue_rules()}
RULE_MEANING: dict[str, str] = {rule.rule: rule.meaning for rule in data_issue_rules()}

# One data issue as the checks produce it: the load's issue columns but severity, which the
# rule gives (with_severity); the load adds load_id.
ISSUE_SCHEMA = polars_schema({name: type_ for name, type_ in LOAD_ISSUE_COLUMNS.items()
                              if name != "severity"})


@dataclass(frozen=True)
class Issue:
    """One data issue: the file, row and column it is about, the raw value and the rule."""

    file_name: str
    source: str | None
    site: str | None
    row_number: int | None
    column: str | None
    value: str | None
    rule: str
    message: str

    @property
    def severity(self) -> str:
        return RULE_SEVERITY[self.rule]


def issues_frame(issues: list[Issue]) -> pl.DataFrame:
    """File-level issues (a handful per load) as a frame of ISSUE_SCHEMA."""
    return pl.DataFrame([astuple(issue) for issue in issues], schema=ISSUE_SCHEMA, orient="row")


def with_severity(issues: pl.DataFrame) -> pl.DataFrame:
    """Issues with the severity their rule has."""
    return issues.with_columns(
        pl.col("rule").replace_strict(RULE_SEVERITY, return_dtype=pl.String).alias("severity"))
