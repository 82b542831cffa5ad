"""Publishing a load: the de-identified ``analytics.duckdb``, the summary CSVs and the report.

``analytics.duckdb`` is written to a new file and renamed over the old one, so a reader never
waits for a load, never blocks it and never sees half of one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from pipelines import report, summaries, warehouse
from pipelines.pseudonym import load_key, patient_key
from pipelines.reference import SEEDS_DIR

ANALYTICS_DB = "analytics.duckdb"
PUBLISHED_DIR = "published"
REPORT_HTML = "report.html"

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


@dataclass
class PublishedTables:
    """Everything analytics.duckdb holds, already de-identified."""

    tables: dict[str, pd.DataFrame]

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]


def pseudonymise(frame: pd.DataFrame, key: bytes) -> pd.DataFrame:
    """Replace ``mrn`` by ``patient_key`` as the first column."""
    keys = [patient_key(key, site, mrn) for site, mrn in zip(frame["site"], frame["mrn"],
                                                             strict=True)]
    return frame.drop(columns="mrn").assign(patient_key=keys).pipe(
        lambda f: f[["patient_key"] + [c for c in f.columns if c != "patient_key"]])


def data_quality(issues: pd.DataFrame) -> pd.DataFrame:
    """Counts of the data issues per load, source, site, rule and severity."""
    keys = ["load_id", "source", "site", "rule", "severity"]
    counts = issues.groupby(keys, dropna=False).size().reset_index(name="n")
    return counts.sort_values(keys, na_position="first").reset_index(drop=True)


def build_tables(warehouse_dir: Path, load_audit: pd.DataFrame) -> PublishedTables:
    """Read the marts and the history, de-identify, and compute the summaries.

    ``load_audit`` holds this load's files; the history of earlier loads is added to it.
    """
    key = load_key(warehouse_dir)
    with warehouse.connect(warehouse_dir, read_only=True) as con:
        patients = con.execute("SELECT * FROM main.patients ORDER BY site, mrn").df()
        outcomes = con.execute(
            "SELECT * FROM main.outcomes ORDER BY site, mrn, visit_order, param_code").df()
        items = con.execute(
            "SELECT * FROM main.questionnaire_items ORDER BY site, mrn, visit_code, item").df()
        issues = con.execute(
            "SELECT * FROM main.data_issues UNION ALL BY NAME SELECT * FROM main.load_data_issues"
        ).df()
        earlier_audit = con.execute("SELECT * FROM main.load_audit").df()
    outcomes = pseudonymise(outcomes, key)
    criteria = pd.read_csv(SEEDS_DIR / "responder_criteria.csv")
    audit = pd.concat([earlier_audit, load_audit], ignore_index=True) if len(earlier_audit) \
        else load_audit
    return PublishedTables({
        "patients": pseudonymise(patients, key),
        "outcomes": outcomes,
        "questionnaire_items": pseudonymise(items, key),
        "group_summary": summaries.group_summary(outcomes),
        "change_summary": summaries.change_summary(outcomes),
        "responder_summary": summaries.responder_summary(outcomes, criteria),
        "load_audit": audit.sort_values(["load_id", "file_name"]).reset_index(drop=True),
        "data_quality": data_quality(issues),
    })


def write_database(path: Path, tables: PublishedTables) -> None:
    """Write the published tables into a new DuckDB file at ``path``."""
    con = duckdb.connect(str(path))
    try:
        for name, ddl in TABLE_DDL.items():
            warehouse.replace_table(con, f"main.{name}", ddl, tables[name])
        con.execute("CHECKPOINT")
    finally:
        con.close()


@dataclass
class Release:
    """The outputs of one load, written beside their final names until they are renamed."""

    staged: dict[Path, Path]  # final path -> staged file

    def commit(self) -> None:
        """Rename every staged file over its final name (each rename is atomic)."""
        for final, staged in self.staged.items():
            os.replace(staged, final)

    def discard(self) -> None:
        for staged in self.staged.values():
            staged.unlink(missing_ok=True)


def _staging_name(final: Path) -> Path:
    return final.with_name(f".{final.name}.{os.getpid()}.tmp")


def stage_release(warehouse_dir: Path, tables: PublishedTables) -> Release:
    """Write analytics.duckdb, the summary CSVs and the report to staging files."""
    warehouse_dir = Path(warehouse_dir)
    folder = warehouse_dir / PUBLISHED_DIR
    folder.mkdir(parents=True, exist_ok=True)
    release = Release({})
    try:
        database = warehouse_dir / ANALYTICS_DB
        release.staged[database] = _staging_name(database)
        release.staged[database].unlink(missing_ok=True)
        write_database(release.staged[database], tables)
        for name in SUMMARY_CSVS:
            final = folder / f"{name}.csv"
            release.staged[final] = _staging_name(final)
            tables[name].to_csv(release.staged[final], index=False)
        final = folder / REPORT_HTML
        release.staged[final] = _staging_name(final)
        release.staged[final].write_text(report.render_report(tables.tables), encoding="utf-8")
    except BaseException:
        release.discard()
        raise
    return release


def record_history(warehouse_dir: Path, load_audit: pd.DataFrame) -> None:
    """Append this load's files and data issues to the warehouse's history, in one transaction."""
    with warehouse.connect(warehouse_dir) as con:
        con.execute("BEGIN")
        warehouse.append_frame(con, "main.load_audit", load_audit)
        con.execute("INSERT INTO main.data_issues BY NAME SELECT * FROM main.load_data_issues")
        con.execute("COMMIT")


def publish_load(warehouse_dir: Path, tables: PublishedTables,
                 load_audit: pd.DataFrame) -> list[Path]:
    """Stage every output, record the load in the history, then rename the outputs into place.

    A failure before the renames leaves the published outputs as they were.
    """
    release = stage_release(warehouse_dir, tables)
    try:
        record_history(warehouse_dir, load_audit)
        release.commit()
    finally:
        release.discard()
    return list(release.staged)
