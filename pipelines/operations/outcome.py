"""What a finished run of the nightly load says: its checks, its failures, its step times,
and the closing summary of the load it published, for `pmps load` to print."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import dagster as dg
import pandas as pd

from pipelines.core import warehouse
from pipelines.core.config import Config
from pipelines.core.warehouse import WarehouseBusy
from pipelines.defs.assets.dbt import warehouse_models
from pipelines.defs.assets.publish import analytics_database
from pipelines.publish.issue_log import first_of_each_rule
from pipelines.publish.release import ANALYTICS_DB, PUBLISHED_DIR, current_release

DBT_TESTS = warehouse_models.check_keys  # the checks dbt's tests report


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


def check_line(result: dg.ExecuteInProcessResult) -> str:
    """``checks: 40 passed, 1 warned, 0 failed (38 of them dbt tests)``, naming the checks that
    warned and how many results were carried over from the last build."""
    checks = check_counts(result)
    text = ("checks: " + ", ".join(f"{checks[k]} {k}" for k in ("passed", "warned", "failed"))
            + f" ({checks['dbt tests']} of them dbt tests)")
    if checks["warned"]:
        text += " (warned: " + ", ".join(warned_checks(result)) + ")"
    if checks["carried over"]:
        text += (f"; {checks['carried over']} of them carried over from the last build"
                 " (dbt tests of models whose inputs did not change)")
    return text


def failures(result: dg.ExecuteInProcessResult) -> list[str]:
    """A line per failed step, or, when the run failed before any step (a load that could not
    be made ready), its resources' failure: the error and each error that caused it."""
    lines = [f"failed in {event.step_key}: "
             + "; caused by ".join(error_chain(event.step_failure_data.error))
             for event in result.all_events if event.is_step_failure]
    return lines or ["failed before its steps: "
                     + "; caused by ".join(error_chain(event.event_specific_data.error))
                     for event in result.all_events
                     if event.event_type == dg.DagsterEventType.RESOURCE_INIT_FAILURE
                     and getattr(event.event_specific_data, "error", None)]
