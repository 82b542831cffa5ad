"""What the pipeline knows of one clinic export, declared once per source
(docs/inputs.md#7-configuration): its columns, the checks of its rows and how accepted rows are
typed and stored."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandera.polars as pa
import polars as pl

from schemas.columns import RowRule, SchemaContext

ROW_NUMBER = "row_number"  # the row's line in its file, kept with every row and issue

# The lineage every accepted row keeps in the ingest schema, before its own columns.
LINEAGE_COLUMNS = "site VARCHAR, file_name VARCHAR, row_number INTEGER, mrn VARCHAR"


def lineage(site: str, file_name: str) -> list[pl.Expr]:
    """The lineage columns of an accepted row (LINEAGE_COLUMNS)."""
    return [pl.lit(site).alias("site"), pl.lit(file_name).alias("file_name"),
            pl.col(ROW_NUMBER), pl.col("mrn")]


def _no_rules(ctx: SchemaContext) -> list[RowRule]:
    return []


def _no_columns(ctx: SchemaContext) -> list[pl.Expr]:
    return []


@dataclass(frozen=True)
class SourceSpec:
    """One source: its export's columns and checks, and its table in the ingest schema."""

    name: str
    required: tuple[str, ...]  # a file without them is rejected (missing_columns)
    columns: tuple[str, ...]  # every known column, required ones first
    date_columns: tuple[str, ...]  # an XLSX date cell in these is read as a date
    schema: Callable[[SchemaContext], pa.DataFrameSchema]  # the checks of each row
    typed: Callable[..., pl.DataFrame]  # (accepted rows, ctx, site, file name) -> typed rows
    ingest_columns: str  # the DDL of ingest.<name>: LINEAGE_COLUMNS and the typed columns
    # rows with the same key and different content conflict (duplicate_conflict)
    conflict_key: tuple[str, ...] = ()
    # checks across fields, reported on one of them (docs/rules.md#1-data-issues)
    row_rules: Callable[[SchemaContext], list[RowRule]] = field(default=_no_rules)
    # columns computed from a valid row before the duplicate checks (e.g. the visit code)
    key_columns: Callable[[SchemaContext], list[pl.Expr]] = field(default=_no_columns)

    @property
    def ingest_table(self) -> str:
        return f"ingest.{self.name}"
