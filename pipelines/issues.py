"""Data issues: every problem a load finds, with its rule and severity (CONTRACT.md section 3)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

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

    def as_record(self, load_id: int) -> dict:
        return {"load_id": load_id, **asdict(self), "severity": self.severity}
