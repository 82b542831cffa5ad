"""The procedures export: one row per procedure, checked by its pandera schema."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from pipelines.core.reference import procedure_codes
from schemas import fields
from schemas.columns import SchemaContext, optional, required, required_date, rule_check
from schemas.source import LINEAGE_COLUMNS, SourceSpec, lineage

REQUIRED = ("mrn", "procedure_date", "procedure")


def procedure_code(text: pl.Expr, ctx: SchemaContext) -> pl.Expr:
    return fields.code(text, ctx.site.procedures, procedure_codes())


def schema(ctx: SchemaContext) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "mrn": required(),
            "procedure_date": required_date(ctx),
            "procedure": required(rule_check(
                "unknown_procedure", lambda t: procedure_code(t, ctx),
                "not a procedure code nor a label the site maps")),
            "notes": optional(),
        },
        name="procedures",
    )


def typed(rows: pl.DataFrame, ctx: SchemaContext, site: str, file_name: str) -> pl.DataFrame:
    return rows.select(
        *lineage(site, file_name),
        fields.date_value("procedure_date", ctx.site.date_format).alias("procedure_date"),
        procedure_code(pl.col("procedure"), ctx).alias("procedure_code"),
        "notes",
    )


SPEC = SourceSpec(
    name="procedures",
    required=REQUIRED,
    columns=(*REQUIRED, "notes"),
    date_columns=("procedure_date",),
    schema=schema,
    typed=typed,
    ingest_columns=f"{LINEAGE_COLUMNS}, procedure_date DATE, procedure_code VARCHAR, "
                   "notes VARCHAR",
)
