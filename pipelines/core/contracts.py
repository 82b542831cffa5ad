"""The enforced contracts of the dbt marts (dbt_project/models/marts/<model>.yml), read by
Python: where a mart's columns are declared, the pipeline's tables that hold the same rows take
theirs from it."""

from __future__ import annotations

from functools import cache

import yaml

from pipelines.core.reference import DUCKDB_TYPES, SEEDS_DIR

MARTS_DIR = SEEDS_DIR.parent / "models" / "marts"


@cache
def _contract_columns(model: str) -> tuple[tuple[str, str], ...]:
    document = yaml.safe_load((MARTS_DIR / f"{model}.yml").read_text(encoding="utf-8"))
    (declared,) = [m for m in document["models"] if m["name"] == model]
    return tuple((column["name"], DUCKDB_TYPES[column["data_type"]])
                 for column in declared["columns"])


def mart_contract(model: str) -> dict[str, str]:
    """A mart's contract: its columns in order, each with the DuckDB name of its contract type
    (a contract uses names both engines know: string, which DuckDB creates as VARCHAR). Each
    model's YAML is read once; every call returns a dict of its own."""
    return dict(_contract_columns(model))
