"""The steps of one load, as plain functions; the Dagster assets only call them.

plan_load        scan the landing folder, read every export, give each file its status
ingest_source    check the current snapshots of one source and store the accepted rows
close_ingest     store the load's ingest issues and its per-file accounting
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import pandas as pd

from pipelines import warehouse
from pipelines.accepted import TYPERS, typed_medications
from pipelines.config import Config
from pipelines.issues import Issue
from pipelines.landing import (
    LOADED,
    REJECTED,
    SUPERSEDED,
    LandingFile,
    assign_statuses,
    scan_landing,
)
from pipelines.readers import ExportTable, MissingColumns, UnreadableFile, read_export
from pipelines.validation import check_export
from schemas import SCHEMAS
from schemas.checks import SchemaContext


@dataclass
class LoadPlan:
    """What one load found in the landing folder."""

    load_id: int
    started_at: dt.datetime
    files: list[LandingFile]
    tables: dict[str, ExportTable] = field(default_factory=dict)  # current files' records
    issues: list[Issue] = field(default_factory=list)  # file-level issues

    def current(self, source: str) -> list[LandingFile]:
        return [f for f in self.files if f.status == LOADED and f.source == source]


@dataclass
class SourceResult:
    """The outcome of ingesting one source: issues and each current file's accounting."""

    source: str
    issues: list[Issue]
    counts: dict[str, tuple[int, int, int]]  # file name -> (rows read, loaded, rejected)
    accepted_mrns: dict[str, set[str]]  # site -> mrns with an accepted row


def read_landing_file(entry: LandingFile, config: Config) -> tuple[LandingFile, ExportTable | None]:
    """Read one well-named export; reject it when unreadable, headerless or empty."""
    if entry.status == REJECTED:
        return entry, None
    try:
        table = read_export(entry.path, entry.source, config.site(entry.site))
    except UnreadableFile as error:
        return entry.rejected("unreadable_file", str(error)), None
    except MissingColumns as error:
        return entry.rejected("missing_columns", str(error)), None
    if table.rows_read == 0:
        return entry.rejected("empty_snapshot", "no data rows"), None
    return replace(entry, rows_read=table.rows_read), table


def file_issue(entry: LandingFile) -> Issue:
    return Issue(entry.file_name, entry.source, entry.site, None, None, None, entry.rule,
                 entry.message)


def unknown_column_issues(entry: LandingFile, table: ExportTable) -> list[Issue]:
    columns, _ = SCHEMAS["questionnaires"]
    return [Issue(entry.file_name, entry.source, entry.site, None, name, None, "unknown_column",
                  f"column {name!r} is not a questionnaire column; kept in raw only")
            for name in table.columns if name and name not in columns]


def plan_load(config: Config, now: dt.datetime | None = None) -> LoadPlan:
    """Scan and read the landing folder, decide each file's status, keep the raw history."""
    with warehouse.connect(config.warehouse_dir) as con:
        load_id = warehouse.next_load_id(con)
        used_before = warehouse.files_used_before(con)
        stored = warehouse.stored_hashes(con)
    read = [read_landing_file(entry, config) for entry in scan_landing(config.landing_dir)]
    tables = {entry.file_name: table for entry, table in read if table is not None}
    files = assign_statuses([entry for entry, _ in read], used_before)
    plan = LoadPlan(load_id, now or dt.datetime.now(), files)
    for entry in files:
        if entry.status == REJECTED:
            plan.issues.append(file_issue(entry))
        elif entry.status == LOADED:
            plan.tables[entry.file_name] = tables[entry.file_name]
            if entry.source == "questionnaires":
                plan.issues += unknown_column_issues(entry, tables[entry.file_name])
    history = [warehouse.raw_rows_frame(load_id, entry, tables[entry.file_name])
               for entry in files
               if entry.status in (LOADED, SUPERSEDED) and entry.sha256 not in stored]
    current = pd.DataFrame(
        [(load_id, f.source, f.site, f.file_name, f.export_date, f.sha256) for f in files
         if f.status == LOADED],
        columns=["load_id", "source", "site", "file_name", "export_date", "sha256"])
    with warehouse.connect(config.warehouse_dir) as con:
        for frame in history:
            warehouse.append_frame(con, "raw.export_rows", frame)
        warehouse.replace_table(
            con, "ingest.current_files",
            "load_id INTEGER, source VARCHAR, site VARCHAR, file_name VARCHAR, export_date DATE,"
            " sha256 VARCHAR",
            current)
    return plan


def ingest_source(source: str, plan: LoadPlan, config: Config,
                  accepted_mrns: dict[str, set[str]] | None = None) -> SourceResult:
    """Check every current snapshot of ``source`` and store its accepted rows, typed."""
    issues: list[Issue] = []
    counts: dict[str, tuple[int, int, int]] = {}
    frames: list[pd.DataFrame] = []
    mrns: dict[str, set[str]] = {}
    for entry in plan.current(source):
        ctx = SchemaContext(config.site(entry.site), entry.export_date)
        known = None if accepted_mrns is None else accepted_mrns.get(entry.site, set())
        checked = check_export(source, plan.tables[entry.file_name], entry, ctx, known)
        issues += checked.issues
        counts[entry.file_name] = (checked.rows_read, checked.rows_loaded, checked.rows_rejected)
        frames.append(TYPERS[source](checked.rows, ctx, entry.site, entry.file_name))
        if checked.unconvertible is not None and len(checked.unconvertible):
            frames.append(typed_medications(checked.unconvertible, ctx, entry.site,
                                            entry.file_name, convertible=False))
        mrns[entry.site] = set(checked.rows["mrn"])
    frames = [f for f in frames if len(f)]
    accepted = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    with warehouse.connect(config.warehouse_dir) as con:
        warehouse.replace_table(con, f"ingest.{source}", warehouse.INGEST_TABLES[source],
                                accepted)
    return SourceResult(source, issues, counts, mrns)


def load_audit_frame(plan: LoadPlan, results: list[SourceResult]) -> pd.DataFrame:
    """One row per file seen, with the accounting of CONTRACT.md section 3."""
    counts: dict[str, tuple[int, int, int]] = {}
    for result in results:
        counts.update(result.counts)
    rows = []
    for entry in plan.files:
        if entry.status == LOADED:
            read, loaded, rejected = counts[entry.file_name]
        elif entry.status == REJECTED:
            read, loaded, rejected = entry.rows_read, 0, entry.rows_read
        else:
            read = loaded = rejected = 0
        rows.append({
            "load_id": plan.load_id, "file_name": entry.file_name, "source": entry.source,
            "site": entry.site, "export_date": entry.export_date, "sha256": entry.sha256,
            "status": entry.status, "rows_read": read, "rows_loaded": loaded,
            "rows_rejected": rejected, "message": entry.message or None,
            "loaded_at": plan.started_at,
        })
    return pd.DataFrame(rows)


@dataclass
class LoadRecord:
    """What the ingest step hands to publishing: the accounting and the issues it found."""

    load_id: int
    load_audit: pd.DataFrame
    issues: list[Issue]


def close_ingest(config: Config, plan: LoadPlan, results: list[SourceResult]) -> LoadRecord:
    """Store the load's ingest issues (dbt adds those only scores reveal) and its accounting."""
    issues = plan.issues + [issue for result in results for issue in result.issues]
    with warehouse.connect(config.warehouse_dir) as con:
        warehouse.replace_table(con, "ingest.load_issues", warehouse.ISSUE_DDL,
                                warehouse.issues_frame(issues, plan.load_id))
    return LoadRecord(plan.load_id, load_audit_frame(plan, results), issues)
