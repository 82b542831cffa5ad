"""Publishing a load: the de-identified ``analytics.duckdb``, the summary CSVs and the report.

Each load writes its outputs into a folder of its own, ``<warehouse>/releases/<load_id>/``, by
SQL: the new database is ATTACHed to the warehouse and filled by ``INSERT ... SELECT`` of the
published columns of the marts (which name patients by the patient_key the ingest gave each of
them). The published paths are symbolic links through one switch::

    analytics.duckdb -> current/analytics.duckdb
    published        -> current/published
    current          -> releases/<load_id>

Once the load is recorded in the warehouse's history, ``current`` is replaced by one rename,
so every output switches together: a reader never waits for a load, never blocks it, and
never sees half of one (to read several outputs of one load, resolve ``current`` once). The
previous release stays for readers still on it; older ones are removed. A load interrupted
between its record and its switch is switched by the next load before it starts.

``current`` is the one answer to "which load is published": `pmps issues` takes its default
load from it, and the publish guard compares with the analysis population recorded in
warehouse.duckdb for it (``main.load_populations``), so a load never opens a published file,
which a reader may hold locked.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.core import builds, warehouse
from pipelines.core.reference import seed_path
from pipelines.core.tables import PUBLISHED_COLUMNS, REFERENCE_TABLES, TABLE_DDL, columns_of
from pipelines.publish import (
    baseline,
    courses,
    dictionary,
    exports,
    issue_log,
    previous,
    summaries,
)

ANALYTICS_DB = "analytics.duckdb"
PUBLISHED_DIR = "published"
REPORT_HTML = "report.html"
DICTIONARY_CSV = "data_dictionary.csv"
RELEASES_DIR = "releases"
CURRENT = "current"
COMPLETE = ".complete"  # written last into a release folder: every output is there
STAGED = "analytics"  # the staged database's name while it is attached
PUBLISHED_FILE_MODE, PUBLISHED_DIR_MODE = 0o644, 0o755  # de-identified: anyone may read

# This load's data issues with its id: dbt's load_data_issues holds none, so that a load that
# changed nothing rebuilds no model (pipelines/core/builds.py).
THIS_LOAD_ISSUES = ("SELECT (SELECT max(load_id) FROM ingest.landing_files) AS load_id, * "
                    "FROM main.load_data_issues")

SUMMARY_CSVS = ("group_summary", "change_summary", "responder_summary",
                "baseline_characteristics")

# The marts of patients and the order of their published rows: the same on every load and on
# either engine (Spark writes its Parquet in an order of its own).
PATIENT_TABLES = {
    "patients": "ORDER BY site, mrn",
    "outcomes": "ORDER BY site, mrn, visit_order, param_code",
    "questionnaire_items": "ORDER BY site, mrn, visit_code, item",
}


def release_dir(warehouse_dir: Path, load_id: int) -> Path:
    return Path(warehouse_dir) / RELEASES_DIR / str(load_id)


def current_release(warehouse_dir: Path) -> int | None:
    """The load id of the published release, if any."""
    try:
        return int(Path(os.readlink(Path(warehouse_dir) / CURRENT)).name)
    except (OSError, ValueError):
        return None


def output_paths(warehouse_dir: Path) -> list[Path]:
    """The published outputs as readers name them (docs/tables.md#1-warehouse-folder)."""
    warehouse_dir = Path(warehouse_dir)
    return [warehouse_dir / ANALYTICS_DB,
            *(warehouse_dir / PUBLISHED_DIR / f"{t}.csv" for t in SUMMARY_CSVS),
            warehouse_dir / PUBLISHED_DIR / REPORT_HTML]


def _insert(con: duckdb.DuckDBPyConnection, table: str, query: str) -> None:
    con.execute(f"CREATE TABLE {STAGED}.{table} ({TABLE_DDL[table]})")
    con.execute(f"INSERT INTO {STAGED}.{table} BY NAME {query}")


# Computed from outcomes alone: copied with it when every site of it is unchanged.
OUTCOME_SUMMARIES = ("group_summary", "change_summary", "responders", "responder_summary")
# Computed from patients and outcomes: copied with them when both are unchanged.
PATIENT_SUMMARIES = ("baseline_characteristics", "outcomes_wide")


def _insert_by_site(con: duckdb.DuckDBPyConnection, table: str, order: str,
                    kept: str | None) -> bool:
    """A patients' table in its published order, site by site: a site whose published rows
    are unchanged since the release attached as ``kept`` is copied from it. Returns whether
    every site was copied (the whole table is unchanged)."""
    columns = columns_of(table)
    select = f"SELECT {', '.join(columns)} FROM main.{table}"
    if not previous.has_table(con, kept, table, columns):
        _insert(con, table, f"{select} {order}")
        return False
    con.execute(f"CREATE TABLE {STAGED}.{table} ({TABLE_DDL[table]})")
    fresh = previous.site_digests(con, f"main.{table}", columns)
    before = previous.site_digests(con, f"{kept}.{table}", columns)
    for site in sorted(fresh):  # the first key of every patient table's order
        if before.get(site) == fresh[site]:
            con.execute(f"INSERT INTO {STAGED}.{table} SELECT * FROM {kept}.{table} "
                        "WHERE site = ?", [site])
        else:
            con.execute(f"INSERT INTO {STAGED}.{table} BY NAME {select} WHERE site = ? {order}",
                        [site])
    return fresh == before


def build_database(con: duckdb.DuckDBPyConnection, staged: Path,
                   kept: str | None = None) -> frozenset[str]:
    """Fill a new ``analytics.duckdb`` at ``staged`` from the warehouse open on ``con``,
    taking unchanged rows from the published release attached as ``kept`` (if any). Returns
    the tables whose rows are those of the published release, in the same order."""
    con.execute(f"ATTACH '{staged}' AS {STAGED}")
    try:
        whole = {table: _insert_by_site(con, table, order, kept)
                 for table, order in PATIENT_TABLES.items()}
        _insert(con, "study_flow", "SELECT * FROM main.study_flow ORDER BY site, step, reason")
        copied = {table for table, same in whole.items() if same}
        for tables, sources, compute in ((OUTCOME_SUMMARIES, {"outcomes"}, summarise_outcomes),
                                         (PATIENT_SUMMARIES, {"patients", "outcomes"},
                                          summarise_patients)):
            if sources <= copied and all(previous.has_table(con, kept, t, columns_of(t))
                                         for t in tables):
                for table in tables:
                    _insert(con, table, f"SELECT * FROM {kept}.{table}")
                copied.update(tables)
            else:
                compute(con)
        for table, seed in REFERENCE_TABLES.items():
            types = ", ".join(f"'{c}': '{t}'" for c, t in PUBLISHED_COLUMNS[table].items())
            _insert(con, table, f"SELECT * FROM read_csv('{seed_path(seed)}', header = true, "
                                f"columns = {{{types}}})")
        _insert(con, "load_audit", """
            SELECT * FROM (SELECT * FROM main.load_audit UNION ALL BY NAME
                           SELECT * FROM ingest.load_audit) ORDER BY load_id, file_name""")
        _insert(con, "data_quality", f"""
            SELECT load_id, source, site, rule, severity, count(*) AS n
            FROM (SELECT * FROM main.data_issues UNION ALL BY NAME {THIS_LOAD_ISSUES})
            GROUP BY ALL
            ORDER BY load_id, source NULLS FIRST, site NULLS FIRST, rule, severity""")
        for statement in dictionary.comment_statements(STAGED):
            con.execute(statement)
        # a table copied whole is the published one, row for row; the others are compared
        return frozenset(copied) | frozenset(
            table for table in PUBLISHED_COLUMNS if table not in copied
            and previous.has_table(con, kept, table, columns_of(table))
            and previous.table_digest(con, f"{STAGED}.{table}")
            == previous.table_digest(con, f"{kept}.{table}"))
    finally:
        con.execute(f"DETACH {STAGED}")


def summarise_outcomes(con: duckdb.DuckDBPyConnection) -> None:
    """The group, change and responder summaries of the staged outcomes."""
    outcomes = f"{STAGED}.outcomes"
    # One thread sums the sorted outcomes in one order, so the same landing folder gives
    # the same means and SDs to the last bit (parallel sums differ in the last digits).
    con.execute("SET threads = 1")
    _insert(con, "group_summary", summaries.group_summary(con, outcomes).sql_query())
    con.register("change_summary_frame",
                 summaries.change_summary(con, outcomes).to_arrow())
    _insert(con, "change_summary", "SELECT * FROM change_summary_frame")
    con.unregister("change_summary_frame")
    _insert(con, "responders", summaries.responders(con, outcomes).sql_query())
    _insert(con, "responder_summary", summaries.responder_summary(
        con, outcomes, flags=f"{STAGED}.responders").sql_query())
    con.execute("RESET threads")


def summarise_patients(con: duckdb.DuckDBPyConnection) -> None:
    """Table 1 and the wide outcomes of the staged patients and outcomes."""
    frame = baseline.patients_frame(con, f"{STAGED}.patients", f"{STAGED}.outcomes")
    con.register("baseline_frame", baseline.baseline_characteristics(frame).to_arrow())
    _insert(con, "baseline_characteristics", "SELECT * FROM baseline_frame")
    con.unregister("baseline_frame")
    _insert(con, "outcomes_wide", summaries.outcomes_wide_sql(
        "main.patients", "main.outcomes", PATIENT_TABLES["patients"]))  # the patients' order


def report_tables(database: Path) -> dict:
    """The (small) tables the report shows, as pandas frames, and the values of the patient
    courses it draws (of groups small enough to draw a line per patient)."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        tables = {name: con.execute(f"SELECT * FROM {name}").df() for name in (
            *SUMMARY_CSVS, "load_audit", "data_quality", "study_flow")}
        tables["courses"] = con.execute(courses.course_rows_sql("outcomes", "patients")).df()
        tables["group_sizes"] = con.execute(courses.group_sizes_sql("patients")).df()
    finally:
        con.close()
    return tables


def staged_load_id(warehouse_dir: Path) -> int:
    with warehouse.connect(warehouse_dir, read_only=True) as con:
        return con.execute("SELECT max(load_id) FROM ingest.landing_files").fetchone()[0]


def stage_release(warehouse_dir: Path,
                  export_formats: Iterable[str] = exports.EXPORT_FORMATS,
                  reuse: bool = True) -> dict[str, int]:
    """Write analytics.duckdb, the summary CSVs, the exports in ``export_formats`` and the
    report into this load's release folder, readable by anyone (they are de-identified).
    Returns each table's rows."""
    from pipelines.publish import report

    folder = release_dir(warehouse_dir, staged_load_id(warehouse_dir))
    shutil.rmtree(folder, ignore_errors=True)
    (folder / PUBLISHED_DIR).mkdir(parents=True)
    database = folder / ANALYTICS_DB
    published = current_release(warehouse_dir) if reuse else None
    published = None if published is None else release_dir(warehouse_dir, published)
    with warehouse.connect(warehouse_dir) as con:
        with previous.attached(con, published, warehouse_dir) as kept:
            unchanged = build_database(con, database, kept)
    warnings = pd.DataFrame(builds.warned(builds.recorded(builds.target_dir(warehouse_dir))),
                            columns=["check", "summary"])
    con = warehouse.open_database(database)
    try:
        for table in SUMMARY_CSVS:
            con.execute(f"COPY {table} TO '{folder / PUBLISHED_DIR / table}.csv' (HEADER)")
        rows = {table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in PUBLISHED_COLUMNS}
        con.execute("CHECKPOINT")
    finally:
        con.close()
    dictionary.write_csv(folder / PUBLISHED_DIR / DICTIONARY_CSV)
    exports.write_exports(database, folder / PUBLISHED_DIR, export_formats,
                          published / PUBLISHED_DIR if unchanged else None, unchanged)
    previous.mark_code(folder)
    (folder / PUBLISHED_DIR / REPORT_HTML).write_text(
        report.render_report({**report_tables(database), "warnings": warnings},
                             export_formats=export_formats,
                             figures=previous.Figures(folder, published)),
        encoding="utf-8")
    for path in [folder.parent, folder, *folder.rglob("*")]:
        path.chmod(PUBLISHED_DIR_MODE if path.is_dir() else PUBLISHED_FILE_MODE)
    _fsync_tree(folder)
    (folder / COMPLETE).touch()
    return rows


def _fsync_tree(folder: Path) -> None:
    """Flush a release to disk before it can be switched to."""
    for path in [*folder.rglob("*"), folder]:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def record_history(warehouse_dir: Path, load_id: int) -> None:
    """Append this load's files, data issues and analysis population to the warehouse's
    history, in one transaction (a load already recorded, whose switch was interrupted, is
    left as it is), and leave the data issues' copy for `pmps issues`.

    The population is recorded before the switch but claims nothing: which load is published
    is ``current`` alone, and the guard looks up the population of the load it names."""
    with warehouse.connect(warehouse_dir) as con:
        con.execute("BEGIN")
        recorded = con.execute("SELECT count(*) FROM main.load_audit WHERE load_id = ?",
                               [load_id]).fetchone()[0]
        if not recorded:
            con.execute("INSERT INTO main.load_audit BY NAME SELECT * FROM ingest.load_audit")
            con.execute(f"INSERT INTO main.data_issues BY NAME {THIS_LOAD_ISSUES}")
            # the marts the release was built from (nothing has changed them since)
            con.execute("""INSERT INTO main.load_populations
                           SELECT ?, count(*) FROM main.patients WHERE in_analysis""",
                        [load_id])
        con.execute("COMMIT")
        issue_log.write_copy(con, warehouse_dir)


def _link(path: Path, target: str) -> None:
    """Make ``path`` a symbolic link to ``target`` in one rename (replacing what was there)."""
    staged = path.with_name(f".{path.name}.{os.getpid()}.link")
    staged.unlink(missing_ok=True)
    staged.symlink_to(target)
    try:
        if path.is_dir() and not path.is_symlink():  # a published/ folder of an older layout
            shutil.rmtree(path)
        os.replace(staged, path)
    finally:
        staged.unlink(missing_ok=True)


def switch_to(warehouse_dir: Path, load_id: int) -> None:
    """Make release ``load_id`` the published one: one rename of ``current``."""
    warehouse_dir = Path(warehouse_dir)
    _link(warehouse_dir / CURRENT, f"{RELEASES_DIR}/{load_id}")
    for name in (ANALYTICS_DB, PUBLISHED_DIR):  # made once; they follow `current`
        link = warehouse_dir / name
        if not (link.is_symlink() and os.readlink(link) == f"{CURRENT}/{name}"):
            _link(link, f"{CURRENT}/{name}")


def remove_old_releases(warehouse_dir: Path) -> None:
    """Keep the published release and the one before it (readers may still be on it)."""
    current = current_release(warehouse_dir)
    folder = Path(warehouse_dir) / RELEASES_DIR
    if current is None or not folder.is_dir():
        return
    kept = sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit()
                   and int(p.name) <= current and (p / COMPLETE).exists())[-2:]
    for path in folder.iterdir():
        if not (path.name.isdigit() and int(path.name) in kept):
            shutil.rmtree(path, ignore_errors=True)


