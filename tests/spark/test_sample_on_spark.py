"""The four-site sample (its landing folder, then its late deliveries) publishes the same
tables with `engine: spark` (dbt-spark's session method on a local Spark) as with the embedded
DuckDB, cell by cell and in the same order."""

from __future__ import annotations

import shutil

import pytest

from tests.e2e.compare import differences, published_tables
from tests.e2e.harness import MULTISITE, copy_sample_folder
from tests.spark.loads import ENGINES, load


@pytest.fixture(scope="module")
def multisite(tmp_path_factory) -> dict[str, list[dict]]:
    """The sample's two loads on each engine: {engine: [tables of load 1, of load 2]}."""
    root = tmp_path_factory.mktemp("multisite")
    copy_sample_folder(MULTISITE / "landing", root / "landing")
    shutil.copytree(MULTISITE / "extra", root / "extra")
    config = ("--config", str(MULTISITE / "config.yaml"))
    loads: dict[str, list[dict]] = {engine: [] for engine in ENGINES}
    for step in range(2):
        if step:
            copy_sample_folder(MULTISITE / "late", root / "landing")
        for engine in ENGINES:
            load(root, engine, *config)
            loads[engine].append(published_tables(root / engine))
    return loads


@pytest.mark.parametrize("load_number", [1, 2])
def test_the_sample_publishes_the_same_tables_on_spark(multisite, load_number):
    duckdb_tables, spark_tables = (multisite[e][load_number - 1] for e in ENGINES)
    assert set(duckdb_tables["load_audit"]["load_id"]) == set(range(1, load_number + 1))
    assert len(duckdb_tables["outcomes"]) > 100  # the comparison has something to compare
    assert differences(spark_tables, duckdb_tables) == []
