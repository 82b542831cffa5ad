"""Where the dbt models are built: the embedded DuckDB (the default) or Apache Spark.

On DuckDB, dbt reads the ingest tables from ``warehouse.duckdb`` and writes the models there.
On Spark, rows cross the engine boundary as Parquet, in the hand-over folder:

    <handover>/ingest/<table>/   the ingest tables, written by DuckDB after the ingest
    <handover>/models/<model>/   every model Spark builds as a table (dbt's location_root)

and after the build each model's Parquet becomes a view of ``warehouse.duckdb``'s ``main``
schema, under the model's name, so the publish step, the quality checks and every reader of the
marts work as they do on DuckDB. The load audit, the data issues and the raw history stay in
``warehouse.duckdb`` on either engine. Spark's own warehouse and metastore (local mode) live in
``<warehouse>/spark``; like the hand-over, they hold identifiable rows and are private (0700).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

import duckdb
import yaml

from pipelines import PYSPARK_PANDAS_WARNING
from pipelines.core import warehouse
from pipelines.core.config import PROJECT_ROOT, Config

SPARK_DIR = "spark"
INGEST, MODELS = "ingest", "models"
# The variables dbt's profile (dbt_project/profiles.yml) reads.
WAREHOUSE_DB_VARIABLE = "PMPS_WAREHOUSE_DB"
SPARK_DIR_VARIABLE = "PMPS_SPARK_DIR"
HANDOVER_DIR_VARIABLE = "PMPS_HANDOVER_DIR"
SPARK_LOG4J_VARIABLE = "PMPS_SPARK_LOG4J"
SPARK_LOG4J = PROJECT_ROOT / "dbt_project" / "spark" / "log4j2.properties"  # to a file
DBT_SOURCES = PROJECT_ROOT / "dbt_project" / "models" / "staging" / "_sources.yml"


def ingest_tables() -> list[str]:
    """The ingest tables dbt reads, as its sources declare them."""
    sources = yaml.safe_load(DBT_SOURCES.read_text(encoding="utf-8"))["sources"]
    return [table["name"] for source in sources if source["name"] == INGEST
            for table in source["tables"]]


def spark_dir(warehouse_dir: Path) -> Path:
    return (Path(warehouse_dir) / SPARK_DIR).resolve()


def private_dir(path: Path) -> Path:
    """A folder only its owner may read (0700), created if needed."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def dbt_environment(config: Config) -> dict[str, str]:
    """The variables dbt's profile reads for this load: the warehouse file (DuckDB), or the
    Spark folder and the hand-over folder (Spark)."""
    if config.engine == "duckdb":
        return {WAREHOUSE_DB_VARIABLE: str(
            warehouse.warehouse_path(config.warehouse_dir).resolve())}
    return {SPARK_DIR_VARIABLE: str(private_dir(spark_dir(config.warehouse_dir))),
            HANDOVER_DIR_VARIABLE: config.handover_dir,
            SPARK_LOG4J_VARIABLE: str(SPARK_LOG4J),
            # pyspark warns about pandas 3 on import, into the stream dbt's events are read from
            "PYTHONWARNINGS": f"ignore:{PYSPARK_PANDAS_WARNING}:FutureWarning"}


def hand_over_ingest(con: duckdb.DuckDBPyConnection, handover_dir: str) -> dict[str, int]:
    """Write the ingest tables (``ingest.<table>`` on ``con``) as Parquet datasets for Spark.
    Returns each table's rows."""
    root = private_dir(Path(handover_dir))
    rows = {}
    for table in ingest_tables():
        folder = warehouse.fresh_private_dir(root / INGEST / table)
        con.execute(f"COPY ingest.{table} TO '{folder / 'part-0.parquet'}' (FORMAT parquet)")
        rows[table] = con.execute(f"SELECT count(*) FROM ingest.{table}").fetchone()[0]
    return rows


def clear_model_folders(config: Config, models: Iterable[str] | None) -> None:
    """Before a Spark build: empty the folders of the models it builds (all when ``models``
    is None), as Spark writes a table's Parquet only into a folder that is not there; the
    folders of the models it leaves as they are keep their files."""
    if config.engine != "spark":
        return
    root = private_dir(Path(config.handover_dir))
    if models is None:
        warehouse.fresh_private_dir(root / MODELS)
        return
    for model in models:
        shutil.rmtree(root / MODELS / model, ignore_errors=True)


def make_private(folder: Path) -> None:
    """Every folder under ``folder`` 0700 and every file 0600: Spark's local file system
    writes its own modes (Hadoop's umask, not the process's)."""
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            (Path(root) / name).chmod(0o700)
        for name in files:
            path = Path(root) / name
            if not path.is_symlink():
                path.chmod(0o600)
    folder.chmod(0o700)


def attach_models(con: duckdb.DuckDBPyConnection, handover_dir: str) -> list[str]:
    """Make each model Spark wrote a view of ``main`` over its Parquet (a model that is a
    table on DuckDB is replaced by the view of the same name). Returns the models."""
    models = sorted(p.name for p in (Path(handover_dir) / MODELS).iterdir() if p.is_dir())
    existing = dict(con.execute(
        "SELECT table_name, table_type FROM information_schema.tables "
        "WHERE table_schema = 'main'").fetchall())
    for model in models:
        if existing.get(model) == "BASE TABLE":
            con.execute(f"DROP TABLE main.{model}")
        files = Path(handover_dir) / MODELS / model / "*.parquet"
        con.execute(f"CREATE OR REPLACE VIEW main.{model} AS "
                    f"SELECT * FROM read_parquet('{files}')")
    return models


def protect_spark_folders(config: Config) -> None:
    """After a Spark build, failed or not: its folders hold identifiable rows."""
    if config.engine == "spark":
        make_private(Path(config.handover_dir))
        make_private(spark_dir(config.warehouse_dir))


def attach_built_models(config: Config) -> list[str]:
    """After a Spark build: the models' Parquet, read from the warehouse by name."""
    if config.engine != "spark":
        return []
    with warehouse.connect(config.warehouse_dir) as con:
        return attach_models(con, config.handover_dir)
