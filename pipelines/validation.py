"""Row checks of one export, in the three steps of CONTRACT.md section 3.

1. each row on its own (pandera schemas, plus the cross-field rules of medications);
2. duplicates: identical rows are one row, conflicting rows are all rejected;
3. ``unknown_patient``: a row whose patient has no accepted row in the patients snapshot.
Value-level issues are reported on the rows that survive; their values become missing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd
import pandera.pandas as pa

from pipelines.config import normalise_label
from pipelines.issues import REJECTED_ROW, Issue
from pipelines.landing import LandingFile
from pipelines.readers import ExportTable
from schemas import SCHEMAS
from schemas.checks import NOT_NULLABLE, SchemaContext
from schemas.fields import parse_date
from schemas.medications import conversion_fault, to_drug
from schemas.questionnaires import to_visit_code

# Rows with the same key and different content conflict (patients: one mrn; questionnaires:
# one patient and visit). Procedures and medications have no conflicts.
CONFLICT_KEYS = {"patients": ("mrn",), "questionnaires": ("mrn", "visit_code")}


@dataclass
class CheckedExport:
    """The outcome of checking one export: usable rows, issues and the file's accounting."""

    rows: pd.DataFrame  # accepted rows, normalised text, indexed by row_number
    issues: list[Issue] = field(default_factory=list)
    rows_read: int = 0
    rows_rejected: int = 0
    unconvertible: pd.DataFrame | None = None  # medications rejected only for no MME factor

    @property
    def rows_loaded(self) -> int:
        return self.rows_read - self.rows_rejected


def text_frame(table: ExportTable, columns: tuple[str, ...],
               missing_values: frozenset[str]) -> pd.DataFrame:
    """The export's known columns as text, missing-value tokens as None, by row number."""
    present = [c for c in columns if c in table.columns]
    data = {
        column: [None if normalise_label(record[column]) in missing_values else record[column]
                 for _, record in table.records]
        for column in present
    }
    index = pd.Index([row_number for row_number, _ in table.records], name="row_number")
    return pd.DataFrame(data, index=index, dtype=object)


def schema_issues(frame: pd.DataFrame, schema: pa.DataFrameSchema,
                  file: LandingFile) -> list[Issue]:
    """Validate lazily and turn every failure case into an issue named by its rule."""
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    else:
        return []
    issues = []
    for case in cases.itertuples(index=False):
        if case.check == NOT_NULLABLE:
            rule, message = "missing_key", f"required column {case.column} is empty"
        else:
            check = schema.columns[case.column].checks[int(case.check_number)]
            rule, message = check.name, f"{case.column} {case.failure_case!r}: {check.error}"
        value = None if case.failure_case is None or pd.isna(case.failure_case) else str(
            case.failure_case)
        issues.append(Issue(file.file_name, file.source, file.site, int(case.index), case.column,
                            value, rule, message))
    return issues


def medication_row_issues(frame: pd.DataFrame, ctx: SchemaContext, file: LandingFile,
                          faulty: set[tuple[int, str]]) -> list[Issue]:
    """end_before_start and no_conversion_factor, checked only on fields without a fault."""
    issues = []
    for row_number, row in frame.to_dict("index").items():
        row = {column: None if pd.isna(value) else value for column, value in row.items()}
        start, end = row.get("start_date"), row.get("end_date")
        if (start is not None and end is not None and (row_number, "start_date") not in faulty
                and (row_number, "end_date") not in faulty):
            if parse_date(end, ctx.site.date_format) < parse_date(start, ctx.site.date_format):
                issues.append(Issue(file.file_name, file.source, file.site, row_number,
                                    "end_date", end, "end_before_start",
                                    f"end_date {end} is before start_date {start}"))
        if row.get("drug") is None or row.get("unit") is None:
            continue  # missing_key already; the conversion needs both
        drug = to_drug(row["drug"], ctx)
        fault = conversion_fault(drug, row["unit"], row.get("route"))
        if fault is not None:
            # reported on the drug column, whichever field stops the conversion; the message
            # names that field
            issues.append(Issue(
                file.file_name, file.source, file.site, row_number, "drug", row["drug"],
                "no_conversion_factor",
                f"{row['drug']} {row['unit']} {row.get('route') or '(default route)'}: "
                f"no MME conversion factor for this {fault}"))
    return issues


