"""Row checks of one export, in the three steps of docs/rules.md#3-row-checks, on polars frames.

1. each row on its own: the pandera schema of the source (schemas/), lazily, so every failure
   is found at once; each failure case becomes an issue named by its check;
2. duplicates, as set operations: identical rows are one row, conflicting rows all rejected;
3. ``unknown_patient``: a row whose patient has no accepted row in the patients snapshot.
Value-level issues are reported on the rows that survive; their values become missing.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import pandera.polars as pa
import polars as pl

from pipelines.core.issues import ISSUE_SCHEMA, REJECTED_ROW, REJECTED_VALUE, with_severity
from pipelines.ingest.landing import LandingFile
from pipelines.ingest.readers import ExportTable
from schemas import SOURCE_SPECS
from schemas.columns import NOT_NULLABLE, RowRule, SchemaContext
from schemas.fields import date_cell_column
from schemas.source import ROW_NUMBER

NO_CONVERSION_FACTOR = "no_conversion_factor"


@dataclass
class CheckedExport:
    """The outcome of checking one export: usable rows, issues and the file's accounting."""

    rows: pl.DataFrame  # accepted rows: row_number and every known column as text
    issues: pl.DataFrame  # ISSUE_SCHEMA
    rows_read: int = 0
    rows_rejected: int = 0
    unconvertible: pl.DataFrame | None = None  # medications rejected for no MME factor

    @property
    def rows_loaded(self) -> int:
        return self.rows_read - self.rows_rejected


def text_frame(table: ExportTable, source: str, missing_values: frozenset[str]) -> pl.DataFrame:
    """Every known column as text (absent optional ones all missing), by row number; a
    missing-value token is missing. Each date column comes with its date cells (XLSX), all
    missing in a CSV."""
    spec = SOURCE_SPECS[source]
    tokens = sorted(missing_values)
    present = set(table.rows.columns)
    date_cells = [date_cell_column(c) for c in spec.date_columns]
    return table.rows.select(
        ROW_NUMBER,
        *[pl.when(pl.col(c).str.to_lowercase().is_in(tokens)).then(None).otherwise(pl.col(c))
          .alias(c) if c in present else pl.lit(None, pl.String).alias(c) for c in spec.columns],
        *[pl.col(c) if c in present else pl.lit(None, pl.Date).alias(c) for c in date_cells])


def malformed_issues(table: ExportTable, file: LandingFile) -> pl.DataFrame:
    """Records that do not fit the header (docs/inputs.md#5-malformed-text)."""
    return issue_frame(table.malformed.select(
        ROW_NUMBER, pl.lit(None, pl.String).alias("column"),
        pl.lit(None, pl.String).alias("value"), pl.lit("malformed_row").alias("rule"),
        "message"), file)


def python_repr(value: pl.Expr) -> pl.Expr:
    """A text quoted as Python's repr() quotes it, for the issue messages."""
    escaped = value.str.replace_all("\\", "\\\\", literal=True)
    double = value.str.contains("'", literal=True) & ~value.str.contains('"', literal=True)
    return (pl.when(double).then(pl.format('"{}"', escaped))
            .otherwise(pl.format("'{}'", escaped.str.replace_all("'", "\\'", literal=True))))


def issue_frame(frame: pl.DataFrame, file: LandingFile) -> pl.DataFrame:
    """Issues with the file's lineage, in the columns of ISSUE_SCHEMA."""
    return frame.select(
        pl.lit(file.file_name).alias("file_name"), pl.lit(file.source).alias("source"),
        pl.lit(file.site).alias("site"), *[pl.col(c) for c in ("row_number", "column", "value",
                                                                 "rule", "message")],
    ).cast(ISSUE_SCHEMA)


def empty_issues() -> pl.DataFrame:
    return pl.DataFrame(schema=ISSUE_SCHEMA)


