"""Run history under dagster_home is kept for the last 100 runs (CONTRACT.md section 4), so
the folder does not grow forever."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg

KEPT_RUNS = 100


def keep_recent_runs(instance: dg.DagsterInstance, kept: int = KEPT_RUNS) -> int:
    """Delete all but the newest ``kept`` runs, their events and captured logs. Returns how
    many were deleted."""
    old = instance.get_run_records(limit=None)[kept:]  # newest first
    for record in old:
        run_id = record.dagster_run.run_id
        instance.delete_run(run_id)
        shutil.rmtree(Path(instance.root_directory) / "storage" / run_id, ignore_errors=True)
    return len(old)
