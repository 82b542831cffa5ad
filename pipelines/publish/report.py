"""The published report: one self-contained HTML page of the study's outcomes.

The page is built from the published (de-identified) tables only, shows group-level figures and
never a patient row, and needs no network: the styles are inline and the plots are PNG images
embedded as ``data:`` URIs, each drawn for a desktop page and for a phone (``plots``).

This module prepares each section's values, formatted as the page shows them (``formatting``);
the Jinja2 template ``templates/report.html.j2`` lays them out, with its stylesheet
``templates/report.css``. Long sections fold on both pages: a phone reader opens what they need.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import jinja2
import pandas as pd

from pipelines.core.issues import RULE_MEANING, SEVERITIES
from pipelines.core.reference import code_list, study_flow_stages
from pipelines.core.tables import PUBLISHED_COLUMNS, columns_of
from pipelines.core.warehouse import FILE_STATUSES
from pipelines.publish import plots, table_one
from pipelines.publish.formatting import (
    CRITERIA,
    GROUPS_NOTE,
    NA,
    NO_OUTCOMES,
    as_count,
    as_text,
    criterion_label,
    format_mean_change,
    format_p_value,
    format_responders,
    group_label,
    is_missing,
    parameter_label,
    ranked,
    sort_by,
    visit_label,
    visits_with_data,
)
from pipelines.publish.previous import Figures
from pipelines.publish.summaries import GROUP_ORDER, PARAM_ORDER, REFERENCES

TITLE = "Ultrasound-guided dry needling for postmastectomy pain syndrome: outcomes"

REFERENCE_NAMES = {"BASELINE": "Baseline", "PRE_USGDN": "Before USGDN"}  # change_summary
CRITERION_ORDER = list(CRITERIA)
# The outputs a reader can download beside the page (published/, relative links).
DOWNLOADS = [("data_dictionary.csv", "data dictionary: every table and column, CSV"),
             ("parquet/", "every table as Parquet (dashboards)"),
             ("spss/", "patients, outcomes and the summaries for SPSS (.sav, labelled)"),
             ("stata/", "the same for Stata (.dta, labelled)"),
             ("group_summary.csv", "the group summary, CSV")]

WARNING_COLUMNS = ["check", "summary"]  # the warned checks the publish step passes

TEMPLATES_DIR = Path(__file__).parent / "templates"  # report.html.j2 and its report.css

# Nothing on the page may reach the network: images only from data: URIs, styles inline.
CONTENT_SECURITY_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


# ---- values and formatting -------------------------------------------------------------


def _table(tables: Mapping[str, pd.DataFrame], name: str) -> pd.DataFrame:
    # Only item access, so any mapping of table name to frame serves.
    try:
        return tables[name]
    except KeyError:
        columns = columns_of(name) if name in PUBLISHED_COLUMNS else WARNING_COLUMNS
        return pd.DataFrame(columns=columns)


# What the patient courses read besides the published tables (release.report_tables).
COURSE_TABLES = {"courses": ["patient_key", "group_code", "param_code", "visit_code", "value"],
                 "group_sizes": ["group_code", "patients"]}


def _course_table(tables: Mapping[str, pd.DataFrame], name: str) -> pd.DataFrame:
    try:
        return tables[name]
    except KeyError:
        return pd.DataFrame(columns=COURSE_TABLES[name])


def latest_load_id(load_audit: pd.DataFrame, data_quality: pd.DataFrame) -> int | None:
    """The report describes the latest load: the highest load_id either table knows."""
    ids = pd.concat([pd.to_numeric(load_audit["load_id"], errors="coerce"),
                     pd.to_numeric(data_quality["load_id"], errors="coerce")]).dropna()
    return int(ids.max()) if len(ids) else None


# ---- what the template shows ------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A table of text cells: the first cell of a row labels it; from ``numeric_from`` on (up
    to ``numeric_to``), the columns hold numbers (right-aligned). ``empty`` says in words why
    a table without rows has none."""

    id: str
    note: str
    header: Sequence[str]
    rows: Sequence[Sequence[str]] = ()
    numeric_from: int | None = None  # None: no numeric column
    numeric_to: int | None = None  # None: to the last column
    total: Sequence[str] | None = None
    empty: str = "None."
    kinds: Sequence[str] = ()  # a class per row ("sub": indented under the row before)

    @property
    def cards(self) -> bool:
        """More than two columns: on a phone, each row stands as a card."""
        return len(self.header) > 2

    def is_numeric(self, column: int) -> bool:
        return self.numeric_from is not None and column >= self.numeric_from and (
            self.numeric_to is None or column < self.numeric_to)


