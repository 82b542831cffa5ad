"""pandera building blocks shared by the source schemas (pandera's polars backend).

Every check is a polars expression over a whole column, named after the data-issue rule it
reports (CONTRACT.md section 3), so a failure case becomes an issue directly. A check passes on
a missing value: only required columns reject emptiness, as ``missing_key``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from pipelines.config import SiteConfig
from schemas import fields

# pandera's own name for an empty value in a column that must have one
NOT_NULLABLE = "not_nullable"

Parser = Callable[[pl.Expr], pl.Expr]


@dataclass(frozen=True)
class SchemaContext:
    """What a schema needs to know of the export it checks."""

    site: SiteConfig
    export_date: dt.date


def rule_check(rule: str, parser: Parser, message: str) -> pa.Check:
    """A column check that fails where a present value does not parse, reported as ``rule``."""

    def valid(data: PolarsData) -> pl.LazyFrame:
        text = pl.col(data.key)
        return data.lazyframe.select(text.is_null() | parser(text).is_not_null())

    return pa.Check(valid, name=rule, error=message)


@dataclass(frozen=True)
class RowRule:
    """A check across the fields of a row, reported on one column.

    ``failing`` is true on the rows that break the rule (null counts as not breaking it);
    ``message`` is the issue's message for such a row.
    """

    rule: str
    column: str
    failing: pl.Expr
    message: pl.Expr

    def check(self) -> pa.Check:
        def valid(data: PolarsData) -> pl.LazyFrame:
            return data.lazyframe.select(~self.failing.fill_null(False))

        return pa.Check(valid, name=self.rule, error=self.rule)


def required(*checks: pa.Check) -> pa.Column:
    """A required column: an empty value is ``missing_key``."""
    return pa.Column(pl.String, checks=list(checks), nullable=False)


def optional(*checks: pa.Check) -> pa.Column:
    return pa.Column(pl.String, checks=list(checks), nullable=True, required=False)


def required_date(ctx: SchemaContext) -> pa.Column:
    """A required date: it parses in the site's format and is not after the export date."""
    date_format = ctx.site.date_format

    def not_in_future(text: pl.Expr) -> pl.Expr:
        value = fields.date(text, date_format)  # an unparseable date is bad_date only
        return pl.when(value.is_null() | (value <= ctx.export_date)).then(pl.lit(True))

    return required(
        rule_check("bad_date", lambda t: fields.date(t, date_format),
                   f"not a date in the format {date_format}"),
        rule_check("date_in_future", not_in_future,
                   f"after the export date {ctx.export_date:%Y-%m-%d}"),
    )


def optional_date(ctx: SchemaContext) -> pa.Column:
    date_format = ctx.site.date_format
    return optional(rule_check("bad_value", lambda t: fields.date(t, date_format),
                               f"not a date in the format {date_format}"))
