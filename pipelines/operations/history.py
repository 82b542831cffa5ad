"""The Dagster instance's run history: under the warehouse unless $DAGSTER_HOME says otherwise,
kept for the last 100 runs (docs/tables.md#1-warehouse-folder), so the folder does not grow
forever."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg

from pipelines.core.config import PROJECT_ROOT
from pipelines.core.warehouse import ensure_warehouse_dir

KEPT_RUNS = 100
INSTANCE_SETTINGS = PROJECT_ROOT / "config" / "dagster.yaml"


def dagster_home(warehouse_dir: Path, configured: str | None = None) -> Path:
    """Run history lives under the warehouse unless ``configured`` ($DAGSTER_HOME) says
    otherwise; the folder is private to its owner."""
    ensure_warehouse_dir(warehouse_dir)
    home = Path(configured or warehouse_dir / "dagster_home")
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings = home / "dagster.yaml"
    if not settings.exists():
        shutil.copyfile(INSTANCE_SETTINGS, settings)
    return home.resolve()


def keep_recent_runs(instance: dg.DagsterInstance, kept: int = KEPT_RUNS) -> int:
    """Delete all but the newest ``kept`` runs, their events and captured logs. Returns how
    many were deleted."""
    old = instance.get_run_records(limit=None)[kept:]  # newest first
    for record in old:
        run_id = record.dagster_run.run_id
        instance.delete_run(run_id)
        shutil.rmtree(Path(instance.root_directory) / "storage" / run_id, ignore_errors=True)
    return len(old)
