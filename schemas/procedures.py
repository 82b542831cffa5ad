"""pandera schema of the procedures export."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from pipelines.core.reference import procedure_codes
from schemas import fields
from schemas.checks import SchemaContext, optional, required, required_date, rule_check

REQUIRED = ("mrn", "procedure_date", "procedure")
COLUMNS = (*REQUIRED, "notes")
DATE_COLUMNS = ("procedure_date",)


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