def schema_issues(frame: pl.DataFrame, schema: pa.DataFrameSchema, rules: list[RowRule],
                  file: LandingFile) -> pl.DataFrame:
    """Validate lazily and turn every failure case into an issue named by its check."""
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    else:
        return empty_issues()
    rows = frame.with_row_index("index").with_columns(pl.col("index").cast(pl.Int32))
    column_checks = pl.DataFrame(
        [(name, number, check.name, check.error) for name, column in schema.columns.items()
         for number, check in enumerate(column.checks)],
        schema={"column": pl.String, "check_number": pl.Int32, "rule": pl.String,
                "error": pl.String}, orient="row")
    by_column = cases.filter(pl.col("schema_context") == "Column")
    missing = by_column.filter(pl.col("check") == NOT_NULLABLE).select(
        "index", "column", pl.lit(None, pl.String).alias("value"),
        pl.lit("missing_key").alias("rule"),
        pl.format("required column {} is empty", pl.col("column")).alias("message"))
    invalid = by_column.filter(pl.col("check") != NOT_NULLABLE).join(
        column_checks, on=["column", "check_number"], how="left").select(
        "index", "column", pl.col("failure_case").alias("value"), "rule",
        pl.format("{} {}: {}", pl.col("column"), python_repr(pl.col("failure_case")),
                  pl.col("error")).alias("message"))
    failing_rows = cases.filter(pl.col("schema_context") == "DataFrameSchema")
    across = [
        rows.join(failing_rows.filter(pl.col("check_number") == number).select("index"),
                  on="index", how="semi").select(
            "index", pl.lit(rule.column).alias("column"), pl.col(rule.column).alias("value"),
            pl.lit(rule.rule).alias("rule"), rule.message.alias("message"))
        for number, rule in enumerate(rules)]
    found = pl.concat([missing, invalid, *across], how="vertical_relaxed")
    found = found.join(rows.select("index", ROW_NUMBER), on="index", how="left")
    return issue_frame(found, file)