# ---- the sections ------------------------------------------------------------------------

def study_flow(flow: pd.DataFrame) -> list[tuple[str, int, str]]:
    """(label, number, row kind) for the study-flow table, all sites together: every patient
    row received, rejected (by rule), counted once, excluded (by reason) or analysed."""
    rows = []
    every_site = flow[flow["site"] == "ALL"] if not flow.empty else flow
    for row in sort_by(every_site, [("step", None), ("reason", [])]).itertuples(index=False):
        stage = study_flow_stages()[row.stage]
        if row.stage == "rejected_at_ingestion":
            label = f"{stage.label}: {row.reason} ({RULE_MEANING.get(row.reason, '')})"
        elif row.stage == "excluded":
            reason = code_list("exclusion_reason").get(row.reason)
            label = f"{stage.label}: {row.reason} ({reason.label if reason else ''})"
        elif row.stage == "group":
            label = group_label(row.reason)
        else:
            label = stage.label
        rows.append((label, int(row.n), stage.row_kind))
    return rows


def study_flow_section(flow: pd.DataFrame) -> dict:
    """The study-flow table: every patient row of the current snapshots accounted for."""
    note = ("Every patient row of the current patients snapshots: rejected at ingestion (a row "
            "with two faults under each), identical copies counted once, patients excluded "
            "from the analysis and why, and the analysis population per group.")
    return {"table": Table("study-flow", note, ["Patients", "n"], numeric_from=1,
                           empty="No patients snapshot has been loaded yet."),
            "rows": [{"label": label, "n": number, "kind": kind}
                     for label, number, kind in study_flow(flow)]}


def baseline_section(baseline: pd.DataFrame) -> Table:
    """Table 1: the patients' characteristics at baseline, a column per group, then the test
    of the difference between the two study groups."""
    groups = ranked(baseline["group_code"], GROUP_ORDER)
    shown = table_one.rows(baseline, groups)
    rows = [[row.label, *row.summaries,
             "" if is_missing(row.p_value) else format_p_value(row.p_value),
             "" if is_missing(row.test) else str(row.test)] for row in shown]
    note = ("The patients in the analysis at baseline: mean (SD), median [Q1, Q3] or n (%), "
            "and the test of the difference between the two groups. "
            f"{GROUPS_NOTE}")
    return Table("baseline-characteristics", note,
                 ["Characteristic", *(group_label(g, short=True) for g in groups), "p",
                  "Test"], rows, numeric_from=1, numeric_to=len(groups) + 2,
                 empty="No patient is in the analysis yet.",
                 kinds=["sub" if row.is_level else "" for row in shown])


def group_summary_section(group_summary: pd.DataFrame) -> dict:
    """The paper's table: a row per parameter and group, a column per visit, cells mean (SD)
    with the number of patients."""
    visits = visits_with_data(group_summary)
    cells = {(r.param_code, r.group_code, r.visit_code): {"mean_sd": as_text(r.mean_sd),
                                                          "n": as_count(r.n)}
             for r in group_summary.itertuples(index=False)}
    parameters = []
    for param_code in ranked(group_summary["param_code"], PARAM_ORDER):
        of_param = group_summary[group_summary["param_code"] == param_code]
        parameters.append({"code": param_code, "label": parameter_label(param_code), "groups": [
            {"code": group_code, "label": group_label(group_code),
             "cells": [(visit, visit_label(visit), cells.get((param_code, group_code, visit)))
                       for visit in visits]}
            for group_code in ranked(of_param["group_code"], GROUP_ORDER)]})
    note = "Mean (SD) by group and visit; n = patients with a value."
    return {"table": Table("group-summary", note,
                           ["Parameter / group", *(visit_label(v) for v in visits)],
                           empty=NO_OUTCOMES),
            "visits": visits, "parameters": parameters}


