"""dbt models as assets: staging -> intermediate -> marts, with dbt tests as asset checks."""

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from pipelines import warehouse
from pipelines.project import DBT_PROJECT_DIR, dbt_project
from pipelines.resources import PmpsSettings

WAREHOUSE_DB_VARIABLE = "PMPS_WAREHOUSE_DB"  # read by dbt_project/profiles.yml
SEED_FINGERPRINT_TABLE = "reference.seed_fingerprint"


def seed_fingerprint(seeds_dir: Path = DBT_PROJECT_DIR / "seeds") -> str:
    """A hash of the seed files and dbt_project.yml (which types the seeds)."""
    digest = hashlib.sha256()
    for path in [*sorted(seeds_dir.iterdir()), DBT_PROJECT_DIR / "dbt_project.yml"]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def loaded_seed_fingerprint(warehouse_dir: Path) -> str | None:
    """The fingerprint of the seeds the warehouse holds, if any."""
    with warehouse.connect(warehouse_dir) as con:
        found = con.execute(
            """SELECT count(*) FROM information_schema.tables
               WHERE table_schema = 'reference' AND table_name = 'seed_fingerprint'"""
        ).fetchone()[0]
        if not found:
            return None
        row = con.execute(f"SELECT fingerprint FROM {SEED_FINGERPRINT_TABLE}").fetchone()
    return row[0] if row else None


def record_seed_fingerprint(warehouse_dir: Path, fingerprint: str) -> None:
    with warehouse.connect(warehouse_dir) as con:
        con.execute(f"CREATE OR REPLACE TABLE {SEED_FINGERPRINT_TABLE} AS "
                    "SELECT ? AS fingerprint", [fingerprint])


def dbt_build_args(seeds_loaded: bool) -> list[str]:
    """`dbt build` for a load: unit tests are for development (`make test` runs them), and
    seeds are loaded only when they changed since the warehouse last loaded them."""
    excluded = ["resource_type:unit_test"] + ([] if not seeds_loaded else ["resource_type:seed"])
    return ["build", "--exclude", " ".join(excluded)]


@contextmanager
def warehouse_for_dbt(warehouse_dir: Path) -> Iterator[None]:
    """Point dbt's profile at this load's warehouse file for the duration of the call."""
    previous = os.environ.get(WAREHOUSE_DB_VARIABLE)
    os.environ[WAREHOUSE_DB_VARIABLE] = str(warehouse.warehouse_path(warehouse_dir).resolve())
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(WAREHOUSE_DB_VARIABLE, None)
        else:
            os.environ[WAREHOUSE_DB_VARIABLE] = previous


def dbt_target_path(warehouse_dir: Path) -> Path:
    """dbt's artifacts per warehouse: its partial parse stays valid from one load to the next
    (dbt re-parses the whole project when the profile's database file changes)."""
    return (Path(warehouse_dir) / "dbt_target").resolve()


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project)
def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource,
                     pmps: PmpsSettings):
    warehouse_dir = pmps.load().warehouse_dir
    fingerprint = seed_fingerprint()
    seeds_loaded = loaded_seed_fingerprint(warehouse_dir) == fingerprint
    with warehouse_for_dbt(warehouse_dir):
        yield from dbt.cli(dbt_build_args(seeds_loaded), context=context,
                           target_path=dbt_target_path(warehouse_dir)).stream()
    if not seeds_loaded:
        record_seed_fingerprint(warehouse_dir, fingerprint)
