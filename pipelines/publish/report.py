"""The published report: one self-contained HTML page of the study's outcomes.

The page is built from the published (de-identified) tables only, shows group-level figures and
never a patient row, and needs no network: the styles are inline and the plots are PNG images
embedded as ``data:`` URIs, drawn with matplotlib's Agg canvas (no pyplot global state).

This module prepares the values, each formatted as the page shows it; the Jinja2 template
``templates/report.html.j2`` lays them out, with its stylesheet ``templates/report.css``.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd

from pipelines.core.issues import RULE_MEANING, SEVERITIES
from pipelines.core.reference import code_list, parameters, responder_criteria, visit_names
from pipelines.core.tables import PUBLISHED_COLUMNS, columns_of
from pipelines.core.warehouse import FILE_STATUSES
from pipelines.publish import courses, table_one
from pipelines.publish.previous import Figures
from pipelines.publish.summaries import (
    ALL_GROUPS,
    GROUP_ORDER,
    PARAM_ORDER,
    REFERENCES,
    round_half_away,
)

TITLE = "Ultrasound-guided dry needling for postmastectomy pain syndrome: outcomes"
NO_ROWS = "no rows"
NA = "NA"


PARAMETERS = parameters()
VISIT_NAMES = visit_names()
REFERENCE_NAMES = {"BASELINE": "Baseline", "PRE_USGDN": "Before USGDN"}  # change_summary
_STUDY_GROUPS = code_list("group_code")
GROUPS: dict[str, str] = {**{g.code: g.label for g in _STUDY_GROUPS.values()},
                          ALL_GROUPS: "All patients"}
# The dense tables name the groups briefly and spell them out once in a note.
GROUPS_SHORT: dict[str, str] = {**{g.code: g.short_label for g in _STUDY_GROUPS.values()},
                                ALL_GROUPS: "All"}
GROUPS_NOTE = "; ".join([*(g.label for g in _STUDY_GROUPS.values()), "All: both."])
CRITERION_DEFINITIONS = {c.criterion: c.description for c in responder_criteria()}
CRITERION_ORDER = list(CRITERION_DEFINITIONS)
# The outputs a reader can download beside the page (published/, relative links).
DOWNLOADS = [("data_dictionary.csv", "data dictionary: every table and column, CSV"),
             ("parquet/", "every table as Parquet (dashboards)"),
             ("spss/", "patients, outcomes and the summaries for SPSS (.sav, labelled)"),
             ("stata/", "the same for Stata (.dta, labelled)"),
             ("group_summary.csv", "the group summary, CSV")]

WARNING_COLUMNS = ["check", "summary"]  # the warned checks the publish step passes

# Plot colours from the colour-blind-safe Okabe-Ito palette; ALL is drawn as a quiet reference.
# The study groups take the styles in the code_lists seed's order.
GROUP_STYLES: dict[str, dict] = {
    **dict(zip(_STUDY_GROUPS, ({"color": "#0072B2", "marker": "o", "linestyle": "-"},
                               {"color": "#D55E00", "marker": "s", "linestyle": "-"}),
               strict=False)),
    ALL_GROUPS: {"color": "#7f7f7f", "marker": "o", "markersize": 3, "linestyle": "--"},
}
PLOT_SIZE_INCHES = (5.6, 3.6)
PLOT_DPI = 100

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


def _is_missing(value: object) -> bool:
    return value is None or bool(pd.isna(value))


def _text(value: object) -> str:
    return NA if _is_missing(value) else str(value)


def _count(value: object) -> str:
    return NA if _is_missing(value) else str(int(value))


def format_number(value: object, decimals: int = 1) -> str:
    """A number as the paper prints it (half away from zero, never -0.0); ``NA`` when null."""
    return NA if _is_missing(value) else round_half_away(float(value), decimals)


def format_p_value(value: object) -> str:
    """A p-value to 3 significant digits, ``<0.001`` below that, ``NA`` when null."""
    if _is_missing(value):
        return NA
    p = float(value)
    return "<0.001" if p < 0.001 else f"{p:#.3g}"


def format_mean_change(mean: object, low: object, high: object) -> str:
    """``-1.2 (-1.8 to -0.6)``: the mean change and its 95% CI; ``NA`` for each null part."""
    if _is_missing(mean):
        return NA
    interval = NA if _is_missing(low) or _is_missing(high) else \
        f"{format_number(low)} to {format_number(high)}"
    return f"{format_number(mean)} ({interval})"


def format_responders(responders: object, evaluable: object, pct: object) -> str:
    """``4 / 37 (10.8%)``."""
    share = NA if _is_missing(pct) else f"{format_number(pct)}%"
    return f"{_count(responders)} / {_count(evaluable)} ({share})"


def parameter_name(param_code: str) -> str:
    """The short name of a parameter (``NRS pain``); an unknown code names itself."""
    known = PARAMETERS.get(param_code)
    return known.short_name if known else str(param_code)


def parameter_label(param_code: str) -> str:
    """The parameter's display name with its scale (``NRS pain 0–10``)."""
    known = PARAMETERS.get(param_code)
    return known.label if known else str(param_code)


