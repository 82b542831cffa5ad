"""pandera building blocks shared by the source schemas: each check is named after the data
issue rule it reports (CONTRACT.md section 3), so a failure case becomes an issue directly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pandera.pandas as pa

from pipelines.config import SiteConfig
from schemas import fields

# pandera's own name for an empty value in a column that must have one
NOT_NULLABLE = "not_nullable"


@dataclass(frozen=True)
class SchemaContext:
    """What a schema needs to know of the export it checks."""

    site: SiteConfig
    export_date: dt.date


def rule_check(rule: str, parser: Callable[[str], object], message: str) -> pa.Check:
    """A check that fails where ``parser`` returns None, reported as ``rule``."""
    return pa.Check(lambda text: parser(text) is not None, element_wise=True, name=rule,
                    error=message)


def required(*checks: pa.Check) -> pa.Column:
    """A required column: an empty value is ``missing_key``."""
    return pa.Column(object, checks=list(checks), nullable=False, coerce=False)


def optional(*checks: pa.Check) -> pa.Column:
    return pa.Column(object, checks=list(checks), nullable=True, required=False, coerce=False)


def required_date(ctx: SchemaContext) -> pa.Column:
    """A required date: it parses in the site's format and is not after the export date."""
    date_format = ctx.site.date_format

    def not_in_future(text: str) -> bool:
        value = fields.parse_date(text, date_format)
        return value is None or value <= ctx.export_date  # an unparseable date is bad_date only

    return required(
        rule_check("bad_date", lambda t: fields.parse_date(t, date_format),
                   f"not a date in the format {date_format}"),
        pa.Check(not_in_future, element_wise=True, name="date_in_future",
                 error=f"after the export date {ctx.export_date:%Y-%m-%d}"),
    )


def optional_date(ctx: SchemaContext) -> pa.Column:
    date_format = ctx.site.date_format
    return optional(rule_check("bad_value", lambda t: fields.parse_date(t, date_format),
                               f"not a date in the format {date_format}"))
