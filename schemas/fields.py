"""Parsers for the text of one field. Each returns None when the text is not a valid value,
so the same function both checks a field (pandera) and types it (the accepted rows)."""

from __future__ import annotations

import datetime as dt
import math
import re

from pipelines.config import normalise_label

NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
REDCAP_EVENT = re.compile(r"^(?P<visit>[a-z0-9_]+?)_arm_\d+$")

SEX = {"f": "female", "female": "female", "m": "male", "male": "male", "o": "other",
       "other": "other", "x": "other"}
MASTECTOMY_SIDES = {"left", "right", "bilateral"}
TREATMENT_GROUPS = {1, 2}


def parse_number(text: str) -> float | None:
    """A decimal number written with '.', or None."""
    if not NUMBER.match(text.strip()):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def parse_whole_number(text: str) -> int | None:
    """A whole number: '3' and '3.0' are 3; '2.5' and 'three' are None."""
    value = parse_number(text)
    if value is None or not value.is_integer():
        return None
    return int(value)


def parse_in_range(text: str, low: float, high: float, whole: bool) -> float | None:
    """A number within [low, high] (whole numbers only when ``whole``), else None."""
    value = parse_whole_number(text) if whole else parse_number(text)
    if value is None or not low <= value <= high:
        return None
    return value


def parse_positive(text: str) -> float | None:
    """A number greater than 0 (a dose, doses per day)."""
    value = parse_number(text)
    return value if value is not None and value > 0 else None


def parse_date(text: str, date_format: str) -> dt.date | None:
    """A date in the site's format; never guessed."""
    try:
        return dt.datetime.strptime(text.strip(), date_format).date()
    except ValueError:
        return None


def map_code(text: str, labels: dict[str, str], codes: set[str] | frozenset[str],
             case: str = "upper") -> str | None:
    """A code written as itself (any case) or as a label the site maps."""
    label = normalise_label(text)
    if label in labels:
        return labels[label]
    code = label.upper() if case == "upper" else label
    return code if code in codes else None


def map_event(text: str, labels: dict[str, str], visit_codes: set[str]) -> str | None:
    """A visit code, a REDCap unique event name ``<visit_code>_arm_<n>``, or a mapped label."""
    code = map_code(text, labels, visit_codes)
    if code is not None:
        return code
    match = REDCAP_EVENT.match(normalise_label(text))
    if match and match["visit"].upper() in visit_codes:
        return match["visit"].upper()
    return None


def parse_sex(text: str) -> str | None:
    return SEX.get(normalise_label(text))


def parse_mastectomy_side(text: str) -> str | None:
    side = normalise_label(text)
    return side if side in MASTECTOMY_SIDES else None


def parse_treatment_group(text: str) -> int | None:
    group = parse_whole_number(text)
    return group if group in TREATMENT_GROUPS else None
