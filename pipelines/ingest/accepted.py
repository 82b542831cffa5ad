"""Typing the accepted rows of each export for the warehouse's ``ingest`` schema.

The rows have passed the checks, so every parser here succeeds on a present value; the same
expressions (schemas.fields and the schema modules) decided validity, so typing and checking
cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from pipelines.core.reference import questionnaire_codebook
from pipelines.ingest.readers import ROW_NUMBER
from schemas import fields
from schemas.checks import SchemaContext
from schemas.medications import drug_name, route
from schemas.procedures import procedure_code
from schemas.questionnaires import item_value, visit_code


def _lineage(site: str, file_name: str) -> list[pl.Expr]:
    return [pl.lit(site).alias("site"), pl.lit(file_name).alias("file_name"),
            pl.col(ROW_NUMBER), pl.col("mrn")]


def typed_patients(rows: pl.DataFrame, ctx: SchemaContext, site: str,
                   file_name: str) -> pl.DataFrame:
    date_format = ctx.site.date_format
    return rows.select(
        *_lineage(site, file_name), "first_name", "last_name",
        fields.date_value("date_of_birth", date_format).alias("date_of_birth"),
        fields.sex(pl.col("sex")).alias("sex"),
        fields.date_value("mastectomy_date", date_format).alias("mastectomy_date"),
        fields.mastectomy_side(pl.col("mastectomy_side")).alias("mastectomy_side"),
        fields.treatment_group(pl.col("treatment_group")).alias("treatment_group"),
    )


def typed_procedures(rows: pl.DataFrame, ctx: SchemaContext, site: str,
                     file_name: str) -> pl.DataFrame:
    return rows.select(
        *_lineage(site, file_name),
        fields.date_value("procedure_date", ctx.site.date_format).alias("procedure_date"),
        procedure_code(pl.col("procedure"), ctx).alias("procedure_code"),
        "notes",
    )


def typed_questionnaires(rows: pl.DataFrame, ctx: SchemaContext, site: str,
                         file_name: str) -> pl.DataFrame:
    items = []
    for item in questionnaire_codebook():
        value = item_value(pl.col(item.item), item)
        if item.whole_numbers_only:
            items.append(value.cast(pl.Int32).alias(item.item))
        else:
            items.append(value.alias(item.item))
            # the clinic's total as written, for a total_mismatch issue's raw value
            items.append(pl.when(value.is_not_null()).then(pl.col(item.item))
                         .alias(f"{item.item}_text"))
    return rows.select(
        *_lineage(site, file_name),
        visit_code(pl.col("event"), ctx).alias("visit_code"),
        fields.date_value("assessment_date", ctx.site.date_format).alias("assessment_date"),
        *items,
    )


def typed_medications(rows: pl.DataFrame, ctx: SchemaContext, site: str, file_name: str,
                      convertible: bool = True) -> pl.DataFrame:
    date_format = ctx.site.date_format
    drug = drug_name(pl.col("drug"), ctx)
    return rows.select(
        *_lineage(site, file_name),
        drug.alias("drug"),
        fields.number(pl.col("dose")).alias("dose"),
        fields.label(pl.col("unit")).alias("unit"),
        fields.number(pl.col("doses_per_day")).alias("doses_per_day"),
        fields.date_value("start_date", date_format).alias("start_date"),
        fields.date_value("end_date", date_format).alias("end_date"),
        route(pl.col("route"), drug).alias("route"),
        pl.lit(convertible).alias("is_convertible"),
    )


TYPERS: dict[str, Callable[..., pl.DataFrame]] = {
    "patients": typed_patients,
    "procedures": typed_procedures,
    "questionnaires": typed_questionnaires,
    "medications": typed_medications,
}
