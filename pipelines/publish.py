"""Publishing a load: the de-identified ``analytics.duckdb``, the summary CSVs and the report.

Everything is first written into ``<warehouse>/.release/`` by SQL: the staged database is
ATTACHed to the warehouse and filled by ``INSERT ... SELECT`` of the published columns of the
marts (which name patients by the patient_key the ingest gave each of them). Once the load is
recorded, each staged file is renamed over its final name, so a reader never waits for a load,
never blocks it and never sees half of one.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from pipelines import summaries, warehouse

ANALYTICS_DB = "analytics.duckdb"
PUBLISHED_DIR = "published"
REPORT_HTML = "report.html"
RELEASE_DIR = ".release"
STAGED = "analytics"  # the staged database's name while it is attached

# The published tables and their column types (CONTRACT.md section 4).
TABLE_DDL: dict[str, str] = {
    "patients": """patient_key VARCHAR, site VARCHAR, group_code VARCHAR, in_analysis BOOLEAN,
        age_at_index INTEGER, sex VARCHAR, mastectomy_side VARCHAR,
        months_since_mastectomy INTEGER, ni_types VARCHAR, usgdn_sessions INTEGER""",
    "outcomes": """patient_key VARCHAR, site VARCHAR, group_code VARCHAR, in_analysis BOOLEAN,
        visit_code VARCHAR, visit_order INTEGER, study_day INTEGER, param_code VARCHAR,
        value DOUBLE, category VARCHAR, is_prorated BOOLEAN, phq9_item9_positive BOOLEAN,
        is_baseline BOOLEAN, baseline_value DOUBLE, change DOUBLE, pct_change DOUBLE,
        pre_usgdn_value DOUBLE, change_from_pre_usgdn DOUBLE""",
    "questionnaire_items": """patient_key VARCHAR, site VARCHAR, visit_code VARCHAR,
        param_code VARCHAR, item VARCHAR, response INTEGER""",
    "group_summary": """group_code VARCHAR, visit_code VARCHAR, visit_order INTEGER,
        param_code VARCHAR, n INTEGER, mean DOUBLE, sd DOUBLE, median DOUBLE, q1 DOUBLE,
        q3 DOUBLE, min DOUBLE, max DOUBLE, mean_sd VARCHAR""",
    "change_summary": """group_code VARCHAR, visit_code VARCHAR, visit_order INTEGER,
        param_code VARCHAR, reference VARCHAR, n_pairs INTEGER, mean_change DOUBLE,
        sd_change DOUBLE, ci95_low DOUBLE, ci95_high DOUBLE, p_wilcoxon DOUBLE,
        p_ttest DOUBLE""",
    "responder_summary": """group_code VARCHAR, visit_code VARCHAR, visit_order INTEGER,
        criterion VARCHAR, n_evaluable INTEGER, n_responders INTEGER, pct_responders DOUBLE""",
    "load_audit": warehouse.LOAD_FILE_COLUMNS,
    "data_quality": """load_id INTEGER, source VARCHAR, site VARCHAR, rule VARCHAR,
        severity VARCHAR, n INTEGER""",
}
SUMMARY_CSVS = ("group_summary", "change_summary", "responder_summary")

# The marts of patients and the order of their published rows: patients by site and mrn;
# the others as dbt wrote them (by assessment), as sorting millions of rows costs seconds.
PATIENT_TABLES = {"patients": "ORDER BY site, mrn", "outcomes": "", "questionnaire_items": ""}


def release_dir(warehouse_dir: Path) -> Path:
    return Path(warehouse_dir) / RELEASE_DIR


def final_paths(warehouse_dir: Path) -> dict[str, Path]:
    """Each output's file name in the release folder -> its published path."""
    warehouse_dir = Path(warehouse_dir)
    paths = {ANALYTICS_DB: warehouse_dir / ANALYTICS_DB}
    for name in (*(f"{t}.csv" for t in SUMMARY_CSVS), REPORT_HTML):
        paths[f"{PUBLISHED_DIR}/{name}"] = warehouse_dir / PUBLISHED_DIR / name
    return paths


