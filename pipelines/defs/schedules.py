"""The nightly schedule: 02:00 every day, in a configurable time zone; off until turned on."""

import dagster as dg

from pipelines.defs.jobs import NIGHTLY_LOAD

NIGHTLY_CRON = "0 2 * * *"
DEFAULT_TIMEZONE = "UTC"  # unless $PMPS_SCHEDULE_TIMEZONE names another


def nightly_schedule(timezone: str = DEFAULT_TIMEZONE) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="nightly_load_schedule", job_name=NIGHTLY_LOAD, cron_schedule=NIGHTLY_CRON,
        execution_timezone=timezone, default_status=dg.DefaultScheduleStatus.STOPPED,
        description="Runs nightly_load at 02:00 every day ($PMPS_SCHEDULE_TIMEZONE, default UTC).")
