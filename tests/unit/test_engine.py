"""The engine boundary (pipelines/core/engine.py): what dbt is told, the Parquet hand-over of
the ingest tables, the models' Parquet read back as views, and the private modes."""

from __future__ import annotations

import stat
from pathlib import Path

import duckdb

from pipelines.core import engine
from pipelines.core.config import Config


def config(tmp_path: Path, **settings) -> Config:
    return Config(tmp_path / "landing", tmp_path / "warehouse", **settings)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_dbt_is_told_the_warehouse_file_on_duckdb_and_the_folders_on_spark(tmp_path):
    duck = engine.dbt_environment(config(tmp_path))
    assert duck == {"PMPS_WAREHOUSE_DB": str(
        (tmp_path / "warehouse" / "warehouse.duckdb").resolve())}
    spark = engine.dbt_environment(config(tmp_path, engine="spark"))
    assert spark["PMPS_SPARK_DIR"] == str((tmp_path / "warehouse" / "spark").resolve())
    assert spark["PMPS_HANDOVER_DIR"] == str((tmp_path / "warehouse" / "handover").resolve())
    assert Path(spark["PMPS_SPARK_LOG4J"]).is_file()
    assert mode(tmp_path / "warehouse" / "spark") == 0o700


def test_the_ingest_tables_dbt_reads_are_its_sources():
    assert engine.ingest_tables() == ["patients", "procedures", "questionnaires", "medications",
                                      "patient_keys", "current_files", "load_issues"]


def test_hand_over_writes_each_ingest_table_as_private_parquet(tmp_path):
    con = duckdb.connect()
    con.execute("CREATE SCHEMA ingest")
    for number, table in enumerate(engine.ingest_tables()):
        con.execute(f"CREATE TABLE ingest.{table} AS SELECT range AS n FROM range({number})")
    handover = tmp_path / "handover"
    (handover / "models" / "kept").mkdir(parents=True)  # a previous build's model
    rows = engine.hand_over_ingest(con, str(handover))
    assert rows == {table: n for n, table in enumerate(engine.ingest_tables())}
    medications = handover / "ingest" / "medications" / "part-0.parquet"
    assert con.execute(f"SELECT count(*) FROM read_parquet('{medications}')").fetchone() == (3,)
    assert (handover / "models" / "kept").exists()  # a build that leaves it out still reads it
    assert mode(handover) == mode(handover / "ingest" / "patients") == 0o700


def test_a_spark_build_empties_the_folders_of_the_models_it_builds(tmp_path):
    handover = tmp_path / "handover"
    for model in ("patients", "outcomes", "study_flow"):
        (handover / "models" / model).mkdir(parents=True)
        (handover / "models" / model / "part-0.parquet").write_bytes(b"x")
    config = Config(tmp_path / "landing", tmp_path / "warehouse", engine="spark",
                    handover=str(handover))
    engine.clear_model_folders(config, ["outcomes", "not_built_before"])
    assert sorted(p.name for p in (handover / "models").iterdir()) == ["patients", "study_flow"]
    engine.clear_model_folders(config, None)  # a full build
    assert list((handover / "models").iterdir()) == []
    duckdb_config = Config(tmp_path / "landing", tmp_path / "warehouse", handover=str(handover))
    (handover / "models" / "patients").mkdir()
    engine.clear_model_folders(duckdb_config, None)  # nothing of Spark's on DuckDB
    assert (handover / "models" / "patients").exists()


def test_each_model_spark_wrote_becomes_a_view_of_the_warehouse(tmp_path):
    handover = tmp_path / "handover"
    for model, value in (("patients", 1), ("outcomes", 2)):
        (handover / "models" / model).mkdir(parents=True)
        duckdb.sql(f"COPY (SELECT {value} AS v) TO "
                   f"'{handover / 'models' / model / 'part-00000.parquet'}' (FORMAT parquet)")
    con = duckdb.connect()
    con.execute("CREATE TABLE main.patients AS SELECT 0 AS v")  # built on DuckDB before
    assert engine.attach_models(con, str(handover)) == ["outcomes", "patients"]
    assert con.execute("SELECT v FROM main.patients").fetchall() == [(1,)]
    assert con.execute("SELECT table_type FROM information_schema.tables "
                       "WHERE table_name = 'outcomes'").fetchone() == ("VIEW",)


def test_make_private_closes_what_spark_opened(tmp_path):
    folder = tmp_path / "spark"
    (folder / "warehouse" / "main.db").mkdir(parents=True)
    (folder / "warehouse" / "main.db" / "part.parquet").write_bytes(b"x")
    for path in (folder, folder / "warehouse", folder / "warehouse" / "main.db"):
        path.chmod(0o755)
    (folder / "warehouse" / "main.db" / "part.parquet").chmod(0o644)
    engine.make_private(folder)
    modes = {p.name: mode(p) for p in [folder, *folder.rglob("*")]}
    assert modes == {"spark": 0o700, "warehouse": 0o700, "main.db": 0o700,
                     "part.parquet": 0o600}
