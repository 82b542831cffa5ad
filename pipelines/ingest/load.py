"""The steps of one load, as plain functions; the Dagster assets only call them.

Rows stay in ``warehouse.duckdb`` between the steps (staged text, then typed accepted rows and
issue tables); each step returns a small summary of counts.

plan_load        scan the landing folder, read every export not read before under the same
                 check key (reuse.py), give each file its status, stage the rows the checks
                 and the raw history need and keep the raw history
ingest_source    check the current snapshots of one source (or take an unchanged file's checks
                 from an earlier load) and store the accepted rows
close_ingest     gather the load's data issues and its per-file accounting
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from dataclasses import replace
from pathlib import Path

import duckdb
import polars as pl

from pipelines.core import engine, warehouse
from pipelines.core.config import Config
from pipelines.core.issues import Issue, issues_frame, with_severity
from pipelines.core.pseudonym import load_key, patient_key
from pipelines.core.reference import SOURCES
from pipelines.core.warehouse import LANDING_FILES_COLUMNS, polars_schema
from pipelines.ingest import reuse
from pipelines.ingest.landing import (
    LOADED,
    REJECTED,
    SUPERSEDED,
    ExportName,
    LandingFile,
    assign_statuses,
    scan_landing,
)
from pipelines.ingest.raw import ensure_raw_tables, raw_rows_table, stored_hashes
from pipelines.ingest.readers import (
    ExportTable,
    MissingColumns,
    UnreadableFile,
    read_export,
)
from pipelines.ingest.validation import RowChecks, check_known_patients, check_rows, without_rows
from schemas import SOURCE_SPECS
from schemas.columns import SchemaContext
from schemas.fields import DATE_CELL
from schemas.source import ROW_NUMBER

NOT_CHECKED = reuse.ReadOutcome(None, None, 0, (), checked=False)


def read_landing_file(entry: LandingFile, config: Config) -> tuple[LandingFile, ExportTable | None]:
    """Read one well-named export; reject it when unreadable, headerless or empty."""
    if entry.status == REJECTED:
        return entry, None
    try:
        table = read_export(entry.path, entry.source, config.site(entry.site), config.limits)
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


def unknown_column_issues(entry: LandingFile, header: list[str]) -> list[Issue]:
    columns = SOURCE_SPECS["questionnaires"].columns
    return [Issue(entry.file_name, entry.source, entry.site, None, name, None, "unknown_column",
                  f"column {name!r} is not a questionnaire column; kept in raw only")
            for name in header if name and name not in columns]


MALFORMED = "malformed: message"  # a staged row's malformed_row message, if any


def staged_frame(source: str, table: ExportTable) -> pl.DataFrame:
    """One readable file's rows as read: the known columns (with their date cells), other
    columns as one JSON object, and why a record does not fit the header, if it does not."""
    columns = SOURCE_SPECS[source].columns
    other = [name for name in table.names if name not in columns]
    date_cells = [c for c in table.rows.columns if c.startswith(DATE_CELL)]
    return table.rows.select(
        ROW_NUMBER, *[c for c in table.names if c in columns], *date_cells,
        (pl.struct(other).struct.json_encode() if other else pl.lit(None, pl.String))
        .alias("other_columns"),
    ).join(table.malformed.rename({"message": MALFORMED}), on=ROW_NUMBER, how="left")


def staged_table(frame: pl.DataFrame) -> ExportTable:
    """The rows a source's step checks, from their staged frame."""
    malformed = frame.filter(pl.col(MALFORMED).is_not_null()).select(
        ROW_NUMBER, pl.col(MALFORMED).alias("message"))
    return ExportTable(0, [], frame.drop("other_columns", MALFORMED), malformed)


def stage_rows(folder: Path, position: int, frame: pl.DataFrame) -> str:
    """Write staged rows to ``folder`` (Arrow IPC, readable by the owner only)."""
    name = f"{position}.arrow"
    frame.write_ipc(folder / name)
    (folder / name).chmod(0o600)
    return name