def visit_label(visit_code: object) -> str:
    """The visit's name (``After USGDN``); an unknown code names itself."""
    return NA if _is_missing(visit_code) else VISIT_NAMES.get(visit_code, str(visit_code))


def group_label(group_code: object, short: bool = False) -> str:
    """``Group 1: neural intervention then USGDN`` (short: ``Group 1``); unknown codes as is."""
    if _is_missing(group_code):
        return NA
    return (GROUPS_SHORT if short else GROUPS).get(group_code, str(group_code))


def _ranked(values: Iterable, order: Mapping | Sequence) -> list:
    """Distinct non-null values, known ones in the study's order, then unknown ones by name."""
    rank = order if isinstance(order, Mapping) else {v: i for i, v in enumerate(order)}
    distinct = {v for v in values if not _is_missing(v)}
    return sorted(distinct, key=lambda v: (rank.get(v, len(rank)), str(v)))


def _sort(frame: pd.DataFrame, keys: Sequence[tuple[str, Mapping | Sequence | None]]
          ) -> pd.DataFrame:
    """Sort by columns in the study's orders (``None``: the column's own order), nulls last."""
    if frame.empty:
        return frame
    ranks = {}
    for column, order in keys:
        if order is None:
            ranks[column] = pd.to_numeric(frame[column], errors="coerce")
        else:
            position = {v: i for i, v in enumerate(_ranked(frame[column], order))}
            ranks[column] = frame[column].map(lambda v, p=position: p.get(v, len(p)))
    by = [f"_rank{i}" for i in range(len(keys))]
    ranked = frame.assign(**{b: ranks[c] for b, (c, _) in zip(by, keys, strict=True)})
    return ranked.sort_values(by, kind="stable", na_position="last").drop(columns=by)


def visits_with_data(group_summary: pd.DataFrame) -> list[str]:
    """The visit codes that have any summary row, by visit_order."""
    if group_summary.empty:
        return []
    visit_order = pd.to_numeric(group_summary["visit_order"], errors="coerce")
    first_order = (group_summary.assign(_o=visit_order.fillna(float("inf")))
                   .groupby("visit_code", dropna=True)["_o"].min())
    return sorted(first_order.index, key=lambda code: (first_order[code], str(code)))


def latest_load_id(load_audit: pd.DataFrame, data_quality: pd.DataFrame) -> int | None:
    """The report describes the latest load: the highest load_id either table knows."""
    ids = pd.concat([pd.to_numeric(load_audit["load_id"], errors="coerce"),
                     pd.to_numeric(data_quality["load_id"], errors="coerce")]).dropna()
    return int(ids.max()) if len(ids) else None