def recorded_load_id(warehouse_dir: Path) -> int | None:
    """The newest load recorded in the history (main.load_audit), switched to or not."""
    with warehouse.connect(warehouse_dir, read_only=False) as con:
        return con.execute("SELECT max(load_id) FROM main.load_audit").fetchone()[0]


def finish_interrupted_release(warehouse_dir: Path, last_recorded: int | None) -> None:
    """Before a load starts: switch to a release that was recorded but never switched to (the
    previous load stopped between the two), and remove what failed loads left behind."""
    if last_recorded is not None and current_release(warehouse_dir) != last_recorded and (
            release_dir(warehouse_dir, last_recorded) / COMPLETE).exists():
        # the interrupted load may have stopped before it wrote the issues' copy, which
        # `pmps issues` reads for the load being switched in
        with warehouse.connect(warehouse_dir) as con:
            issue_log.write_copy(con, warehouse_dir)
        switch_to(warehouse_dir, last_recorded)
    remove_old_releases(warehouse_dir)
    for pattern in (".*.link", ".*.tmp"):  # a staged link or copy a failed load left
        for path in Path(warehouse_dir).glob(pattern):
            path.unlink(missing_ok=True)


def publish_release(warehouse_dir: Path) -> list[Path]:
    """Record the load in the history, then switch the published outputs to its release."""
    load_id = staged_load_id(warehouse_dir)
    record_history(warehouse_dir, load_id)
    switch_to(warehouse_dir, load_id)
    remove_old_releases(warehouse_dir)
    return output_paths(warehouse_dir)
