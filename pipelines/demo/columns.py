"""A synthetic registry's tables as columns of text, one numpy object array a column, and the
few operations the registry generator and its planted problems share."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Columns = dict[str, np.ndarray]  # column name -> text values (object arrays)


@dataclass
class Cohort:
    """Every source's rows for all sites, and each row's site (0-based)."""

    tables: dict[str, Columns]
    sites: dict[str, np.ndarray]


def text(values) -> np.ndarray:
    """The values as an object array of text, as the exports hold them."""
    return np.asarray(values).astype(str).astype(object)


def iso(days: np.ndarray) -> np.ndarray:
    """Days (datetime64) as ISO dates."""
    return text(days.astype("datetime64[D]"))


def site_rows(columns: Columns, mask: np.ndarray) -> Columns:
    """The rows where ``mask`` is true."""
    return {name: values[mask] for name, values in columns.items()}


def append_rows(columns: Columns, extra: Columns) -> Columns:
    """``extra`` rows after the others; columns missing from ``extra`` are blank."""
    count = len(next(iter(extra.values())))
    return {name: np.concatenate([values, extra.get(name, np.full(count, "", object))])
            for name, values in columns.items()}


def pick_rows(rng: np.random.Generator, columns: Columns, count: int) -> np.ndarray:
    """``count`` different row numbers (all rows when there are fewer)."""
    rows = len(next(iter(columns.values())))
    return rng.choice(rows, size=min(count, rows), replace=False)