# ---- what the template shows ------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A table of text cells: the first cell of a row labels it; from ``numeric_from`` on,
    the columns hold numbers (right-aligned)."""

    id: str
    note: str
    header: Sequence[str]
    rows: Sequence[Sequence[str]] = ()
    numeric_from: int | None = None  # None: no numeric column
    total: Sequence[str] | None = None

    @property
    def cards(self) -> bool:
        """More than two columns: on a phone, each row stands as a card."""
        return len(self.header) > 2

    def is_numeric(self, column: int) -> bool:
        return self.numeric_from is not None and column >= self.numeric_from


# ---- the sections ------------------------------------------------------------------------


FLOW_LABELS = {"received": "Patient rows received", "rejected_rows": "Rows rejected in all",
               "identical_copies": "Identical copies, counted once", "patients": "Patients",
               "in_analysis": "In the analysis"}
FLOW_KINDS = {"received": "total", "rejected_at_ingestion": "sub", "rejected_rows": "main",
              "identical_copies": "main", "patients": "total", "excluded": "sub",
              "in_analysis": "main", "group": "sub"}


def study_flow(flow: pd.DataFrame) -> list[tuple[str, int, str]]:
    """(label, number, row kind) for the study-flow table, all sites together: every patient
    row received, rejected (by rule), counted once, excluded (by reason) or analysed."""
    rows = []
    every_site = flow[flow["site"] == "ALL"] if not flow.empty else flow
    for row in _sort(every_site, [("step", None), ("reason", [])]).itertuples(index=False):
        if row.stage == "rejected_at_ingestion":
            label = f"Rejected: {row.reason} ({RULE_MEANING.get(row.reason, '')})"
        elif row.stage == "excluded":
            reason = code_list("exclusion_reason").get(row.reason)
            label = f"Excluded: {row.reason} ({reason.label if reason else ''})"
        elif row.stage == "group":
            label = group_label(row.reason)
        else:
            label = FLOW_LABELS.get(row.stage, str(row.stage))
        rows.append((label, int(row.n), FLOW_KINDS.get(row.stage, "main")))
    return rows


def study_flow_section(flow: pd.DataFrame) -> dict:
    """The study-flow table: every patient row of the current snapshots accounted for."""
    note = ("Every patient row of the current patients snapshots: rejected at ingestion (a row "
            "with two faults under each), identical copies counted once, patients excluded "
            "from the analysis and why, and the analysis population per group.")
    return {"table": Table("study-flow", note, ["Patients", "n"], numeric_from=1),
            "rows": [{"label": label, "n": number, "kind": kind}
                     for label, number, kind in study_flow(flow)]}


def baseline_section(baseline: pd.DataFrame) -> Table:
    """Table 1: the patients' characteristics at baseline, a column per group."""
    groups = _ranked(baseline["group_code"], GROUP_ORDER)
    rows = [[label, *summaries, NA if _is_missing(p_value) else
             f"{format_p_value(p_value)} ({test})"]
            for label, summaries, p_value, test in table_one.rows(baseline, groups)]
    note = ("The patients in the analysis at baseline: mean (SD), median [Q1, Q3] or n (%), "
            "and the test of the difference between the two groups. "
            f"{GROUPS_NOTE}")
    return Table("baseline-characteristics", note,
                 ["Characteristic", *(group_label(g, short=True) for g in groups), "p (test)"],
                 rows, numeric_from=1)


def group_summary_section(group_summary: pd.DataFrame) -> dict:
    """The paper's table: a row per parameter and group, a column per visit, cells mean (SD)
    with the number of patients."""
    visits = visits_with_data(group_summary)
    cells = {(r.param_code, r.group_code, r.visit_code): {"mean_sd": _text(r.mean_sd),
                                                          "n": _count(r.n)}
             for r in group_summary.itertuples(index=False)}
    parameters = []
    for param_code in _ranked(group_summary["param_code"], PARAM_ORDER):
        of_param = group_summary[group_summary["param_code"] == param_code]
        parameters.append({"code": param_code, "label": parameter_label(param_code), "groups": [
            {"code": group_code, "label": group_label(group_code),
             "cells": [(visit, visit_label(visit), cells.get((param_code, group_code, visit)))
                       for visit in visits]}
            for group_code in _ranked(of_param["group_code"], GROUP_ORDER)]})
    note = "Mean (SD) by group and visit; n = patients with a value."
    return {"table": Table("group-summary", note,
                           ["Parameter / group", *(visit_label(v) for v in visits)]),
            "visits": visits, "parameters": parameters}