def landing_files_frame(load_id: int, started_at: dt.datetime, files: list[LandingFile],
                        staged: dict[str, str], keys: dict[str, str | None]) -> pl.DataFrame:
    """One row per file seen; rows of loaded files are counted by their source's step."""
    return pl.DataFrame([{
        "load_id": load_id, "file_name": f.file_name, "source": f.source, "site": f.site,
        "export_date": f.export_date, "sha256": f.sha256, "status": f.status, "rule": f.rule,
        "message": f.message or None,
        "rows_read": f.rows_read if f.status == REJECTED else 0,
        "rows_loaded": 0, "rows_rejected": f.rows_read if f.status == REJECTED else 0,
        "loaded_at": started_at, "staged_as": staged.get(f.file_name),
        "check_key": keys.get(f.file_name)} for f in files],
        schema=polars_schema(LANDING_FILES_COLUMNS))


class Stage:
    """The text rows of the files this load reads, staged as Arrow IPC in the work folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.names: dict[str, str] = {}  # file name -> staged file
        self.headers: dict[str, tuple[str, ...]] = {}

    def read(self, entry: LandingFile, config: Config) -> LandingFile:
        """Read one file (its status and rows read as found) and stage its rows."""
        entry, table = read_landing_file(entry, config)
        if table is not None:
            self.names[entry.file_name] = stage_rows(self.folder, len(self.names),
                                                     staged_frame(entry.source, table))
            self.headers[entry.file_name] = tuple(table.columns)
        return entry

    def rows(self, entry: LandingFile) -> pl.DataFrame:
        return pl.read_ipc(self.folder / self.names[entry.file_name])


def from_outcome(entry: LandingFile, outcome: reuse.ReadOutcome) -> LandingFile:
    """A file as an earlier read of the same key found it."""
    if outcome.rule:
        return entry.rejected(outcome.rule, outcome.message or "", outcome.rows_read)
    return replace(entry, rows_read=outcome.rows_read)


def raw_frame(rows: pl.DataFrame, entry: LandingFile, load_id: int) -> pl.DataFrame:
    """A file's staged rows as the raw history keeps them, with their lineage."""
    return rows.drop(MALFORMED, *(c for c in rows.columns if c.startswith(DATE_CELL))
                     ).with_columns(load_id=pl.lit(load_id), file_name=pl.lit(entry.file_name),
                                    sha256=pl.lit(entry.sha256), site=pl.lit(entry.site),
                                    export_date=pl.lit(entry.export_date))


def plan_load(config: Config, now: dt.datetime | None = None) -> dict[str, int]:
    """Scan the landing folder, read every file not read before under the same check key,
    decide each file's status, stage the rows the checks and the raw history need and keep
    the raw history. Returns the load id and the files per status."""
    started_at = now or dt.datetime.now()
    stage = Stage(warehouse.fresh_work_dir(config.warehouse_dir))
    with warehouse.connect(config.warehouse_dir) as con:
        reuse.ensure_tables(con)
        outcomes = reuse.read_outcomes(con) if config.reuse else {}
    read, keys, headers = [], {}, {}
    for entry in scan_landing(config.landing_dir):
        key = keys[entry.file_name] = reuse.check_key(entry, config)
        outcome = outcomes.get(key)
        if outcome is not None:
            entry = from_outcome(entry, outcome)
            headers[entry.file_name] = outcome.columns
        else:
            entry = stage.read(entry, config)
        read.append(entry)
    headers |= stage.headers
    with warehouse.connect(config.warehouse_dir) as con:
        load_id = warehouse.next_load_id(con)
        files = assign_statuses(read, warehouse.files_used_before(con))
        ensure_raw_tables(con)
        stored = stored_hashes(con)
        for entry in files:  # what an earlier read left unstaged and this load needs
            new_raw = entry.status in (LOADED, SUPERSEDED) and entry.sha256 not in stored
            unchecked = (entry.status == LOADED
                         and not outcomes.get(keys[entry.file_name], NOT_CHECKED).checked)
            if (new_raw or unchecked) and entry.file_name not in stage.names:
                stage.read(entry, config)
        issues: list[Issue] = []
        for entry in files:
            if entry.status == REJECTED:
                issues.append(file_issue(entry))
            elif entry.status == LOADED and entry.source == "questionnaires":
                issues += unknown_column_issues(entry, list(headers[entry.file_name]))
        for source in SOURCES:  # one insert per source: DuckDB appends large batches fastest
            new = []
            for entry in files:
                if (entry.source == source and entry.status in (LOADED, SUPERSEDED)
                        and entry.sha256 not in stored):
                    stored.add(entry.sha256)
                    new.append(raw_frame(stage.rows(entry), entry, load_id))
            if new:
                warehouse.append_frame(con, raw_rows_table(source),
                                       pl.concat(new, how="diagonal_relaxed"))
        reuse.record_reads(con, [(keys[e.file_name], e, headers.get(e.file_name, ()))
                                 for e in read if keys[e.file_name] is not None
                                 and keys[e.file_name] not in outcomes])
        warehouse.replace_table(con, "ingest.landing_files", warehouse.LANDING_FILES_DDL,
                                landing_files_frame(load_id, started_at, files, stage.names,
                                                    keys))
        warehouse.replace_table(con, "ingest.issues_landing", warehouse.LOAD_ISSUE_DDL,
                                with_severity(issues_frame(issues)))
    statuses = Counter(f.status for f in files)
    return {"load_id": load_id, **statuses}


