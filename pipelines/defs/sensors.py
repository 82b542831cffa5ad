"""A sensor on the landing folder: a run when a file with new bytes arrives.

The cursor keeps the sha256 of every file already seen, so an unchanged folder or a
re-delivered file (same bytes, any name) starts nothing, and a re-export with new bytes does.
"""

import hashlib
import json

import dagster as dg

from pipelines.defs.jobs import NIGHTLY_LOAD
from pipelines.defs.resources import PmpsSettings
from pipelines.ingest.landing import scan_landing


def new_hashes(seen: set[str], current: set[str]) -> set[str]:
    return current - seen


def run_key_for(hashes: set[str]) -> str:
    """The same new files always give the same run key."""
    return hashlib.sha256(",".join(sorted(hashes)).encode()).hexdigest()[:32]


@dg.sensor(job_name=NIGHTLY_LOAD, minimum_interval_seconds=300,
           default_status=dg.DefaultSensorStatus.STOPPED,
           description="Starts nightly_load when the landing folder has new or changed files.")
def landing_folder_sensor(context: dg.SensorEvaluationContext, pmps: PmpsSettings):
    landing = pmps.load().landing_dir
    if not landing.is_dir():
        return dg.SkipReason(f"landing folder {landing} does not exist")
    seen = set(json.loads(context.cursor)) if context.cursor else set()
    current = {entry.sha256 for entry in scan_landing(landing) if entry.sha256}
    arrived = new_hashes(seen, current)
    if not arrived:
        return dg.SkipReason("no new or changed files")
    context.update_cursor(json.dumps(sorted(seen | current)))
    return dg.RunRequest(run_key=run_key_for(arrived),
                         tags={"pmps/new_files": str(len(arrived))})