def plot_parameter(group_summary: pd.DataFrame, param_code: str, visits: Sequence[str]
                   ) -> bytes:
    """PNG of the group means ± SD of one parameter across the visits, a line per group."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # imported only to draw
    from matplotlib.figure import Figure

    figure = Figure(figsize=PLOT_SIZE_INCHES, dpi=PLOT_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    try:
        axes = figure.add_subplot()
        of_param = group_summary[group_summary["param_code"] == param_code]
        groups = _ranked(of_param["group_code"], GROUP_ORDER)
        handles, labels = [], []
        for index, group_code in enumerate(groups):
            mean, sd = courses.visit_points(of_param[of_param["group_code"] == group_code],
                                            visits)
            style = GROUP_STYLES.get(group_code, {"marker": "^", "linestyle": "-"})
            # Nudge the groups apart so that their error bars do not hide each other.
            x = np.arange(len(visits), dtype=float) + (index - (len(groups) - 1) / 2) * 0.06
            if group_code == ALL_GROUPS:
                (handle,) = axes.plot(x, mean, linewidth=1.2, **style)
            else:
                # A NaN in yerr draws no bar, which is right where n < 2 leaves no SD.
                handle = axes.errorbar(x, mean, yerr=sd, capsize=3, linewidth=1.6,
                                       markersize=5, **style)
            handles.append(handle)
            labels.append(group_label(group_code, short=True))
        axes.set_xticks(range(len(visits)), [visit_label(v) for v in visits])
        axes.set_xlim(-0.4, len(visits) - 0.6)
        axes.tick_params(labelsize=9)
        axes.set_xlabel("Visit", fontsize=10)
        axes.set_ylabel(parameter_label(param_code), fontsize=10)
        axes.set_title(f"{parameter_name(param_code)}: group mean ± SD", fontsize=11)
        axes.grid(axis="y", color="#e5e5e5", linewidth=0.8)
        axes.spines[["top", "right"]].set_visible(False)
        if handles:
            # Below the axes, in the groups' order, so that it never covers a point.
            figure.legend(handles, labels, loc="outside lower center", ncols=len(labels),
                          fontsize=9, frameon=False)
        buffer = io.BytesIO()
        # No "Software" stamp, so a re-render of the same tables gives the same bytes.
        figure.savefig(buffer, format="png", dpi=PLOT_DPI, metadata={"Software": None})
        return buffer.getvalue()
    finally:
        figure.clear()


def plot_alt_text(param_code: str) -> str:
    """The alt text of a parameter's plot."""
    return f"{parameter_name(param_code)}: group mean ± SD by visit"


def plots_section(group_summary: pd.DataFrame, figures: Figures | None = None) -> dict:
    """A figure per parameter present in the group summary (taken from ``figures`` when it
    holds one drawn from the same rows)."""
    visits = visits_with_data(group_summary)

    def png(param_code: str) -> bytes:
        def draw() -> bytes:
            return plot_parameter(group_summary, param_code, visits)
        if figures is None:
            return draw()
        rows = group_summary[group_summary["param_code"] == param_code]
        return figures.get(f"{param_code}\n{list(visits)}\n{rows.to_csv(index=False)}", draw)

    figures_shown = [
        {"param_code": param_code,
         "png": base64.b64encode(png(param_code)).decode("ascii"),
         "alt": plot_alt_text(param_code),
         "width": int(PLOT_SIZE_INCHES[0] * PLOT_DPI),
         "height": int(PLOT_SIZE_INCHES[1] * PLOT_DPI),
         "caption": f"{parameter_label(param_code)}. Error bars: ± 1 SD "
                    "(none where fewer than 2 patients)."}
        for param_code in _ranked(group_summary["param_code"], PARAM_ORDER)]
    return {"figures": figures_shown,
            "note": GROUPS_NOTE if figures_shown else f"group_summary: {NO_ROWS}"}


