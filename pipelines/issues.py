"""Data issues: every problem a load finds, with its rule and severity (CONTRACT.md section 3)."""

from __future__ import annotations

from dataclasses import astuple, dataclass

import polars as pl

REJECTED_FILE, REJECTED_ROW, REJECTED_VALUE, WARNING = (
    "rejected_file", "rejected_row", "rejected_value", "warning")

RULE_SEVERITY: dict[str, str] = {
    "bad_file_name": REJECTED_FILE,
    "unreadable_file": REJECTED_FILE,
    "missing_columns": REJECTED_FILE,
    "empty_snapshot": REJECTED_FILE,
    "conflicting_snapshot": REJECTED_FILE,
    "missing_key": REJECTED_ROW,
    "bad_date": REJECTED_ROW,
    "date_in_future": REJECTED_ROW,
    "malformed_row": REJECTED_ROW,
    "unknown_event": REJECTED_ROW,
    "unknown_procedure": REJECTED_ROW,
    "bad_dose": REJECTED_ROW,
    "end_before_start": REJECTED_ROW,
    "no_conversion_factor": REJECTED_ROW,
    "duplicate_conflict": REJECTED_ROW,
    "unknown_patient": REJECTED_ROW,
    "out_of_range": REJECTED_VALUE,
    "bad_value": REJECTED_VALUE,
    "duplicate_identical": WARNING,
    "total_mismatch": WARNING,
    "group_mismatch": WARNING,
    "unknown_column": WARNING,
}

ISSUE_COLUMNS = ("load_id", "file_name", "source", "site", "row_number", "column", "value",
                 "rule", "severity", "message")

# One data issue as the checks produce it (the load adds load_id, the rule gives severity).
ISSUE_SCHEMA = {"file_name": pl.String, "source": pl.String, "site": pl.String,
                "row_number": pl.Int32, "column": pl.String, "value": pl.String,
                "rule": pl.String, "message": pl.String}


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
