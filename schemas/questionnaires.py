"""pandera schema of the questionnaires export: keys, and every item and clinic total
against its valid set in the codebook (dbt_project/seeds/questionnaire_codebook.csv)."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from pipelines.core.reference import CodebookItem, questionnaire_codebook, visit_orders
from schemas import fields
from schemas.checks import SchemaContext, optional, required, required_date, rule_check

REQUIRED = ("mrn", "event", "assessment_date")
COLUMNS = REQUIRED + tuple(item.item for item in questionnaire_codebook())
DATE_COLUMNS = ("assessment_date",)


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
