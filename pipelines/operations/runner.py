"""Running the nightly load in-process for `pmps load`, with progress and a closing summary.
The caller hands in the job (from the code location, pipelines/definitions.py) and holds the
warehouse's load lock."""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import textwrap
from collections.abc import Mapping

import dagster as dg

from pipelines.core.config import Config
from pipelines.core.exit_codes import EXIT_FAILED, EXIT_OK
from pipelines.defs.assets.dbt import dbt_target_path
from pipelines.defs.progress import PROGRESS_LOGGER
from pipelines.operations import outcome
from pipelines.operations.history import dagster_home
from pipelines.operations.processes import stop_children_on_sigterm
from pipelines.publish.release import PUBLISHED_DIR, REPORT_HTML


def run_config_for(config: Config, env: Mapping[str, str], accept_drop: bool = False) -> dict:
    """Point the job's settings at this load's files, the load lock held by the caller;
    Dagster's own log lines stay quiet.

    $PMPS_LOCK_RETRIES and $PMPS_LOCK_RETRY_SECONDS (in ``env``) tune the wait for a locked
    warehouse.
    """
    settings = {
        "config_file": str(config.source_file) if config.source_file else None,
        "landing_dir": str(config.landing_dir),
        "warehouse_dir": str(config.warehouse_dir),
        "accept_drop": accept_drop,
        "lock_held": True,
    }
    if env.get("PMPS_LOCK_RETRIES"):
        settings["lock_retries"] = int(env["PMPS_LOCK_RETRIES"])
    if env.get("PMPS_LOCK_RETRY_SECONDS"):
        settings["lock_retry_seconds"] = float(env["PMPS_LOCK_RETRY_SECONDS"])
    return {
        "resources": {"pmps": {"config": settings}},
        "loggers": {"console": {"config": {"log_level": "CRITICAL"}}},
    }


def _show_progress() -> logging.Logger:
    logger = logging.getLogger(PROGRESS_LOGGER)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def report_failure(result: dg.ExecuteInProcessResult, config: Config) -> int:
    """Say why nothing was published: the publish guard's message, or what failed."""
    held = outcome.failed_check_messages(result)
    for message in held:
        print(f"load held back: {message}", file=sys.stderr)
    if not held:
        for line in outcome.failures(result):
            print(line, file=sys.stderr)
        if result.success:  # no step failed, yet the release was not switched in
            print("steps skipped (what they need was not materialized): "
                  + ", ".join(outcome.skipped_steps(result)), file=sys.stderr)
        for line in outcome.dbt_failures(dbt_target_path(config.warehouse_dir))[:10]:
            print(f"  dbt: {line}", file=sys.stderr)
    print(outcome.check_line(result), file=sys.stderr)
    if not held:
        print("load failed: nothing was published", file=sys.stderr)
    return EXIT_FAILED


def report_success(result: dg.ExecuteInProcessResult, summary: str,
                   timings: dict[str, float], config: Config) -> int:
    print(summary)
    print(outcome.check_line(result))
    print(textwrap.fill("step seconds: " + ", ".join(f"{step} {seconds:.1f}"
                                                     for step, seconds in timings.items()),
                        width=100, subsequent_indent="  ", break_on_hyphens=False))
    print(f"report: {config.warehouse_dir / PUBLISHED_DIR / REPORT_HTML}")
    return EXIT_OK


def run_nightly_load(job: dg.JobDefinition, config: Config, env: Mapping[str, str],
                     accept_drop: bool = False) -> int:
    """Run ``job`` (nightly_load) in this process, ``env`` the variables pmps reads (the
    lock's retries, $DAGSTER_HOME); 0 when it published, 1 when it failed or was held back.
    The caller holds the warehouse's load lock (`pmps load` takes it before Dagster is
    imported), so the closing summary is read before another load can start."""
    _show_progress()
    stop_children_on_sigterm(lambda: print("load stopped (SIGTERM): nothing was published",
                                           file=sys.stderr))
    print(f"loading {config.landing_dir} into {config.warehouse_dir}")
    home = dagster_home(config.warehouse_dir, env.get("DAGSTER_HOME"))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        with contextlib.redirect_stdout(io.StringIO()):  # dbt's log lines stay in its files
            result = job.execute_in_process(
                run_config=run_config_for(config, env, accept_drop), instance=instance,
                raise_on_error=False)
        timings = outcome.step_seconds(instance, result.run_id)
        # read while this load still holds the warehouse: no other load changes its history
        succeeded = result.success and outcome.published(result)
        summary = outcome.published_summary(config) if succeeded else ""
    if not succeeded or outcome.failed_check_messages(result):
        return report_failure(result, config)
    return report_success(result, summary, timings, config)
