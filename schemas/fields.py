"""Parsers of one field's text, as polars expressions over a whole column.

Each parser gives null where the text is not a valid value, so the same expression both checks
a field (the pandera schemas) and types it (the accepted rows): checking and typing cannot
disagree. Text is trimmed and matched case-insensitively where docs/inputs.md#4-formats says so.

A column of answers, codes or dates holds few distinct texts among many rows, so each public
parser works out the value of every distinct text once and maps it back onto the column
(``per_distinct``): a hash lookup per cell instead of a chain of string operations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from functools import cache

import polars as pl

from pipelines.core.reference import code_list

NUMBER = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$"
REDCAP_EVENT = r"^([a-z0-9_]+?)_arm_[0-9]+$"

# The codes come from the code_lists seed; a clinic's one-letter spellings map onto them.
SEX = {**{code: code for code in code_list("sex")}, "f": "female", "m": "male", "o": "other",
       "x": "other"}
MASTECTOMY_SIDES = tuple(code_list("mastectomy_side"))
TREATMENT_GROUPS = (1, 2)


def per_distinct(text: pl.Expr, parser: Callable[[pl.Expr], pl.Expr],
                 dtype: pl.DataType) -> pl.Expr:
    """``parser`` applied to each distinct text of the column once, mapped back per cell."""

    def apply(column: pl.Series) -> pl.Series:
        distinct = column.drop_nulls().unique()
        parsed = pl.select(parser(pl.lit(distinct)).cast(dtype)).to_series()
        return column.replace_strict(distinct, parsed, default=None, return_dtype=dtype)

    return text.map_batches(apply, return_dtype=dtype)


def label(text: pl.Expr) -> pl.Expr:
    """A label, code or name as it is matched: trimmed and lower-cased."""
    return text.str.strip_chars().str.to_lowercase()


def _number(text: pl.Expr) -> pl.Expr:
    trimmed = text.str.strip_chars()
    return pl.when(trimmed.str.contains(NUMBER)).then(trimmed.cast(pl.Float64, strict=False))


def _whole_number(text: pl.Expr) -> pl.Expr:
    value = _number(text)
    return pl.when(value == value.floor()).then(value)


def number(text: pl.Expr) -> pl.Expr:
    """A decimal number written with '.', or null (no exponents, no infinities)."""
    return per_distinct(text, _number, pl.Float64)


def whole_number(text: pl.Expr) -> pl.Expr:
    """A whole number: '3' and '3.0' are 3; '2.5' and 'three' are null (as a float)."""
    return per_distinct(text, _whole_number, pl.Float64)


def in_range(text: pl.Expr, low: float, high: float, whole: bool) -> pl.Expr:
    """A number within [low, high] (whole numbers only when ``whole``), else null."""

    def parse(text: pl.Expr) -> pl.Expr:
        value = _whole_number(text) if whole else _number(text)
        return pl.when(value.is_between(low, high)).then(value)

    return per_distinct(text, parse, pl.Float64)


def positive(text: pl.Expr) -> pl.Expr:
    """A number greater than 0 (a dose, doses per day)."""

    def parse(text: pl.Expr) -> pl.Expr:
        value = _number(text)
        return pl.when(value > 0).then(value)

    return per_distinct(text, parse, pl.Float64)


@cache
def parse_date_text(text: str, date_format: str) -> dt.date | None:
    """One text as a date in ``date_format`` (Python's strptime), or None."""
    try:
        return dt.datetime.strptime(text.strip(), date_format).date()
    except ValueError:
        return None


def date(text: pl.Expr, date_format: str) -> pl.Expr:
    """A date in the site's format, never guessed.

    Python's strptime is the reference for ``date_format`` (the configuration speaks its
    language; polars' own parser reads ``%y`` and short ``%Y`` years differently), so each
    distinct text is parsed once (and remembered) and the result mapped back onto the column:
    a column of dates holds few distinct texts.
    """

    def parse(column: pl.Series) -> pl.Series:
        distinct = column.drop_nulls().unique()
        parsed = pl.Series([parse_date_text(text, date_format) for text in distinct],
                           dtype=pl.Date)
        return column.replace_strict(distinct, parsed, default=None, return_dtype=pl.Date)

    return text.map_batches(parse, return_dtype=pl.Date)


DATE_CELL = "date cell: "  # prefix of the column holding an XLSX column's date cells


def date_cell_column(name: str) -> str:
    """The column that holds the date cells of XLSX column ``name`` (null in CSV exports)."""
    return DATE_CELL + name


def date_value(name: str, date_format: str) -> pl.Expr:
    """Column ``name`` as a date: a date cell as it is (docs/rules.md#6-dates: XLSX date cells are
    dates), text in the site's format."""
    return pl.coalesce(pl.col(date_cell_column(name)), date(pl.col(name), date_format))


def code(text: pl.Expr, labels: Mapping[str, str], codes: Iterable[str]) -> pl.Expr:
    """A code written as itself (any case) or as a label the site maps; null otherwise.

    ``labels`` are already lower-cased; a site's label wins over a code of the same spelling.
    """
    mapping = {known.lower(): known for known in codes} | dict(labels)
    return per_distinct(text, lambda t: label(t).replace_strict(
        mapping, default=None, return_dtype=pl.String), pl.String)


def event(text: pl.Expr, labels: Mapping[str, str], visit_codes: Iterable[str]) -> pl.Expr:
    """A visit code, a REDCap unique event name ``<visit_code>_arm_<n>``, or a mapped label."""
    visit_codes = list(visit_codes)
    mapping = {known.lower(): known for known in visit_codes} | dict(labels)

    def parse(text: pl.Expr) -> pl.Expr:
        redcap = label(text).str.extract(REDCAP_EVENT, 1).str.to_uppercase()
        return pl.coalesce(
            label(text).replace_strict(mapping, default=None, return_dtype=pl.String),
            pl.when(redcap.is_in(visit_codes)).then(redcap))

    return per_distinct(text, parse, pl.String)


def sex(text: pl.Expr) -> pl.Expr:
    return per_distinct(text, lambda t: label(t).replace_strict(
        SEX, default=None, return_dtype=pl.String), pl.String)


def mastectomy_side(text: pl.Expr) -> pl.Expr:
    def parse(text: pl.Expr) -> pl.Expr:
        side = label(text)
        return pl.when(side.is_in(MASTECTOMY_SIDES)).then(side)

    return per_distinct(text, parse, pl.String)


def treatment_group(text: pl.Expr) -> pl.Expr:
    def parse(text: pl.Expr) -> pl.Expr:
        group = _whole_number(text)
        return pl.when(group.is_in([float(g) for g in TREATMENT_GROUPS])).then(group)

    return per_distinct(text, parse, pl.Float64).cast(pl.Int32)
