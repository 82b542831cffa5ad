"""pandera schema of the medications export, and the MME conversion rule for a prescription."""

from __future__ import annotations

import pandera.pandas as pa

from pipelines.config import normalise_label
from pipelines.reference import mme_factors
from schemas import fields
from schemas.checks import (
    SchemaContext,
    optional,
    optional_date,
    required,
    required_date,
    rule_check,
)

REQUIRED = ("mrn", "drug", "dose", "unit", "doses_per_day", "start_date")
COLUMNS = (*REQUIRED, "end_date", "route")


def to_drug(text: str, ctx: SchemaContext) -> str:
    """The drug name of the MME table the site's name maps to (or the name itself)."""
    name = normalise_label(text)
    return ctx.site.drugs.get(name, name)


def default_route(drug: str) -> str:
    return "transdermal" if drug == "fentanyl" else "oral"


def conversion_fault(drug: str, unit: str, route: str | None) -> str | None:
    """The column that stops a prescription's conversion to MME, or None when it converts.

    ``drug`` is already mapped; ``unit`` and ``route`` are the export's text (route may be
    missing, then the drug's default applies).
    """
    factor = mme_factors().get(drug)
    if factor is None:
        return "drug"
    if normalise_label(unit) != factor.unit:
        return "unit"
    if normalise_label(route or default_route(drug)) != factor.route:
        return "route"
    return None


def schema(ctx: SchemaContext) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "mrn": required(),
            "drug": required(),
            "dose": required(rule_check("bad_dose", fields.parse_positive,
                                        "dose is not a number > 0")),
            "unit": required(),
            "doses_per_day": required(rule_check("bad_dose", fields.parse_positive,
                                                 "doses_per_day is not a number > 0")),
            "start_date": required_date(ctx),
            "end_date": optional_date(ctx),
            "route": optional(),
        },
        name="medications",
    )