def current_files(con: duckdb.DuckDBPyConnection, source: str,
                  config: Config) -> list[tuple[LandingFile, str | None, str]]:
    """The loaded (current) files of ``source`` in this load, with their staged rows (None
    when their checks are reused) and their check key."""
    rows = con.execute(
        """SELECT file_name, site, export_date, sha256, staged_as, check_key
           FROM ingest.landing_files
           WHERE status = 'loaded' AND source = ? ORDER BY file_name""", [source]).fetchall()
    return [(LandingFile(name, config.landing_dir / name, sha256,
                         ExportName(source, site, export), status=LOADED), staged_as, key)
            for name, site, export, sha256, staged_as, key in rows]


def accepted_mrns(con: duckdb.DuckDBPyConnection, site: str) -> pl.Series:
    """The mrns with an accepted row in the site's current patients snapshot."""
    return con.sql("SELECT DISTINCT mrn FROM ingest.patients WHERE site = ?",
                   params=[site]).pl()["mrn"]


def typed_checks(source: str, checks: RowChecks, entry: LandingFile,
                 ctx: SchemaContext) -> RowChecks:
    """A file's row checks with its passed (and unconvertible) rows typed for the ingest."""
    spec = SOURCE_SPECS[source]
    unconvertible = checks.unconvertible
    if unconvertible is not None:
        unconvertible = spec.typed(unconvertible, ctx, entry.site, entry.file_name,
                                   convertible=False)
    return replace(checks, candidates=spec.typed(checks.candidates, ctx, entry.site,
                                                 entry.file_name), unconvertible=unconvertible)


def ingest_source(source: str, config: Config) -> dict[str, int]:
    """Check every current snapshot of ``source`` (or take an unchanged one's steps 1 and 2
    from an earlier load) and store its accepted rows, typed, with the issues found and each
    file's accounting. Returns the files, rows read, loaded and rejected, and issues."""
    spec = SOURCE_SPECS[source]
    issues, unknown, keys = [], [], []
    totals = Counter()
    with warehouse.connect(config.warehouse_dir) as con:
        files = current_files(con, source, config)
        checked = ({key for key, outcome in reuse.read_outcomes(con).items() if outcome.checked}
                   if config.reuse else set())
        folder = warehouse.work_dir(config.warehouse_dir)
        for entry, staged_as, key in files:
            if key in checked:
                row_checks = reuse.stored_checks(con, key, source)
                totals.update(reused=1)
            else:
                ctx = SchemaContext(config.site(entry.site), entry.export_date)
                table = staged_table(pl.read_ipc(folder / staged_as))
                row_checks = typed_checks(source, check_rows(source, table, entry, ctx),
                                          entry, ctx)
                reuse.store_checks(con, key, source, row_checks)
            known = None if source == "patients" else accepted_mrns(con, entry.site)
            checked_export = check_known_patients(row_checks, known, entry)
            unknown.append(without_rows(row_checks.candidates.select(ROW_NUMBER),
                                        checked_export.rows.select(ROW_NUMBER))
                           .with_columns(pl.lit(key).alias("check_key")))
            keys.append(key)
            issues.append(checked_export.issues)
            con.execute(
                """UPDATE ingest.landing_files SET rows_read = ?, rows_loaded = ?,
                   rows_rejected = ? WHERE file_name = ?""",
                [checked_export.rows_read, checked_export.rows_loaded,
                 checked_export.rows_rejected, entry.file_name])
            totals.update(rows_read=checked_export.rows_read,
                          rows_loaded=checked_export.rows_loaded,
                          rows_rejected=checked_export.rows_rejected,
                          issues=checked_export.issues.height)
        con.register("current_keys", pl.DataFrame({"check_key": keys},
                                                  schema={"check_key": pl.String}).to_arrow())
        con.register("unknown_rows", pl.concat(
            [*unknown, pl.DataFrame(schema={ROW_NUMBER: pl.Int32, "check_key": pl.String})],
            how="vertical_relaxed").to_arrow())
        try:
            warehouse.replace_table(con, spec.ingest_table, spec.ingest_columns)
            con.execute(f"INSERT INTO {spec.ingest_table} BY NAME "
                        f"{reuse.accepted_rows_sql(source)}")
        finally:
            con.unregister("current_keys")
            con.unregister("unknown_rows")
        warehouse.replace_table(con, f"ingest.issues_{source}", warehouse.LOAD_ISSUE_DDL,
                                pl.concat(issues) if issues else None)
    return {"files": len(files), **totals}