def change_summary_section(change_summary: pd.DataFrame) -> dict:
    """Per parameter: mean change from the reference visit with its 95% CI and the tests."""
    header = ["Group", "Visit", "Reference", "Pairs", "Mean change (95% CI)", "Wilcoxon p",
              "t-test p"]
    note = ("Change = value − reference value, in patients with both (pairs). Before USGDN: the "
            "last value before the first USGDN session. Two-sided Wilcoxon signed-rank and "
            f"one-sample t-tests. {GROUPS_NOTE}")
    parameters = []
    for param_code in ranked(change_summary["param_code"], PARAM_ORDER):
        of_param = change_summary[change_summary["param_code"] == param_code]
        ordered = sort_by(of_param, [("group_code", GROUP_ORDER), ("visit_order", None),
                                     ("reference", list(REFERENCES))])
        rows = [[group_label(r.group_code, short=True), visit_label(r.visit_code),
                 REFERENCE_NAMES.get(r.reference, as_text(r.reference)),
                 as_count(r.n_pairs), format_mean_change(r.mean_change, r.ci95_low, r.ci95_high),
                 format_p_value(r.p_wilcoxon), format_p_value(r.p_ttest)]
                for r in ordered.itertuples(index=False)]
        parameters.append({"label": parameter_label(param_code), "table": Table(
            f"change-summary-{param_code}", note, header, rows, numeric_from=3)})
    return {"parameters": parameters,
            "empty": Table("change-summary", note, header, numeric_from=3,
                           empty="No patient has a value both at a visit and at its "
                                 "reference yet.")}


def responder_section(responder_summary: pd.DataFrame) -> dict:
    """Per group, a grid of criterion (in plain words) by visit: responders among the
    patients evaluable for the criterion at the visit."""
    note = ("Responders / evaluable (%): a patient is evaluable when every value the "
            "criterion uses is there (a change needs the baseline). The criteria's codes and "
            "formal definitions: table ref_responder_criteria in analytics.duckdb.")
    grids = []
    for group_code in ranked(responder_summary["group_code"], GROUP_ORDER):
        of_group = responder_summary[responder_summary["group_code"] == group_code]
        visits = visits_with_data(of_group)
        cells = {(r.criterion, r.visit_code): format_responders(
            r.n_responders, r.n_evaluable, r.pct_responders)
            for r in of_group.itertuples(index=False)}
        rows = [[criterion_label(criterion),
                 *(cells.get((criterion, visit), "—") for visit in visits)]
                for criterion in ranked(of_group["criterion"], CRITERION_ORDER)]
        grids.append({"label": group_label(group_code), "table": Table(
            f"responders-{group_code}", note, ["Criterion", *map(visit_label, visits)], rows,
            numeric_from=1)})
    return {"grids": grids,
            "empty": Table("responders", note, ["Criterion", "Visit"], numeric_from=1,
                           empty="No patient is evaluable for a responder criterion yet.")}


def files_by_status(load_audit: pd.DataFrame) -> tuple[list[list[str]], list[str]]:
    """Files and their rows per status, and the totals over all of them."""
    row_counts = ["rows_read", "rows_loaded", "rows_rejected"]
    numbers = load_audit.assign(**{c: pd.to_numeric(load_audit[c], errors="coerce")
                                   for c in row_counts})

    def summed(files: pd.DataFrame) -> list[str]:
        return [str(len(files)), *(str(int(files[c].sum())) for c in row_counts)]

    rows = [[str(status), *summed(numbers[numbers["status"] == status])]
            for status in ranked(numbers["status"], FILE_STATUSES)]
    return rows, ["Total", *summed(numbers)]


