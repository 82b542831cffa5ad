"""The questionnaires export: one row per patient and visit, its keys, and every item and
clinic total checked against its valid set in the codebook
(dbt_project/seeds/questionnaire_codebook.csv)."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from pipelines.core.reference import CodebookItem, questionnaire_codebook, visit_orders
from schemas import fields
from schemas.columns import SchemaContext, optional, required, required_date, rule_check
from schemas.source import LINEAGE_COLUMNS, SourceSpec, lineage

REQUIRED = ("mrn", "event", "assessment_date")


def visit_code(text: pl.Expr, ctx: SchemaContext) -> pl.Expr:
    return fields.event(text, ctx.site.events, visit_orders())


def item_value(text: pl.Expr, item: CodebookItem) -> pl.Expr:
    return fields.in_range(text, item.min_value, item.max_value, item.whole_numbers_only)


def item_column(item: CodebookItem) -> pa.Column:
    kind = "an integer" if item.whole_numbers_only else "a number"
    return optional(rule_check(
        "out_of_range", lambda text: item_value(text, item),
        f"not {kind} in {item.min_value}..{item.max_value}"))


def schema(ctx: SchemaContext) -> pa.DataFrameSchema:
    columns = {
        "mrn": required(),
        "event": required(rule_check("unknown_event", lambda t: visit_code(t, ctx),
                                     "not a visit code nor a label the site maps")),
        "assessment_date": required_date(ctx),
    }
    columns.update({item.item: item_column(item) for item in questionnaire_codebook()})
    return pa.DataFrameSchema(columns, name="questionnaires")


def typed(rows: pl.DataFrame, ctx: SchemaContext, site: str, file_name: str) -> pl.DataFrame:
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
        *lineage(site, file_name),
        visit_code(pl.col("event"), ctx).alias("visit_code"),
        fields.date_value("assessment_date", ctx.site.date_format).alias("assessment_date"),
        *items,
    )


def ingest_columns() -> str:
    """Each item an integer, each clinic total a number with its text as written."""
    codebook = questionnaire_codebook()
    return ", ".join([
        LINEAGE_COLUMNS, "visit_code VARCHAR", "assessment_date DATE",
        *(f"{item.item} {'INTEGER' if item.whole_numbers_only else 'DOUBLE'}"
          for item in codebook),
        *(f"{item.item}_text VARCHAR" for item in codebook if not item.whole_numbers_only)])


SPEC = SourceSpec(
    name="questionnaires",
    required=REQUIRED,
    columns=REQUIRED + tuple(item.item for item in questionnaire_codebook()),
    date_columns=("assessment_date",),
    schema=schema,
    typed=typed,
    ingest_columns=ingest_columns(),
    conflict_key=("mrn", "visit_code"),
    key_columns=lambda ctx: [visit_code(pl.col("event"), ctx).alias("visit_code")],
)