def record_patient_keys(config: Config) -> int:
    """One pseudonym per accepted patient, into ``ingest.patient_keys`` (site, mrn,
    patient_key), which the marts join in SQL. Returns the number of patients."""
    key = load_key(config.warehouse_dir, config.pseudonym_key)
    with warehouse.connect(config.warehouse_dir) as con:
        patients = con.sql("SELECT DISTINCT site, mrn FROM ingest.patients").pl()
        keys = [patient_key(key, site, mrn) for site, mrn in patients.iter_rows()]
        warehouse.replace_table(
            con, "ingest.patient_keys", "site VARCHAR, mrn VARCHAR, patient_key VARCHAR",
            patients.with_columns(pl.Series("patient_key", keys, dtype=pl.String)))
    return patients.height


def close_ingest(config: Config) -> dict[str, int]:
    """Gather the load's ingest issues (dbt adds those only scores reveal) and its per-file
    accounting into ``ingest.load_issues`` and ``ingest.load_audit``."""
    union = " UNION ALL BY NAME ".join(f"SELECT * FROM {t}" for t in warehouse.ISSUE_TABLES)
    shutil.rmtree(warehouse.work_dir(config.warehouse_dir), ignore_errors=True)
    with warehouse.connect(config.warehouse_dir) as con:
        reuse.keep_only(con, (key for (key,) in con.execute(
            "SELECT check_key FROM ingest.landing_files WHERE check_key IS NOT NULL"
        ).fetchall()))
        con.execute(f"""CREATE OR REPLACE TABLE ingest.load_issues AS
            SELECT (SELECT max(load_id) FROM ingest.landing_files) AS load_id,
                   {warehouse.quoted(warehouse.LOAD_ISSUE_COLUMNS)}
            FROM ({union}) ORDER BY file_name, row_number NULLS FIRST""")
        con.execute(f"""CREATE OR REPLACE TABLE ingest.current_files AS
            SELECT load_id, source, site, file_name, export_date, sha256, rows_read,
                   rows_loaded, rows_rejected
            FROM ingest.landing_files WHERE status = '{LOADED}'""")
        load_audit = ", ".join(warehouse.LOAD_FILE_COLUMNS)
        con.execute(f"""CREATE OR REPLACE TABLE ingest.load_audit AS
            SELECT {load_audit} FROM ingest.landing_files ORDER BY file_name""")
        issues, rejected = con.execute(
            """SELECT (SELECT count(*) FROM ingest.load_issues),
                      (SELECT coalesce(sum(rows_rejected), 0) FROM ingest.load_audit)"""
        ).fetchone()
        if config.engine == "spark":  # Spark reads the accepted rows as Parquet
            engine.hand_over_ingest(con, config.handover_dir)
    return {"issues": issues, "rows_rejected": int(rejected)}
