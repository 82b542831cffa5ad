"""Resources of the code location: the load's settings and the dbt CLI."""

from __future__ import annotations

import importlib.metadata
from contextlib import contextmanager

import dagster as dg
from dagster_dbt import DbtCliResource
from packaging import version
from pydantic import PrivateAttr

from pipelines.core.config import Config, load_config
from pipelines.core.environment import read_environment
from pipelines.defs.project import dbt_executable, dbt_project
from pipelines.operations.session import load_run


class PmpsSettings(dg.ConfigurableResource):
    """Where the load reads and writes. Unset fields fall back, as docs/inputs.md#7-configuration
    says, to $PMPS_CONFIG / $PMPS_LANDING_DIR / $PMPS_WAREHOUSE_DIR, then the config file; the
    environment is read when the configuration is (not through dg.EnvVar: an EnvVar whose
    variable is unset stops the resource, and every one of these is optional).

    In a run (not in a sensor), the resource starts and ends the load (operations.session):
    the warehouse's load lock is held for the whole run, so one load at a time writes a
    warehouse (`pmps load` takes it before the run and says so with ``lock_held``), every file
    the run creates is private to its owner (the published outputs are opened to readers
    explicitly), an interrupted load's release is finished first, and the run history is kept
    to its newest runs at the end.
    """

    config_file: str | None = None
    landing_dir: str | None = None
    warehouse_dir: str | None = None
    lock_retries: int = 3  # a step that finds warehouse.duckdb locked is run again ...
    lock_retry_seconds: float = 10.0  # ... after this many seconds
    accept_drop: bool = False  # publish even when the publish guard would hold the load back
    lock_held: bool = False  # the run's caller (`pmps load`) holds the load lock already

    _config: Config | None = PrivateAttr(default=None)

    def load(self) -> Config:
        """The configuration, read and checked once for this resource (a run, a sensor's
        evaluation); every step and check of the run is handed the same one."""
        if self._config is None:
            self._config = load_config(self.config_file, self.landing_dir, self.warehouse_dir,
                                       environ=read_environment())
        return self._config

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext):
        if context.dagster_run is None:  # a sensor's evaluation: nothing is written
            yield self
            return
        with load_run(self.load().warehouse_dir, context.instance, lock_held=self.lock_held,
                      retries=self.lock_retries, retry_seconds=self.lock_retry_seconds):
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