def columns_of(table: str) -> list[str]:
    """The published columns of ``table``, from its DDL."""
    return [part.split()[0] for part in TABLE_DDL[table].replace("\n", " ").split(",")]


def _insert(con: duckdb.DuckDBPyConnection, table: str, query: str) -> None:
    con.execute(f"CREATE TABLE {STAGED}.{table} ({TABLE_DDL[table]})")
    con.execute(f"INSERT INTO {STAGED}.{table} BY NAME {query}")


def build_database(con: duckdb.DuckDBPyConnection, staged: Path) -> None:
    """Fill a new ``analytics.duckdb`` at ``staged`` from the warehouse open on ``con``."""
    con.execute(f"ATTACH '{staged}' AS {STAGED}")
    try:
        for table, order in PATIENT_TABLES.items():
            _insert(con, table, f"SELECT {', '.join(columns_of(table))} FROM main.{table} {order}")
        outcomes = f"{STAGED}.outcomes"
        _insert(con, "group_summary", summaries.group_summary(con, outcomes).sql_query())
        con.register("change_summary_frame",
                     summaries.change_summary(con, outcomes).to_arrow())
        _insert(con, "change_summary", "SELECT * FROM change_summary_frame")
        con.unregister("change_summary_frame")
        _insert(con, "responder_summary",
                summaries.responder_summary(con, outcomes).sql_query())
        _insert(con, "load_audit", """
            SELECT * FROM (SELECT * FROM main.load_audit UNION ALL BY NAME
                           SELECT * FROM ingest.load_audit) ORDER BY load_id, file_name""")
        _insert(con, "data_quality", """
            SELECT load_id, source, site, rule, severity, count(*) AS n
            FROM (SELECT * FROM main.data_issues UNION ALL BY NAME
                  SELECT * FROM main.load_data_issues)
            GROUP BY ALL
            ORDER BY load_id, source NULLS FIRST, site NULLS FIRST, rule, severity""")
    finally:
        con.execute(f"DETACH {STAGED}")


def report_tables(database: Path) -> dict:
    """The (small) tables the report shows, as pandas frames."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        tables = {name: con.execute(f"SELECT * FROM {name}").df() for name in (
            *SUMMARY_CSVS, "load_audit", "data_quality")}
        tables["patients"] = con.execute("SELECT in_analysis, group_code FROM patients").df()
    finally:
        con.close()
    return tables


def stage_release(warehouse_dir: Path) -> dict[str, int]:
    """Write analytics.duckdb, the summary CSVs and the report into the release folder.

    Returns the rows of each published table.
    """
    from pipelines import report

    folder = release_dir(warehouse_dir)
    shutil.rmtree(folder, ignore_errors=True)
    (folder / PUBLISHED_DIR).mkdir(parents=True)
    database = folder / ANALYTICS_DB
    with warehouse.connect(warehouse_dir) as con:
        build_database(con, database)
    con = duckdb.connect(str(database))
    try:
        for table in SUMMARY_CSVS:
            con.execute(f"COPY {table} TO '{folder / PUBLISHED_DIR / table}.csv' (HEADER)")
        rows = {table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in TABLE_DDL}
        con.execute("CHECKPOINT")
    finally:
        con.close()
    (folder / PUBLISHED_DIR / REPORT_HTML).write_text(
        report.render_report(report_tables(database)), encoding="utf-8")
    return rows


def record_history(warehouse_dir: Path) -> None:
    """Append this load's files and data issues to the warehouse's history, in one transaction."""
    with warehouse.connect(warehouse_dir) as con:
        con.execute("BEGIN")
        con.execute("INSERT INTO main.load_audit BY NAME SELECT * FROM ingest.load_audit")
        con.execute("INSERT INTO main.data_issues BY NAME SELECT * FROM main.load_data_issues")
        con.execute("COMMIT")


def publish_release(warehouse_dir: Path) -> list[Path]:
    """Record the load in the history, then rename every staged output into place.

    A failure before the renames leaves the published outputs as they were.
    """
    folder = release_dir(warehouse_dir)
    record_history(warehouse_dir)
    published = []
    for name, final in final_paths(warehouse_dir).items():
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(folder / name, final)
        published.append(final)
    shutil.rmtree(folder, ignore_errors=True)
    return published
