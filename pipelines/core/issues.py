"""Data issues: every problem a load finds, with its rule and severity
(docs/rules.md#1-data-issues)."""

from __future__ import annotations

from dataclasses import astuple, dataclass

import polars as pl

REJECTED_FILE, REJECTED_ROW, REJECTED_VALUE, WARNING = (
    "rejected_file", "rejected_row", "rejected_value", "warning")
SEVERITIES = (REJECTED_FILE, REJECTED_ROW, REJECTED_VALUE, WARNING)  # the order reports use

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

# What each rule means, in one line (docs/rules.md#1-data-issues), for the report and the
# dictionary.
RULE_MEANING: dict[str, str] = {
    "bad_file_name": "the file name is not <source>_<site>_<YYYYMMDD>.<csv|xlsx>",
    "unreadable_file": "not a readable CSV or XLSX (or a symbolic link, or over a size limit)",
    "missing_columns": "no row among the first 10 holds every required column",
    "empty_snapshot": "the file has no data rows",
    "conflicting_snapshot": "another file for the same source, site and export date differs",
    "missing_key": "a required column is empty",
    "bad_date": "a required date does not parse in the site's date format",
    "date_in_future": "a required date is after the export date",
    "malformed_row": "the record has fewer cells than the header, or text beyond it",
    "unknown_event": "the event is no visit code nor a label the site maps",
    "unknown_procedure": "the procedure is no procedure code nor a label the site maps",
    "bad_dose": "dose or doses_per_day is not a number above 0",
    "end_before_start": "the prescription ends before it starts",
    "no_conversion_factor": "no MME factor for the drug, unit and route (MME left missing)",
    "duplicate_conflict": "rows for one patient (and visit) differ: all of them set aside",
    "unknown_patient": "the patient has no accepted row in the current patients snapshot",
    "out_of_range": "a questionnaire answer or clinic total outside its valid set",
    "bad_value": "an optional field that does not parse (a date, sex, side, group)",
    "duplicate_identical": "an identical copy of another row, counted once",
    "total_mismatch": "the clinic's total differs from the computed score by more than 0.05",
    "group_mismatch": "treatment_group differs from the group the procedures give",
    "unknown_column": "a questionnaire column the contract does not know (kept in raw)",
}

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