def duplicate_issues(frame: pd.DataFrame, source: str,
                     file: LandingFile) -> tuple[list[Issue], set[int], set[int]]:
    """Identical rows (extra copies dropped, warned) and conflicting rows (all rejected).

    Returns the issues, the extra copies' row numbers and the conflicting row numbers.
    """
    issues, copies, conflicts = [], set(), set()
    content = frame.drop(columns=["visit_code"], errors="ignore").fillna("")
    first_by_content: dict[tuple, int] = {}
    for row_number, values in zip(content.index, content.itertuples(index=False), strict=True):
        key = tuple(values)
        first = first_by_content.setdefault(key, row_number)
        if first != row_number:
            copies.add(row_number)
            issues.append(Issue(file.file_name, file.source, file.site, row_number, None, None,
                                "duplicate_identical", f"identical to row {first}: counted once"))
    key_columns = CONFLICT_KEYS.get(source)
    if key_columns:
        distinct = frame.drop(index=sorted(copies))
        groups: dict[tuple, list[int]] = defaultdict(list)
        for row_number, key in zip(distinct.index, distinct[list(key_columns)].itertuples(
                index=False), strict=True):
            groups[tuple(key)].append(row_number)
        for key, row_numbers in groups.items():
            if len(row_numbers) > 1:
                for row_number in row_numbers:
                    conflicts.add(row_number)
                    issues.append(Issue(
                        file.file_name, file.source, file.site, row_number, None, None,
                        "duplicate_conflict",
                        f"rows {', '.join(map(str, row_numbers))} differ for "
                        + ", ".join(f"{c} {v}" for c, v in zip(key_columns, key, strict=True))))
    return issues, copies, conflicts


def check_export(source: str, table: ExportTable, file: LandingFile, ctx: SchemaContext,
                 accepted_mrns: set[str] | None) -> CheckedExport:
    """Check one current export; ``accepted_mrns`` is None for the patients export itself."""
    columns, schema_for = SCHEMAS[source]
    frame = text_frame(table, columns, ctx.site.missing_values)
    schema = schema_for(ctx)
    issues = schema_issues(frame, schema, file)
    faulty = {(i.row_number, i.column) for i in issues}
    if source == "medications":
        issues += medication_row_issues(frame, ctx, file, faulty)

    row_rules: dict[int, set[str]] = defaultdict(set)
    for issue in issues:
        if issue.severity == REJECTED_ROW:
            row_rules[issue.row_number].add(issue.rule)
    value_issues = [i for i in issues if i.severity != REJECTED_ROW]
    row_issues = [i for i in issues if i.severity == REJECTED_ROW]

    unconvertible = None
    if source == "medications":
        only_factor = [r for r, rules in row_rules.items() if rules == {"no_conversion_factor"}]
        unconvertible = frame.loc[sorted(only_factor)]

    passed = frame.drop(index=sorted(row_rules))
    if source == "questionnaires":
        passed = passed.assign(visit_code=[to_visit_code(e, ctx) for e in passed["event"]])
    dup_issues, copies, conflicts = duplicate_issues(passed, source, file)
    row_issues += [i for i in dup_issues if i.rule == "duplicate_conflict"]
    warnings = [i for i in dup_issues if i.rule == "duplicate_identical"]
    passed = passed.drop(index=sorted(copies | conflicts))

    if accepted_mrns is not None:
        unknown = passed.index[~passed["mrn"].isin(accepted_mrns)]
        row_issues += [Issue(file.file_name, file.source, file.site, int(r), "mrn",
                             passed.at[r, "mrn"], "unknown_patient",
                             f"mrn {passed.at[r, 'mrn']} has no accepted row in the current "
                             "patients snapshot") for r in unknown]
        passed = passed.drop(index=unknown)

    kept_values = []
    for issue in value_issues:
        if issue.row_number in passed.index:
            passed.at[issue.row_number, issue.column] = None
            kept_values.append(issue)

    rejected_rows = {i.row_number for i in row_issues}
    all_issues = sorted(row_issues + warnings + kept_values,
                        key=lambda i: (i.row_number, i.column or "", i.rule))
    return CheckedExport(passed, all_issues, table.rows_read, len(rejected_rows), unconvertible)
