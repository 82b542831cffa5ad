"""The publish guard (docs/rules.md#11-publish-guard): a load whose analysis population shrinks
by more than ``publish_guard.max_drop_pct`` from the published one, or to nothing, is held back.
The published load's population is read from warehouse.duckdb, where its history recorded it
(pipelines/publish/release.py), never from the published analytics.duckdb, which a reader may
hold locked."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.core import warehouse
from pipelines.publish.release import ANALYTICS_DB, current_release, release_dir


def analysis_population(database: Path) -> int | None:
    """Patients in the analysis in a release's database (None when there is none)."""
    if not database.is_file():
        return None
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM patients WHERE in_analysis").fetchone()[0]
    finally:
        con.close()


def published_population(warehouse_dir: Path) -> int | None:
    """The analysis population of the published load (None before the first publish), as
    recorded with its history in warehouse.duckdb, so that the guard never opens the published
    analytics.duckdb, which a reader may hold locked."""
    load_id = current_release(warehouse_dir)
    if load_id is None:
        return None
    with warehouse.connect(warehouse_dir, read_only=True) as con:
        row = con.execute("SELECT in_analysis FROM main.load_populations WHERE load_id = ?",
                          [load_id]).fetchone()
    if row is not None:
        return row[0]
    # A release published before the warehouse recorded populations: its own database, read
    # once (the next publish records its population).
    return analysis_population(release_dir(warehouse_dir, load_id) / ANALYTICS_DB)


def guard_message(new: int, previous: int | None, max_drop_pct: float) -> str | None:
    """Why the publish guard holds back a load whose analysis population is ``new`` when the
    published one is ``previous``; None when it may be published."""
    if not previous:
        return None  # the first load, or nothing to lose
    drop = 100.0 * (previous - new) / previous
    if new == 0 or drop > max_drop_pct:
        return (f"the analysis population would drop from {previous} to {new} patients "
                f"({drop:.0f}% > publish_guard.max_drop_pct {max_drop_pct:g}%): nothing was "
                "published; `pmps load --accept-drop` publishes it anyway")
    return None