def data_quality_section(load_audit: pd.DataFrame, data_quality: pd.DataFrame,
                         load_id: int | None, warnings: pd.DataFrame) -> dict:
    """The latest load's files by status, the files it rejected, its data-issue counts and
    the checks that warned."""
    def of_load(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[pd.to_numeric(frame["load_id"], errors="coerce") == load_id]

    file_rows, file_total = files_by_status(of_load(load_audit))
    audit = of_load(load_audit)
    rejected = audit[audit["status"] == "rejected"].sort_values("file_name")
    issues = sort_by(of_load(data_quality), [("source", []), ("site", []),
                                             ("severity", SEVERITIES), ("rule", [])])
    issue_rows = [[as_text(r.source) if not is_missing(r.source) else "(file name)",
                   as_text(r.site) if not is_missing(r.site) else "—", as_text(r.rule),
                   RULE_MEANING.get(r.rule, ""), as_text(r.severity), as_count(r.n)]
                  for r in issues.itertuples(index=False)]
    return {
        "which": "no load recorded" if load_id is None else f"load {load_id}",
        "files": Table("load-files", "Files seen by this load",
                       ["Status", "Files", "Rows read", "Rows loaded", "Rows rejected"],
                       file_rows, numeric_from=1, total=file_total,
                       empty="No load has been recorded yet."),
        "rejected_files": Table("rejected-files", "Files this load set aside, and why",
                                ["File", "Why"],
                                [[as_text(r.file_name), as_text(r.message)]
                                 for r in rejected.itertuples(index=False)], numeric_from=2,
                                empty="This load set no file aside."),
        "issues": Table("data-quality", "Data issues found by this load (each one with its "
                        "file, row, column and value: the command pmps issues)",
                        ["Source", "Site", "Rule", "Meaning", "Severity", "n"], issue_rows,
                        numeric_from=5, empty="This load found no data issue."),
        "warned": Table("warned-checks", "Checks of this load that warned (nothing is held "
                        "back for them)", ["Check", "What it found"],
                        [[as_text(r.check), as_text(r.summary)]
                         for r in warnings.itertuples(index=False)], numeric_from=2,
                        empty="No check of this load warned."),
    }


@cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)
    return environment.get_template("report.html.j2")


def render_report(tables: Mapping[str, pd.DataFrame],
                  generated_at: datetime | None = None,
                  export_formats: Iterable[str] | None = None,
                  figures: Figures | None = None) -> str:
    """The whole report as one self-contained HTML page.

    ``tables`` maps the published table names to their DataFrames (a missing or empty table
    renders as a sentence saying there is nothing yet); ``generated_at`` defaults to now, in
    local time; the downloads list the exports of ``export_formats`` (all when None) beside
    the CSVs.
    """
    generated_at = generated_at or datetime.now().astimezone()
    load_audit, data_quality = _table(tables, "load_audit"), _table(tables, "data_quality")
    load_id = latest_load_id(load_audit, data_quality)
    group_summary = _table(tables, "group_summary")
    stamp = generated_at.strftime("%Y-%m-%d %H:%M %Z").strip()
    return _template().render(
        title=TITLE, content_security_policy=CONTENT_SECURITY_POLICY,
        phone_media=plots.PHONE_MEDIA,
        meta=f"Load {load_id if load_id is not None else NA} · generated {stamp}",
        study_flow=study_flow_section(_table(tables, "study_flow")),
        baseline=baseline_section(_table(tables, "baseline_characteristics")),
        group_summary=group_summary_section(group_summary),
        plots=plots.plots_section(group_summary, figures),
        courses=plots.courses_section(_course_table(tables, "courses"),
                                _course_table(tables, "group_sizes"), group_summary, figures),
        change_summary=change_summary_section(_table(tables, "change_summary")),
        responders=responder_section(_table(tables, "responder_summary")),
        data_quality=data_quality_section(load_audit, data_quality, load_id,
                                          _table(tables, "warnings")),
        downloads=[(path, what) for path, what in DOWNLOADS if export_formats is None
                   or not path.endswith("/") or path.rstrip("/") in export_formats])
