"""The medications export: one row per prescription, checked by its pandera schema, and the
MME conversion rule for a prescription."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from pipelines.core.reference import mme_factors
from schemas import fields
from schemas.columns import (
    RowRule,
    SchemaContext,
    optional,
    optional_date,
    required,
    required_date,
    rule_check,
)
from schemas.source import LINEAGE_COLUMNS, SourceSpec, lineage

REQUIRED = ("mrn", "drug", "dose", "unit", "doses_per_day", "start_date")
ORAL = "oral"


def drug_name(text: pl.Expr, ctx: SchemaContext) -> pl.Expr:
    """The drug name of the MME table the site's name maps to (or the name itself)."""
    name = fields.label(text)
    return name.replace(dict(ctx.site.drugs)) if ctx.site.drugs else name


def route(route_text: pl.Expr, drug: pl.Expr) -> pl.Expr:
    """The route as written, or the route of the drug's MME factor (oral when unknown)."""
    default = drug.replace_strict({d: f.route for d, f in mme_factors().items()},
                                  default=ORAL, return_dtype=pl.String)
    return pl.coalesce(fields.label(route_text), default)


def conversion_fault(drug: pl.Expr, unit_text: pl.Expr, route_text: pl.Expr) -> pl.Expr:
    """The field that stops a prescription's conversion to MME (drug, unit or route), or null
    when it converts. ``drug`` is already mapped; a missing route takes the drug's default."""
    factors = mme_factors()
    factor_unit = drug.replace_strict({d: f.unit for d, f in factors.items()}, default=None,
                                      return_dtype=pl.String)
    factor_route = drug.replace_strict({d: f.route for d, f in factors.items()}, default=None,
                                       return_dtype=pl.String)
    return (pl.when(factor_unit.is_null()).then(pl.lit("drug"))
            .when(fields.label(unit_text) != factor_unit).then(pl.lit("unit"))
            .when(route(route_text, drug) != factor_route).then(pl.lit("route")))


def row_rules(ctx: SchemaContext) -> list[RowRule]:
    """no_conversion_factor and end_before_start, checked only on fields without a fault of
    their own (docs/rules.md#1-data-issues). Every known column is in the checked frame."""
    date_format = ctx.site.date_format
    start_text, end_text = pl.col("start_date"), pl.col("end_date")
    start = fields.date_value("start_date", date_format)
    end = fields.date_value("end_date", date_format)
    drug_text, unit_text = pl.col("drug"), pl.col("unit")
    route_text = pl.col("route")
    fault = conversion_fault(drug_name(drug_text, ctx), unit_text, route_text)
    return [
        RowRule("no_conversion_factor", "drug",
                drug_text.is_not_null() & unit_text.is_not_null() & fault.is_not_null(),
                pl.format("{} {} {}: no MME conversion factor for this {}", drug_text,
                          unit_text, pl.coalesce(route_text, pl.lit("(default route)")), fault)),
        RowRule("end_before_start", "end_date", (start <= ctx.export_date) & (end < start),
                pl.format("end_date {} is before start_date {}", end_text, start_text)),
    ]


def schema(ctx: SchemaContext) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "mrn": required(),
            "drug": required(),
            "dose": required(rule_check("bad_dose", fields.positive,
                                        "dose is not a number > 0")),
            "unit": required(),
            "doses_per_day": required(rule_check("bad_dose", fields.positive,
                                                 "doses_per_day is not a number > 0")),
            "start_date": required_date(ctx),
            "end_date": optional_date(ctx),
            "route": optional(),
        },
        checks=[rule.check() for rule in row_rules(ctx)],
        name="medications",
    )


def typed(rows: pl.DataFrame, ctx: SchemaContext, site: str, file_name: str,
          convertible: bool = True) -> pl.DataFrame:
    """Accepted prescriptions; ``convertible`` false for those kept only to make MME missing
    where they are active (rejected for no_conversion_factor, whatever their other faults: a
    field that does not parse is null, so a start date that does not parse makes it active
    nowhere and an end date that does not parse leaves it open-ended)."""
    date_format = ctx.site.date_format
    drug = drug_name(pl.col("drug"), ctx)
    return rows.select(
        *lineage(site, file_name),
        drug.alias("drug"),
        fields.number(pl.col("dose")).alias("dose"),
        fields.label(pl.col("unit")).alias("unit"),
        fields.number(pl.col("doses_per_day")).alias("doses_per_day"),
        fields.date_value("start_date", date_format).alias("start_date"),
        fields.date_value("end_date", date_format).alias("end_date"),
        route(pl.col("route"), drug).alias("route"),
        pl.lit(convertible).alias("is_convertible"),
    )


SPEC = SourceSpec(
    name="medications",
    required=REQUIRED,
    columns=(*REQUIRED, "end_date", "route"),
    date_columns=("start_date", "end_date"),
    schema=schema,
    typed=typed,
    ingest_columns=f"""{LINEAGE_COLUMNS}, drug VARCHAR, dose DOUBLE, unit VARCHAR,
        doses_per_day DOUBLE, start_date DATE, end_date DATE, route VARCHAR,
        is_convertible BOOLEAN""",
    row_rules=row_rules,
)