def duplicate_issues(passed: pl.DataFrame, source: str, content: list[str],
                     file: LandingFile) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Identical rows (extra copies dropped, warned) and conflicting rows (all rejected).

    A conflict is one key (a patient's visit, an mrn) with rows of more than one content:
    every row of it is rejected, an identical copy of a conflicting row included, which is
    then not also a duplicate_identical (docs/rules.md#4-duplicates). Returns the issues,
    the extra copies' row numbers and the conflicting row numbers.
    """
    same_content = pl.struct([pl.col(c).fill_null("") for c in content])
    marked = passed.with_columns(pl.col(ROW_NUMBER).min().over(same_content).alias("_first"))
    key = SOURCE_SPECS[source].conflict_key
    in_conflict = (pl.col("_first").n_unique().over(key) > 1) if key else pl.lit(False)
    marked = marked.with_columns(in_conflict.alias("_conflict"))
    copies = marked.filter(~pl.col("_conflict") & (pl.col(ROW_NUMBER) != pl.col("_first")))
    identical = copies.select(
        ROW_NUMBER, pl.lit(None, pl.String).alias("column"),
        pl.lit(None, pl.String).alias("value"), pl.lit("duplicate_identical").alias("rule"),
        pl.format("identical to row {}: counted once", pl.col("_first")).alias("message"))
    issues = [issue_frame(identical, file)]
    conflicts = pl.DataFrame(schema={ROW_NUMBER: pl.Int32})
    if key:
        groups = (marked.filter("_conflict").group_by(key)
                  .agg(pl.col(ROW_NUMBER).sort().alias("rows")))
        described = pl.concat_str([pl.format(f"{c} {{}}", pl.col(c)) for c in key],
                                  separator=", ")
        conflicting = groups.select(
            pl.col("rows").alias(ROW_NUMBER),
            pl.format("rows {} differ for {}",
                      pl.col("rows").cast(pl.List(pl.String)).list.join(", "),
                      described).alias("message")).explode(ROW_NUMBER)
        conflicts = conflicting.select(ROW_NUMBER)
        issues.append(issue_frame(conflicting.select(
            ROW_NUMBER, pl.lit(None, pl.String).alias("column"),
            pl.lit(None, pl.String).alias("value"), pl.lit("duplicate_conflict").alias("rule"),
            "message"), file))
    return pl.concat(issues), copies.select(ROW_NUMBER), conflicts


def unknown_patient_issues(passed: pl.DataFrame, accepted_mrns: Collection[str],
                           file: LandingFile) -> pl.DataFrame:
    known = pl.Series(list(accepted_mrns), dtype=pl.String).implode()
    unknown = passed.filter(~pl.col("mrn").is_in(known))
    return issue_frame(unknown.select(
        ROW_NUMBER, pl.lit("mrn").alias("column"), pl.col("mrn").alias("value"),
        pl.lit("unknown_patient").alias("rule"),
        pl.format("mrn {} has no accepted row in the current patients snapshot",
                  pl.col("mrn")).alias("message")), file)


def without_rows(frame: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    return frame.join(rows, on=ROW_NUMBER, how="anti")


def blank_bad_values(rows: pl.DataFrame, value_issues: pl.DataFrame) -> pl.DataFrame:
    """Values with a value-level issue count as missing."""
    replaced = []
    for column, faults in value_issues.group_by("column"):
        bad = faults[ROW_NUMBER].implode()
        replaced.append(pl.when(pl.col(ROW_NUMBER).is_in(bad)).then(None)
                        .otherwise(pl.col(column[0])).alias(column[0]))
    return rows.with_columns(replaced) if replaced else rows


@dataclass
class RowChecks:
    """Steps 1 and 2 of one export: all that depends on the file alone, so it can be reused
    while the file, its site's settings, the reference data and the code are unchanged."""

    candidates: pl.DataFrame  # rows that passed steps 1 and 2, bad values blanked
    issues: pl.DataFrame  # ISSUE_SCHEMA with severity: rejected rows', duplicates', values'
    rows_read: int
    rows_rejected: int  # by steps 1 and 2
    unconvertible: pl.DataFrame | None = None  # medications rejected for no MME factor


def check_rows(source: str, table: ExportTable, file: LandingFile,
               ctx: SchemaContext) -> RowChecks:
    """Steps 1 (each row on its own) and 2 (duplicates) of one current export."""
    spec = SOURCE_SPECS[source]
    frame = text_frame(table, source, ctx.site.missing_values)
    step1 = with_severity(pl.concat([malformed_issues(table, file),
                                     schema_issues(frame, spec.schema(ctx), spec.row_rules(ctx),
                                                   file)]))
    row_faults = step1.filter(pl.col("severity") == REJECTED_ROW)
    rejected = row_faults.select(ROW_NUMBER).unique()

    unconvertible = None
    if source == "medications":
        # Whatever its other faults: its dates alone decide where it makes MME missing.
        no_factor = row_faults.filter(pl.col("rule") == NO_CONVERSION_FACTOR).select(ROW_NUMBER)
        unconvertible = frame.join(no_factor, on=ROW_NUMBER, how="semi").sort(ROW_NUMBER)

    passed = without_rows(frame, rejected).with_columns(spec.key_columns(ctx))
    duplicates, copies, conflicts = duplicate_issues(passed, source, list(spec.columns), file)
    passed = without_rows(without_rows(passed, copies), conflicts)
    # a value-level issue is reported on a row that survives (step 3 may still reject it)
    value_faults = step1.filter(pl.col("severity") == REJECTED_VALUE).join(
        passed.select(ROW_NUMBER), on=ROW_NUMBER, how="semi")
    issues = with_severity(pl.concat([row_faults.drop("severity"), duplicates,
                                      value_faults.drop("severity")]))
    rows_rejected = pl.concat([rejected, conflicts]).n_unique()
    return RowChecks(blank_bad_values(passed, value_faults).sort(ROW_NUMBER), issues,
                     table.rows_read, rows_rejected, unconvertible)


def check_known_patients(checks: RowChecks, accepted_mrns: Collection[str] | None,
                         file: LandingFile) -> CheckedExport:
    """Step 3, ``unknown_patient``, on the rows that passed steps 1 and 2 (their ``mrn`` and
    ``row_number`` are all it reads); ``accepted_mrns`` is None for the patients export."""
    passed, issues = checks.candidates, checks.issues
    step3 = empty_issues()
    if accepted_mrns is not None:
        step3 = unknown_patient_issues(passed, accepted_mrns, file)
        unknown = step3.select(ROW_NUMBER)
        passed = without_rows(passed, unknown)
        issues = pl.concat([issues.filter(pl.col("severity") != REJECTED_VALUE),
                            issues.filter(pl.col("severity") == REJECTED_VALUE)
                            .join(unknown, on=ROW_NUMBER, how="anti"),
                            with_severity(step3)])
    issues = issues.sort(ROW_NUMBER, pl.col("column").fill_null(""), "rule",
                         maintain_order=True)
    return CheckedExport(passed, issues, checks.rows_read, checks.rows_rejected + step3.height,
                         checks.unconvertible)


def check_export(source: str, table: ExportTable, file: LandingFile, ctx: SchemaContext,
                 accepted_mrns: Collection[str] | None) -> CheckedExport:
    """Check one current export; ``accepted_mrns`` is None for the patients export itself."""
    return check_known_patients(check_rows(source, table, file, ctx), accepted_mrns, file)
