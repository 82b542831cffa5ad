"""pandera building blocks shared by the source schemas (pandera's polars backend).

Every check is a polars expression over a whole column, named after the data-issue rule it
reports (docs/rules.md#1-data-issues), so a failure case becomes an issue directly. A check passes
on
a missing value: only required columns reject emptiness, as ``missing_key``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from pipelines.core.config import SiteConfig
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


def date_check(rule: str, valid: Callable[[pl.Expr], pl.Expr], date_format: str,
               message: str) -> pa.Check:
    """A check of a date column: ``valid`` gets the column as a date (its date cell, or its
    text in the site's format; null when neither is a date) and passes a missing value."""

    def check(data: PolarsData) -> pl.LazyFrame:
        text = pl.col(data.key)
        value = fields.date_value(data.key, date_format)
        return data.lazyframe.select(text.is_null() | valid(value).fill_null(False))

    return pa.Check(check, name=rule, error=message)


def required_date(ctx: SchemaContext) -> pa.Column:
    """A required date: it parses in the site's format and is not after the export date."""
    date_format = ctx.site.date_format
    return required(
        date_check("bad_date", lambda value: value.is_not_null(), date_format,
                   f"not a date in the format {date_format}"),
        # an unparseable date is bad_date only
        date_check("date_in_future", lambda value: value.is_null() | (value <= ctx.export_date),
                   date_format, f"after the export date {ctx.export_date:%Y-%m-%d}"),
    )


def optional_date(ctx: SchemaContext) -> pa.Column:
    date_format = ctx.site.date_format
    return optional(date_check("bad_value", lambda value: value.is_not_null(), date_format,
                               f"not a date in the format {date_format}"))