def courses_section(course_rows: pd.DataFrame, group_sizes: pd.DataFrame,
                    group_summary: pd.DataFrame, figures: Figures | None = None) -> dict:
    """A figure per parameter of each patient's course, a panel per study group."""
    visits = visits_with_data(group_summary)
    sizes = {r.group_code: int(r.patients) for r in group_sizes.itertuples(index=False)}
    study_groups = [g for g in _ranked(group_summary["group_code"], GROUP_ORDER)
                    if g != ALL_GROUPS]
    shown = []
    for param_code in _ranked(group_summary["param_code"], PARAM_ORDER):
        names = {"groups": {g: group_label(g, short=True) for g in study_groups},
                 "visits": VISIT_NAMES, "parameter": parameter_label(param_code),
                 "styles": GROUP_STYLES, "sizes": sizes}
        rows = course_rows[course_rows["param_code"] == param_code]
        summary = group_summary[group_summary["param_code"] == param_code]

        def draw(rows=rows, summary=summary, param_code=param_code, names=names) -> bytes:
            return courses.plot_courses(rows, summary, param_code, study_groups, visits, names)

        drawn = (f"courses\n{param_code}\n{list(visits)}\n{sizes}\n"
                 f"{rows.to_csv(index=False)}\n{summary.to_csv(index=False)}")
        png = draw() if figures is None else figures.get(drawn, draw)
        shown.append({"param_code": param_code, "png": base64.b64encode(png).decode("ascii"),
                      "alt": f"{parameter_name(param_code)}: each patient's values over the "
                             "visits, a panel per group, under the group mean",
                      "width": int(courses.SIZE_INCHES[0] * courses.DPI),
                      "height": int(courses.SIZE_INCHES[1] * courses.DPI),
                      "caption": courses.caption(study_groups, names)})
    return {"figures": shown, "note": "" if shown else f"group_summary: {NO_ROWS}"}


def change_summary_section(change_summary: pd.DataFrame) -> dict:
    """Per parameter: mean change from the reference visit with its 95% CI and the tests."""
    header = ["Group", "Visit", "Reference", "Pairs", "Mean change (95% CI)", "Wilcoxon p",
              "t-test p"]
    note = ("Change = value − reference value, in patients with both (pairs). Before USGDN: the "
            "last value before the first USGDN session. Two-sided Wilcoxon signed-rank and "
            f"one-sample t-tests. {GROUPS_NOTE}")
    parameters = []
    for param_code in _ranked(change_summary["param_code"], PARAM_ORDER):
        of_param = change_summary[change_summary["param_code"] == param_code]
        ordered = _sort(of_param, [("group_code", GROUP_ORDER), ("visit_order", None),
                                   ("reference", list(REFERENCES))])
        rows = [[group_label(r.group_code, short=True), visit_label(r.visit_code),
                 REFERENCE_NAMES.get(r.reference, _text(r.reference)),
                 _count(r.n_pairs), format_mean_change(r.mean_change, r.ci95_low, r.ci95_high),
                 format_p_value(r.p_wilcoxon), format_p_value(r.p_ttest)]
                for r in ordered.itertuples(index=False)]
        parameters.append({"label": parameter_label(param_code), "table": Table(
            f"change-summary-{param_code}", note, header, rows, numeric_from=3)})
    return {"parameters": parameters,
            "empty": Table("change-summary", note, header, numeric_from=3)}


def responder_section(responder_summary: pd.DataFrame) -> dict:
    """The criteria with their definitions, and responders per group, visit and criterion."""
    ordered = _sort(responder_summary, [("group_code", GROUP_ORDER), ("visit_order", None),
                                        ("criterion", CRITERION_ORDER)])
    rows = [[group_label(r.group_code, short=True), visit_label(r.visit_code), _text(r.criterion),
             format_responders(r.n_responders, r.n_evaluable, r.pct_responders)]
            for r in ordered.itertuples(index=False)]
    return {
        "criteria": Table(
            "responder-criteria", "A patient is evaluable when every value a definition uses "
            "is there (a change needs the baseline).", ["Criterion", "Definition"],
            [[criterion, definition] for criterion, definition in CRITERION_DEFINITIONS.items()],
            numeric_from=2),
        "table": Table(
            "responder-summary", "Patients meeting each criterion among those evaluable at the "
            f"visit. {GROUPS_NOTE}", ["Group", "Visit", "Criterion",
                                      "Responders / evaluable (%)"], rows, numeric_from=3),
    }


