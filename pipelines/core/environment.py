"""The environment variables pmps reads (docs/inputs.md#8-environment-variables), read in this
one place.

Only the entry points call :func:`read_environment`: the `pmps` command, once per command; the
code location, when Dagster loads it (the schedule's time zone); and its ``pmps`` resource,
when a run or a sensor's evaluation reads the configuration. What they call is handed the
values.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

VARIABLES = (
    "PMPS_CONFIG", "PMPS_LANDING_DIR", "PMPS_WAREHOUSE_DIR", "PMPS_ENGINE", "PMPS_PSEUDONYM_KEY",
    "PMPS_LOCK_RETRIES", "PMPS_LOCK_RETRY_SECONDS", "PMPS_SCHEDULE_TIMEZONE", "DAGSTER_HOME",
)


def read_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables pmps reads that are set (one set to nothing counts as unset), from the
    process's environment unless ``environ`` is given."""
    source = os.environ if environ is None else environ
    return {name: source[name] for name in VARIABLES if source.get(name)}
