"""A generated registry of 2 000 patients with faults, loaded twice (the second time after one
site's questionnaires snapshot changed), publishes the same tables with `engine: spark` as
with the embedded DuckDB, cell by cell and in the same order; Spark's folders are private."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from pipelines.demo.registry import write_changed_snapshot
from tests.e2e.compare import differences, published_tables
from tests.e2e.harness import run_pmps
from tests.e2e.regression import PATIENTS, SEED
from tests.spark.loads import ENGINES, load


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> tuple[Path, dict[str, list[dict]]]:
    root = tmp_path_factory.mktemp("registry")
    run_pmps("demo", "--landing", str(root / "landing"), "--patients", str(PATIENTS),
             "--seed", str(SEED), "--faults", cwd=root)
    loads: dict[str, list[dict]] = {engine: [] for engine in ENGINES}
    for step in range(2):
        if step:
            write_changed_snapshot(root / "landing", PATIENTS, seed=SEED)
        for engine in ENGINES:
            load(root, engine)
            loads[engine].append(published_tables(root / engine))
    return root, loads


@pytest.mark.parametrize("load_number", [1, 2])
def test_the_registry_publishes_the_same_tables_on_spark(registry, load_number):
    _, loads = registry
    duckdb_tables, spark_tables = (loads[e][load_number - 1] for e in ENGINES)
    assert set(duckdb_tables["load_audit"]["load_id"]) == set(range(1, load_number + 1))
    assert len(duckdb_tables["questionnaire_items"]) > 10_000
    assert set(duckdb_tables["data_quality"]["rule"]) >= {
        "duplicate_conflict", "no_conversion_factor", "out_of_range", "total_mismatch"}
    assert differences(spark_tables, duckdb_tables) == []


def test_the_second_registry_load_changed_something(registry):
    """The second load is a real change: the comparison covers more than one state."""
    _, loads = registry
    first, second = loads["duckdb"]
    assert len(second["outcomes"]) != len(first["outcomes"])


def test_spark_folders_are_private(registry):
    """Spark's warehouse and metastore and the Parquet hand-over hold identifiable rows: each
    folder is 0700 and each file 0600 (docs/tables.md#3-privacy), and Spark leaves nothing
    outside its folders."""
    root, _ = registry
    warehouse = root / "spark"
    for folder in (warehouse / "spark", warehouse / "handover"):
        entries = [folder, *folder.rglob("*")]
        assert len(entries) > 10
        exposed = [str(p.relative_to(warehouse)) for p in entries
                   if stat.S_IMODE(p.lstat().st_mode) & 0o077]
        assert exposed == []
    for stray in ("metastore_db", "derby.log", "spark-warehouse"):
        assert not (root / stray).exists() and not (warehouse / stray).exists()
