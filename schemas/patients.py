"""The patients export: one row per patient, checked by its pandera schema."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from schemas import fields
from schemas.columns import (
    SchemaContext,
    optional,
    optional_date,
    required,
    required_date,
    rule_check,
)
from schemas.source import LINEAGE_COLUMNS, SourceSpec, lineage

REQUIRED = ("mrn", "date_of_birth")


def schema(ctx: SchemaContext) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "mrn": required(),
            "date_of_birth": required_date(ctx),
            "first_name": optional(),
            "last_name": optional(),
            "sex": optional(rule_check("bad_value", fields.sex,
                                       "sex is not f/female, m/male or o/other/x")),
            "mastectomy_date": optional_date(ctx),
            "mastectomy_side": optional(rule_check("bad_value", fields.mastectomy_side,
                                                   "not left, right or bilateral")),
            "treatment_group": optional(rule_check("bad_value", fields.treatment_group,
                                                   "treatment_group is not 1 or 2")),
        },
        name="patients",
    )


def typed(rows: pl.DataFrame, ctx: SchemaContext, site: str, file_name: str) -> pl.DataFrame:
    date_format = ctx.site.date_format
    return rows.select(
        *lineage(site, file_name), "first_name", "last_name",
        fields.date_value("date_of_birth", date_format).alias("date_of_birth"),
        fields.sex(pl.col("sex")).alias("sex"),
        fields.date_value("mastectomy_date", date_format).alias("mastectomy_date"),
        fields.mastectomy_side(pl.col("mastectomy_side")).alias("mastectomy_side"),
        fields.treatment_group(pl.col("treatment_group")).alias("treatment_group"),
    )


SPEC = SourceSpec(
    name="patients",
    required=REQUIRED,
    columns=(*REQUIRED, "first_name", "last_name", "sex", "mastectomy_date", "mastectomy_side",
             "treatment_group"),
    date_columns=("date_of_birth", "mastectomy_date"),
    schema=schema,
    typed=typed,
    ingest_columns=f"""{LINEAGE_COLUMNS}, first_name VARCHAR, last_name VARCHAR,
        date_of_birth DATE, sex VARCHAR, mastectomy_date DATE, mastectomy_side VARCHAR,
        treatment_group INTEGER""",
    conflict_key=("mrn",),
)
