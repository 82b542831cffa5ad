"""Running the nightly load in-process for `pmps load`, with progress and a closing summary."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import shutil
import sys
import textwrap
import warnings
from collections import Counter
from pathlib import Path

import dagster as dg
import pandas as pd

from pipelines.core import warehouse
from pipelines.core.config import PROJECT_ROOT, Config
from pipelines.core.exit_codes import EXIT_FAILED, EXIT_OK
from pipelines.core.warehouse import WarehouseBusy, ensure_warehouse_dir
from pipelines.defs.assets.dbt import dbt_target_path, warehouse_models
from pipelines.defs.assets.publish import analytics_database
from pipelines.defs.processes import stop_children_on_sigterm
from pipelines.defs.progress import PROGRESS_LOGGER
from pipelines.publish.issue_log import first_of_each_rule
from pipelines.publish.release import ANALYTICS_DB, PUBLISHED_DIR, REPORT_HTML, current_release


def run_config_for(config: Config, environ: dict[str, str] | None = None,
                   accept_drop: bool = False) -> dict:
    """Point the job's settings at this load's files; Dagster's own log lines stay quiet.

    $PMPS_LOCK_RETRIES and $PMPS_LOCK_RETRY_SECONDS tune the wait for a locked warehouse.
    """
    env = os.environ if environ is None else environ
    settings = {
        "config_file": str(config.source_file) if config.source_file else None,
        "landing_dir": str(config.landing_dir),
        "warehouse_dir": str(config.warehouse_dir),
        "accept_drop": accept_drop,
    }
    if env.get("PMPS_LOCK_RETRIES"):
        settings["lock_retries"] = int(env["PMPS_LOCK_RETRIES"])
    if env.get("PMPS_LOCK_RETRY_SECONDS"):
        settings["lock_retry_seconds"] = float(env["PMPS_LOCK_RETRY_SECONDS"])
    return {
        "resources": {"pmps": {"config": settings}},
        "loggers": {"console": {"config": {"log_level": "CRITICAL"}}},
    }


def published_load(config: Config) -> tuple[int, pd.DataFrame, pd.DataFrame]:
    """The load id, files and data-issue counts (as data_quality publishes them) of the
    published load, from warehouse.duckdb's history: the published analytics.duckdb may
    already be held locked by a dashboard, and the load has published either way."""
    load_id = current_release(config.warehouse_dir)
    with warehouse.connect(config.warehouse_dir, read_only=True) as con:
        audit = con.execute("SELECT * FROM main.load_audit WHERE load_id = ? ORDER BY file_name",
                            [load_id]).df()
        quality = con.execute(
            """SELECT load_id, source, site, rule, severity, count(*) AS n FROM main.data_issues
               WHERE load_id = ? GROUP BY ALL""", [load_id]).df()
    return load_id, audit, quality


def published_summary(config: Config) -> str:
    """The closing summary of the load just published; one line saying why when the
    warehouse is held by another process (the load has published all the same)."""
    try:
        return closing_summary(*published_load(config), config)
    except WarehouseBusy as error:
        return (f"load {current_release(config.warehouse_dir)} published; its summary cannot "
                f"be read now: {str(error).splitlines()[0]}")


def closing_summary(load_id: int, audit: pd.DataFrame, data_quality: pd.DataFrame,
                    config: Config) -> str:
    """Files by status, rows loaded and rejected, the top rules, and where the outputs are.

    ``audit`` and ``data_quality`` are the load's rows of the published tables (every issue of
    the load, those dbt derives included).
    """
    statuses = Counter(audit["status"])
    loaded = audit[audit["status"] == "loaded"]
    rules = Counter(dict(data_quality.groupby("rule")["n"].sum()))
    lines = [f"load {load_id}: " + ", ".join(
        f"{n} {status}" for status, n in sorted(statuses.items()))]
    for row in audit.itertuples(index=False):
        counts = (f"{row.rows_loaded} rows loaded, {row.rows_rejected} rejected"
                  if row.status in ("loaded", "rejected") else "")
        reason = f" ({row.message})" if row.status == "rejected" and row.message else ""
        lines.append(f"  {row.status:<14} {row.file_name}  {counts}{reason}".rstrip())
    lines.append(f"rows: {int(loaded['rows_loaded'].sum())} loaded, "
                 f"{int(loaded['rows_rejected'].sum())} rejected in current files; "
                 f"{statuses.get('rejected', 0)} files rejected")
    if rules:
        lines.append("issues by rule: " + ", ".join(f"{rule} {n}"
                                                     for rule, n in rules.most_common()))
        first = first_of_each_rule(config.warehouse_dir, load_id)
        for rule, found in first.groupby("rule", sort=False):
            places = "; ".join(
                row.file_name + (f" row {int(row.row_number)}" if pd.notna(row.row_number)
                                 else "") + (f" {row.column}" if pd.notna(row.column) else "")
                for row in found.itertuples(index=False))
            more = rules[rule] - len(found)
            lines.append(f"  {rule}: {places}" + (f" (+{more} more)" if more > 0 else ""))
        lines.append(f"  (every issue with its value: pmps issues --warehouse "
                     f"{config.warehouse_dir} [--rule R] [--file F])")
    lines.append(f"published: {config.warehouse_dir / ANALYTICS_DB}, "
                 f"{config.warehouse_dir / PUBLISHED_DIR}/")
    return "\n".join(lines)


def _show_progress() -> logging.Logger:
    logger = logging.getLogger(PROGRESS_LOGGER)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


INSTANCE_SETTINGS = PROJECT_ROOT / "config" / "dagster.yaml"


def dagster_home(config: Config) -> Path:
    """Run history lives under the warehouse unless $DAGSTER_HOME says otherwise; the folder
    is private to its owner."""
    ensure_warehouse_dir(config.warehouse_dir)
    home = Path(os.environ.get("DAGSTER_HOME") or config.warehouse_dir / "dagster_home")
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings = home / "dagster.yaml"
    if not settings.exists():
        shutil.copyfile(INSTANCE_SETTINGS, settings)
    return home.resolve()


def error_chain(error) -> list[str]:
    """The first line of an error and of each error that caused it (a held lock names its
    holder in the innermost one)."""
    lines = []
    while error is not None:
        lines.append(error.message.strip().splitlines()[0] if error.message else error.cls_name)
        error = error.cause or error.context
    return lines


def warned_checks(result: dg.ExecuteInProcessResult) -> list[str]:
    """The names of the checks that warned in this run."""
    return sorted({evaluation.check_name for evaluation in result.get_asset_check_evaluations()
                   if not evaluation.passed
                   and evaluation.severity == dg.AssetCheckSeverity.WARN})


DBT_TESTS = warehouse_models.check_keys  # the checks dbt's tests report


def check_counts(result: dg.ExecuteInProcessResult) -> Counter:
    """Checks passed, warned and failed in this run, how many of them are dbt tests, and how
    many are results carried over from the last build (dbt tests of models not rebuilt)."""
    counts: Counter = Counter()
    for evaluation in result.get_asset_check_evaluations():
        if dg.AssetCheckKey(evaluation.asset_key, evaluation.check_name) in DBT_TESTS:
            counts["dbt tests"] += 1
        rebuilt = evaluation.metadata.get("rebuilt")
        if rebuilt is not None and rebuilt.value is False:
            counts["carried over"] += 1
        if evaluation.passed:
            counts["passed"] += 1
        elif evaluation.severity == dg.AssetCheckSeverity.WARN:
            counts["warned"] += 1
        else:
            counts["failed"] += 1
    return counts


def step_seconds(instance: dg.DagsterInstance, run_id: str) -> dict[str, float]:
    """Wall time of each step of a run, from its event log (start to success or failure)."""
    started: dict[str, float] = {}
    seconds: dict[str, float] = {}
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type == dg.DagsterEventType.STEP_START:
            started[event.step_key] = record.timestamp
        elif event.event_type in (dg.DagsterEventType.STEP_SUCCESS,
                                  dg.DagsterEventType.STEP_FAILURE):
            seconds[event.step_key] = record.timestamp - started.get(event.step_key,
                                                                     record.timestamp)
    return seconds


def dbt_failures(target: Path) -> list[str]:
    """The dbt nodes that errored or failed in the last build, from its run_results.json."""
    try:
        results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [f"{result['unique_id']}: {result['status']}: "
            + " ".join(str(result.get("message") or "").split())[:200]
            for result in results.get("results", [])
            if result.get("status") in ("error", "fail")]


def failed_check_messages(result: dg.ExecuteInProcessResult) -> list[str]:
    """The one-line messages of the blocking checks that failed (the publish guard's)."""
    return [str(evaluation.metadata["message"].value)
            for evaluation in result.get_asset_check_evaluations()
            if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
            and "message" in evaluation.metadata and evaluation.metadata["message"].value]


def published(result: dg.ExecuteInProcessResult) -> bool:
    """Whether the run's release switch succeeded. A run succeeds with steps skipped when an
    asset it needs was not materialized upstream, and then nothing was published."""
    step = analytics_database.key.to_python_identifier()
    return any(event.is_step_success and event.step_key == step for event in result.all_events)


def skipped_steps(result: dg.ExecuteInProcessResult) -> list[str]:
    return [event.step_key for event in result.all_events if event.is_step_skipped]


def run_nightly_load(config: Config, accept_drop: bool = False) -> int:
    """Run the job `nightly_load` in this process; 0 when it published, 1 when it failed or
    was held back. The caller holds the warehouse's load lock (`pmps load` takes it before
    Dagster is imported), so the closing summary is read before another load can start."""
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    from pipelines.defs.project import ensure_manifest

    ensure_manifest()
    from pipelines.definitions import defs
    from pipelines.defs.jobs import NIGHTLY_LOAD

    _show_progress()
    stop_children_on_sigterm(lambda: print("load stopped (SIGTERM): nothing was published",
                                           file=sys.stderr))
    print(f"loading {config.landing_dir} into {config.warehouse_dir}")
    job = defs.resolve_job_def(NIGHTLY_LOAD)
    with dg.DagsterInstance.from_config(str(dagster_home(config))) as instance:
        with contextlib.redirect_stdout(io.StringIO()):  # dbt's log lines stay in its files
            result = job.execute_in_process(
                run_config=run_config_for(config, accept_drop=accept_drop), instance=instance,
                raise_on_error=False)
        timings = step_seconds(instance, result.run_id)
        # read while this load still holds the warehouse: no other load changes its history
        succeeded = result.success and published(result)
        summary = published_summary(config) if succeeded else ""
    checks = check_counts(result)
    check_line = ("checks: " + ", ".join(f"{checks[k]} {k}" for k in ("passed", "warned", "failed"))
                  + f" ({checks['dbt tests']} of them dbt tests)")
    if checks["warned"]:
        check_line += " (warned: " + ", ".join(warned_checks(result)) + ")"
    if checks["carried over"]:
        check_line += (f"; {checks['carried over']} of them carried over from the last build"
                       " (dbt tests of models whose inputs did not change)")
    held = failed_check_messages(result)
    if held:
        for message in held:
            print(f"load held back: {message}", file=sys.stderr)
        print(check_line, file=sys.stderr)
        return EXIT_FAILED
    if not succeeded:
        for event in result.all_events:
            if event.is_step_failure:
                print(f"failed in {event.step_key}: "
                      + "; caused by ".join(error_chain(event.step_failure_data.error)),
                      file=sys.stderr)
        if result.success:  # no step failed, yet the release was not switched in
            print("steps skipped (what they need was not materialized): "
                  + ", ".join(skipped_steps(result)), file=sys.stderr)
        for line in dbt_failures(dbt_target_path(config.warehouse_dir))[:10]:
            print(f"  dbt: {line}", file=sys.stderr)
        print(check_line, file=sys.stderr)
        print("load failed: nothing was published", file=sys.stderr)
        return EXIT_FAILED
    print(summary)
    print(check_line)
    print(textwrap.fill("step seconds: " + ", ".join(f"{step} {seconds:.1f}"
                                                     for step, seconds in timings.items()),
                        width=100, subsequent_indent="  ", break_on_hyphens=False))
    print(f"report: {config.warehouse_dir / PUBLISHED_DIR / REPORT_HTML}")
    return EXIT_OK