def files_by_status(load_audit: pd.DataFrame) -> tuple[list[list[str]], list[str]]:
    """Files and their rows per status, and the totals over all of them."""
    row_counts = ["rows_read", "rows_loaded", "rows_rejected"]
    numbers = load_audit.assign(**{c: pd.to_numeric(load_audit[c], errors="coerce")
                                   for c in row_counts})

    def summed(files: pd.DataFrame) -> list[str]:
        return [str(len(files)), *(str(int(files[c].sum())) for c in row_counts)]

    rows = [[str(status), *summed(numbers[numbers["status"] == status])]
            for status in _ranked(numbers["status"], FILE_STATUSES)]
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
    issues = _sort(of_load(data_quality), [("source", []), ("site", []),
                                           ("severity", SEVERITIES), ("rule", [])])
    issue_rows = [[_text(r.source) if not _is_missing(r.source) else "(file name)",
                   _text(r.site) if not _is_missing(r.site) else "—", _text(r.rule),
                   RULE_MEANING.get(r.rule, ""), _text(r.severity), _count(r.n)]
                  for r in issues.itertuples(index=False)]
    return {
        "which": "no load recorded" if load_id is None else f"load {load_id}",
        "files": Table("load-files", "Files seen by this load",
                       ["Status", "Files", "Rows read", "Rows loaded", "Rows rejected"],
                       file_rows, numeric_from=1, total=file_total),
        "rejected_files": Table("rejected-files", "Files this load set aside, and why",
                                ["File", "Why"],
                                [[_text(r.file_name), _text(r.message)]
                                 for r in rejected.itertuples(index=False)], numeric_from=2),
        "issues": Table("data-quality", "Data issues found by this load (the detail, with the "
                        "file, row, column and value: `pmps issues`)",
                        ["Source", "Site", "Rule", "Meaning", "Severity", "n"], issue_rows,
                        numeric_from=5),
        "warned": Table("warned-checks", "Checks of this load that warned (nothing is held "
                        "back for them)", ["Check", "What it found"],
                        [[_text(r.check), _text(r.summary)]
                         for r in warnings.itertuples(index=False)], numeric_from=2),
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
    renders as "no rows"); ``generated_at`` defaults to now, in local time; the downloads
    list the exports of ``export_formats`` (all when None) beside the CSVs.
    """
    generated_at = generated_at or datetime.now().astimezone()
    load_audit, data_quality = _table(tables, "load_audit"), _table(tables, "data_quality")
    load_id = latest_load_id(load_audit, data_quality)
    group_summary = _table(tables, "group_summary")
    stamp = generated_at.strftime("%Y-%m-%d %H:%M %Z").strip()
    return _template().render(
        title=TITLE, content_security_policy=CONTENT_SECURITY_POLICY, no_rows_text=NO_ROWS,
        meta=f"Load {load_id if load_id is not None else NA} · generated {stamp}",
        study_flow=study_flow_section(_table(tables, "study_flow")),
        baseline=baseline_section(_table(tables, "baseline_characteristics")),
        group_summary=group_summary_section(group_summary),
        plots=plots_section(group_summary, figures),
        courses=courses_section(_course_table(tables, "courses"),
                                _course_table(tables, "group_sizes"), group_summary, figures),
        change_summary=change_summary_section(_table(tables, "change_summary")),
        responders=responder_section(_table(tables, "responder_summary")),
        data_quality=data_quality_section(load_audit, data_quality, load_id,
                                          _table(tables, "warnings")),
        downloads=[(path, text) for path, text in DOWNLOADS if export_formats is None
                   or not path.endswith("/") or path.rstrip("/") in export_formats])
