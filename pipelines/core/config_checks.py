"""The checks of single configuration values, each raising ConfigError with a one-line
message naming the key (docs/inputs.md#7-configuration)."""

from __future__ import annotations

import datetime as dt
from typing import Any

# Where the dbt models are built: the embedded DuckDB (the default) or Apache Spark.
ENGINES = ("duckdb", "spark")
# The formats of published/ beside the summary CSVs and the report, which are always written.
EXPORT_FORMATS = ("parquet", "spss", "stata")
# A date every date_format must print and read back (a day above 12, a year of four digits).
PROBE_DATE = dt.date(2031, 12, 25)
# A site's delimiter as written (trimmed and case-folded, or exactly) -> the character.
DELIMITERS = {",": ",", ";": ";", "|": "|", "\t": "\t", "tab": "\t", "\\t": "\t"}


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message is one line naming the problem."""


def normalise_label(text: str) -> str:
    """Labels, codes and column names match trimmed and case-insensitively (lower-cased,
    as the vectorised checks in schemas/fields.py lower-case the exports' text)."""
    return str(text).strip().lower()


def nonempty_text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where} must be text, not {value!r}")
    return value


def check_date_format(date_format: str, where: str) -> str:
    """A date_format must print a date and read it back as the same date."""
    try:
        printed = PROBE_DATE.strftime(date_format)
        if dt.datetime.strptime(printed, date_format).date() != PROBE_DATE:
            raise ValueError("reads back another date")
    except (ValueError, TypeError) as error:
        raise ConfigError(f"{where} '{date_format}' cannot print and read back a date") from error
    return date_format


def check_encoding(value: Any, where: str) -> str:
    """An encoding Python knows; UTF-8 reads a file with or without a byte-order mark."""
    encoding = nonempty_text(value, where)
    try:
        "".encode(encoding)
        b"".decode(encoding)
    except LookupError as error:
        raise ConfigError(f"{where}: unknown encoding '{encoding}'") from error
    if normalise_label(encoding).replace("_", "-") in {"utf-8", "utf8"}:
        return "utf-8-sig"
    return encoding


def parse_delimiter(value: Any, where: str) -> str | None:
    """The delimiter character; None: sniffed."""
    if value is None:
        return None
    if not isinstance(value, str) or normalise_label(value) not in DELIMITERS \
            and value not in DELIMITERS:
        raise ConfigError(f"{where} {value!r} is not one of , ; tab |")
    return DELIMITERS.get(value, DELIMITERS.get(normalise_label(value)))


def parse_missing_values(value: Any, where: str) -> frozenset[str]:
    """A site's missing-value tokens, normalised; a blank cell is missing whatever the tokens
    are (docs/rules.md#5-values)."""
    if isinstance(value, list) and all(
            v is None or isinstance(v, str | int | float) for v in value):
        return frozenset(normalise_label("" if v is None else v) for v in value) | {""}
    raise ConfigError(f"{where} must be a list of texts")


def label_mapping(value: Any, where: str) -> dict[str, str]:
    """A mapping of label to code: labels normalised, codes trimmed."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a mapping of label to code")
    for label, code in value.items():
        if not isinstance(label, str | int | float) or not isinstance(code, str):
            raise ConfigError(f"{where}: '{label}' must map a label to a code (text)")
    return {normalise_label(k): str(v).strip() for k, v in value.items()}


def known_codes(mapping: dict[str, str], valid: set[str] | frozenset[str], where: str,
                kind: str) -> dict[str, str]:
    """Each label's code, matched case-insensitively against the valid codes."""
    by_folded = {normalise_label(code): code for code in valid}
    checked = {}
    for label, code in mapping.items():
        if normalise_label(code) not in by_folded:
            known = ", ".join(sorted(valid))
            raise ConfigError(f"{where}: unknown {kind} '{code}' (known: {known})")
        checked[label] = by_folded[normalise_label(code)]
    return checked


def positive_int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"{where} must be a positive integer, not {value!r}")
    return value


def parse_engine(value: Any, where: str = "engine") -> str:
    engine = normalise_label(nonempty_text(value, where))
    if engine not in ENGINES:
        raise ConfigError(f"{where} '{value}' is not one of {', '.join(ENGINES)}")
    return engine


def parse_exports(value: Any) -> tuple[str, ...]:
    """The export formats to write, in a list (an empty list writes none)."""
    if value is None:
        return EXPORT_FORMATS
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"exports must be a list of formats ({', '.join(EXPORT_FORMATS)}), "
                          f"not {value!r}")
    formats = [normalise_label(v) for v in value]
    unknown = [v for v in formats if v not in EXPORT_FORMATS]
    if unknown:
        raise ConfigError(f"exports: unknown format '{unknown[0]}' (known: "
                          f"{', '.join(EXPORT_FORMATS)})")
    return tuple(f for f in EXPORT_FORMATS if f in formats)


def parse_flag(value: Any, where: str, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false, not {value!r}")
    return value
