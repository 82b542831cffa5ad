"""Resources of the code location: the load's settings and the dbt CLI."""

from __future__ import annotations

import importlib.metadata
import os
from contextlib import contextmanager

import dagster as dg
from dagster_dbt import DbtCliResource
from packaging import version

from pipelines.core.config import Config, load_config
from pipelines.core.lock import load_lock
from pipelines.core.warehouse import PRIVATE_UMASK
from pipelines.defs.project import dbt_executable, dbt_project


class PmpsSettings(dg.ConfigurableResource):
    """Where the load reads and writes. Unset fields fall back, as CONTRACT.md section 2 says,
    to $PMPS_CONFIG / $PMPS_LANDING_DIR / $PMPS_WAREHOUSE_DIR, then the config file.

    In a run (not in a sensor), the resource holds the warehouse's load lock for the whole
    run, so one load at a time writes a warehouse, and makes every file the run creates
    private to its owner (the published outputs are opened to readers explicitly).
    """

    config_file: str | None = None
    landing_dir: str | None = None
    warehouse_dir: str | None = None
    lock_retries: int = 3  # a step that finds warehouse.duckdb locked is run again ...
    lock_retry_seconds: float = 10.0  # ... after this many seconds
    accept_drop: bool = False  # publish even when the publish guard would hold the load back

    def load(self) -> Config:
        return load_config(self.config_file, self.landing_dir, self.warehouse_dir)

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext):
        if context.dagster_run is None:  # a sensor's evaluation: nothing is written
            yield self
            return
        os.umask(PRIVATE_UMASK)
        with load_lock(self.load().warehouse_dir):
            yield self


class DbtCli(DbtCliResource):
    """dagster-dbt's dbt CLI resource without two costs it pays on every call, each about as
    long as a dbt start (3 s on a 2-core machine), for nothing this project uses:

    - it runs `dbt --version` in a subprocess to learn the version; the dbt executable here
      is the dbt-core installed beside this Python (project.dbt_executable), so the
      package's version is the answer;
    - it builds a dbt adapter in this process, only to fetch row counts and column metadata,
      which the project does not ask for.

    dbt itself still runs in its own process, through DbtCliResource.cli.
    """

    @property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 - the hook's signature
        return None


def build_resources() -> dict[str, object]:
    return {
        "pmps": PmpsSettings(),
        "dbt": DbtCli(project_dir=dbt_project, dbt_executable=dbt_executable()),
    }
