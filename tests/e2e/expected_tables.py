"""Comparing published tables with expected CSVs, cell by cell (used by the cohort tests)."""

from __future__ import annotations

import math

import pandas as pd

from pipelines.core.pseudonym import patient_key


def with_patient_key(expected: pd.DataFrame, key: bytes) -> pd.DataFrame:
    """Expected tables name patients by site and mrn; published ones by patient_key."""
    keys = [patient_key(key, site, str(mrn)) for site, mrn in zip(
        expected["site"], expected["mrn"], strict=True)]
    return expected.drop(columns="mrn").assign(patient_key=keys)


def _same(actual: object, expected: object) -> bool:
    missing_a = actual is None or (isinstance(actual, float) and math.isnan(actual)) \
        or actual is pd.NA or actual is pd.NaT
    missing_e = expected is None or (isinstance(expected, float) and math.isnan(expected))
    if missing_a or missing_e:
        return missing_a and missing_e
    if isinstance(expected, bool) or isinstance(actual, bool):
        return str(actual).lower() == str(expected).lower()
    try:
        a, e = float(actual), float(expected)
    except (TypeError, ValueError):
        return str(actual) == str(expected)
    return math.isclose(a, e, rel_tol=1e-9, abs_tol=1e-9)


def differences(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str],
                limit: int = 20) -> list[str]:
    """Rows missing or extra by ``keys``, and cells that differ in the expected columns."""
    expected = expected.drop(columns=[c for c in ("amb",) if c in expected])
    columns = [c for c in expected.columns if c not in keys]
    a = {tuple(str(v) for v in k): row for k, row in zip(
        actual[keys].itertuples(index=False), actual.to_dict("records"), strict=True)}
    e = {tuple(str(v) for v in k): row for k, row in zip(
        expected[keys].itertuples(index=False), expected.to_dict("records"), strict=True)}
    found = [f"missing row {k}" for k in sorted(set(e) - set(a))]
    found += [f"extra row {k}" for k in sorted(set(a) - set(e))]
    for k in sorted(set(a) & set(e)):
        for column in columns:
            if not _same(a[k].get(column), e[k][column]):
                found.append(f"{k} {column}: got {a[k].get(column)!r}, "
                             f"expected {e[k][column]!r}")
    return found[:limit] + ([f"... {len(found) - limit} more"] if len(found) > limit else [])
