"""Running the nightly load in-process for `pmps load`, with progress and a closing summary."""

from __future__ import annotations

import logging
import sys
import warnings
from collections import Counter

import dagster as dg

from pipelines.config import Config
from pipelines.hooks import PROGRESS_LOGGER
from pipelines.issues import REJECTED_FILE
from pipelines.load import LoadRecord
from pipelines.publish import ANALYTICS_DB, PUBLISHED_DIR


def run_config_for(config: Config) -> dict:
    """Point the job's settings at this load's files; Dagster's own log lines stay quiet."""
    return {
        "resources": {"pmps": {"config": {
            "config_file": str(config.source_file) if config.source_file else None,
            "landing_dir": str(config.landing_dir),
            "warehouse_dir": str(config.warehouse_dir),
        }}},
        "loggers": {"console": {"config": {"log_level": "ERROR"}}},
    }


def closing_summary(record: LoadRecord, config: Config) -> str:
    """Files by status, rows loaded and rejected, the top rules, and where the outputs are."""
    audit = record.load_audit
    statuses = Counter(audit["status"])
    loaded = audit[audit["status"] == "loaded"]
    rules = Counter(issue.rule for issue in record.issues)
    lines = [f"load {record.load_id}: " + ", ".join(
        f"{n} {status}" for status, n in sorted(statuses.items()))]
    for row in audit.itertuples(index=False):
        counts = (f"{row.rows_loaded} rows loaded, {row.rows_rejected} rejected"
                  if row.status in ("loaded", "rejected") else "")
        reason = f" ({row.message})" if row.status == "rejected" and row.message else ""
        lines.append(f"  {row.status:<14} {row.file_name}  {counts}{reason}".rstrip())
    lines.append(f"rows: {int(loaded['rows_loaded'].sum())} loaded, "
                 f"{int(loaded['rows_rejected'].sum())} rejected in current files; "
                 f"{sum(1 for i in record.issues if i.severity == REJECTED_FILE)} files rejected")
    if rules:
        lines.append("top rules: " + ", ".join(f"{rule} {n}" for rule, n in rules.most_common(5)))
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


def run_nightly_load(config: Config) -> int:
    """Run the job `nightly_load` in this process; 0 when it published, 1 when it failed."""
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    from pipelines.definitions import defs
    from pipelines.jobs import NIGHTLY_LOAD

    _show_progress()
    print(f"loading {config.landing_dir} into {config.warehouse_dir}")
    job = defs.resolve_job_def(NIGHTLY_LOAD)
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(run_config=run_config_for(config), instance=instance,
                                        raise_on_error=False)
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure:
                error = event.step_failure_data.error
                message = error.message.strip().splitlines()[0] if error else "unknown error"
                print(f"failed in {event.step_key}: {message}", file=sys.stderr)
        print("load failed: nothing was published", file=sys.stderr)
        return 1
    print(closing_summary(result.asset_value(["ingest", "load_issues"]), config))
    return 0
