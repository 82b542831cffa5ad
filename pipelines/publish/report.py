"""The published report: one self-contained HTML page of the study's outcomes.

The page is built from the published (de-identified) tables only, shows group-level figures and
never a patient row, and needs no network: the styles are inline and the plots are PNG images
embedded as ``data:`` URIs, drawn with matplotlib's Agg canvas (no pyplot global state).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from html import escape
from typing import NamedTuple

import pandas as pd

from pipelines.core.issues import RULE_MEANING
from pipelines.core.reference import responder_criteria
from pipelines.core.tables import TABLE_DDL, columns_of
from pipelines.publish.summaries import ALL_GROUPS, GROUP_ORDER, PARAM_ORDER, round_half_away

TITLE = "Ultrasound-guided dry needling for postmastectomy pain syndrome: outcomes"
NO_ROWS = "no rows"
NA = "NA"


class Parameter(NamedTuple):
    name: str
    label: str


PARAMETERS: dict[str, Parameter] = {
    "NRS": Parameter("NRS pain", "NRS pain 0–10"),
    "PAINDETECT": Parameter("painDETECT", "painDETECT −1–38"),
    "DASH": Parameter("DASH", "DASH 0–100"),
    "PHQ9": Parameter("PHQ-9", "PHQ-9 0–27"),
    "MME": Parameter("Opioid use", "Opioid use (MME/day)"),
}
GROUPS: dict[str, str] = {
    "NI_USGDN": "Group 1: neural intervention then USGDN",
    "USGDN_ONLY": "Group 2: USGDN only",
    ALL_GROUPS: "All patients",
}
# The dense tables name the groups briefly and spell them out once in a note.
GROUPS_SHORT: dict[str, str] = {"NI_USGDN": "Group 1", "USGDN_ONLY": "Group 2",
                                ALL_GROUPS: "All"}
GROUPS_NOTE = "Group 1: neural intervention then USGDN; Group 2: USGDN only; All: both."
REFERENCE_ORDER = ["BASELINE", "PRE_USGDN"]
CRITERION_DEFINITIONS = {c.criterion: c.description for c in responder_criteria()}
CRITERION_ORDER = list(CRITERION_DEFINITIONS)
STATUS_ORDER = ["loaded", "superseded", "duplicate_file", "rejected"]
SEVERITY_ORDER = ["rejected_file", "rejected_row", "rejected_value", "warning"]
EXCLUSION_REASONS = {"no_usgdn": "no USGDN session, so no group",
                     "no_procedures": "no accepted procedure at all"}
# The outputs a reader can download beside the page (published/, relative links).
DOWNLOADS = [("data_dictionary.csv", "data dictionary: every table and column, CSV"),
             ("parquet/", "every table as Parquet (dashboards)"),
             ("spss/", "patients, outcomes and the summaries for SPSS (.sav, labelled)"),
             ("stata/", "the same for Stata (.dta, labelled)"),
             ("group_summary.csv", "the group summary, CSV")]

WARNING_COLUMNS = ["check", "summary"]  # the warned checks the publish step passes

# Plot colours from the colour-blind-safe Okabe-Ito palette; ALL is drawn as a quiet reference.
GROUP_STYLES: dict[str, dict] = {
    "NI_USGDN": {"color": "#0072B2", "marker": "o", "linestyle": "-"},
    "USGDN_ONLY": {"color": "#D55E00", "marker": "s", "linestyle": "-"},
    ALL_GROUPS: {"color": "#7f7f7f", "marker": "o", "markersize": 3, "linestyle": "--"},
}
PLOT_SIZE_INCHES = (5.6, 3.6)
PLOT_DPI = 100

STYLESHEET = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body {
  margin: 0; background: #fff; color: #1f2328; line-height: 1.45;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    sans-serif;
}
main { max-width: 72rem; margin: 0 auto; padding: 1rem 1rem 3rem; }
h1 { font-size: 1.45rem; line-height: 1.25; margin: 0.5rem 0 0.25rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 0.5rem; padding-bottom: 0.2rem;
  border-bottom: 2px solid #d0d7de; }
h3 { font-size: 1rem; margin: 1.25rem 0 0.4rem; }
p { margin: 0.4rem 0; }
.meta, .note { color: #57606a; font-size: 0.9rem; }
.table-wrap { overflow-x: auto; -webkit-overflow-scrolling: touch; width: fit-content;
  max-width: 100%; margin: 0.4rem 0 1rem; border: 1px solid #d0d7de; border-radius: 6px; }
/* Separate borders: with collapsed ones a sticky cell loses its border while scrolling. */
table { border-collapse: separate; border-spacing: 0; font-size: 0.9rem;
  font-variant-numeric: tabular-nums; }
th, td { padding: 0.35rem 0.6rem; border-top: 1px solid #eaeef2; text-align: left;
  vertical-align: top; white-space: nowrap; background: #fff; }
thead th { background: #f6f8fa; border-top: 0; font-weight: 600; }
tbody th { font-weight: 500; }
td.num, th.num { text-align: right; }
/* The row labels stay in view while a wide table scrolls sideways on a phone. */
th[scope="row"], thead th:first-child { position: sticky; left: 0; z-index: 1; }
tr.parameter th { background: #f6f8fa; font-weight: 600; }
tr.parameter th span { position: sticky; left: 0.6rem; }
tr.total th, tr.total td { font-weight: 600; }
tfoot tr.total th, tfoot tr.total td { border-top: 2px solid #d0d7de; }
tr.sub th { padding-left: 1.6rem; font-weight: 400; }
td.empty { color: #57606a; font-style: italic; }
.n { display: block; font-size: 0.75em; color: #57606a; }
.plots { display: grid; gap: 1rem;
  grid-template-columns: repeat(auto-fit, minmax(min(100%, 26rem), 1fr)); }
figure { margin: 0; }
figcaption { font-size: 0.85rem; color: #57606a; }
img { display: block; max-width: 100%; height: auto; }
ul.downloads { padding-left: 1.2rem; }
@media (max-width: 40rem) {
  main { padding: 0.75rem 0.75rem 2rem; }
  h1 { font-size: 1.25rem; }
  table { font-size: 0.85rem; }
  th, td { white-space: normal; }
  th[scope="row"], thead th:first-child { position: static; }
  /* On a phone every row of a wide table stands as a card: its label, then each cell under
     its column's name, so no number is hidden beyond the right edge. */
  .table-wrap:has(table.cards) { width: 100%; border: 0; overflow-x: visible; }
  table.cards, table.cards tbody, table.cards tfoot, table.cards tr, table.cards th,
  table.cards td { display: block; width: 100%; }
  table.cards thead { display: none; }
  table.cards tr { border: 1px solid #d0d7de; border-radius: 6px; margin: 0 0 0.6rem; }
  table.cards th[scope="row"], table.cards th[scope="rowgroup"] { background: #f6f8fa; }
  table.cards td { display: flex; gap: 0.5rem; justify-content: space-between; }
  table.cards td[data-label]::before { content: attr(data-label); color: #57606a; }
  table.cards td:empty { display: none; }
  table.cards .n { display: inline; margin-left: 0.4rem; }
  tr.parameter th span { position: static; }
}
"""

# Nothing on the page may reach the network: images only from data: URIs, styles inline.
CONTENT_SECURITY_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


# ---- values and formatting -------------------------------------------------------------


def _table(tables: Mapping[str, pd.DataFrame], name: str) -> pd.DataFrame:
    # Only item access, so publish.PublishedTables serves as well as a dict.
    try:
        return tables[name]
    except KeyError:
        return pd.DataFrame(columns=columns_of(name) if name in TABLE_DDL else WARNING_COLUMNS)


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
    return known.name if known else str(param_code)


def parameter_label(param_code: str) -> str:
    """The parameter's display name with its scale (``NRS pain 0–10``)."""
    known = PARAMETERS.get(param_code)
    return known.label if known else str(param_code)


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


# ---- HTML building blocks ----------------------------------------------------------------


def _cells(values: Iterable[str], cls: str | None = None,
           labels: Sequence[str] | None = None) -> str:
    attribute = f' class="{cls}"' if cls else ""
    labels = list(labels) if labels else []
    return "".join(
        f'<td{attribute} data-label="{escape(labels[i])}">{escape(v)}</td>' if i < len(labels)
        else f"<td{attribute}>{escape(v)}</td>" for i, v in enumerate(values))


def _table_html(table_id: str, note: str, header: Sequence[str], body: str,
                numeric_from: int | None = None) -> str:
    """A table in its scrolling wrapper, after a note that says what it shows."""
    numeric = range(numeric_from or len(header), len(header))
    head = "".join(f'<th scope="col" class="num">{escape(h)}</th>' if i in numeric
                   else f'<th scope="col">{escape(h)}</th>' for i, h in enumerate(header))
    # The note sits outside the scrolling wrapper so that a phone shows it whole.
    cards = ' class="cards"' if len(header) > 2 else ""  # rows as cards on a phone
    return (f'<p class="note" id="{table_id}-note">{escape(note)}</p>'
            f'<div class="table-wrap"><table id="{table_id}"{cards} '
            f'aria-describedby="{table_id}-note">'
            f"<thead><tr>{head}</tr></thead>{body}</table></div>")


def _no_rows(width: int) -> str:
    return f'<tbody><tr><td class="empty" colspan="{width}">{NO_ROWS}</td></tr></tbody>'


def _plain_table(table_id: str, note: str, header: Sequence[str],
                 rows: Sequence[Sequence[str]], numeric_from: int,
                 total: Sequence[str] | None = None) -> str:
    """A table of text cells, the first a row label; from ``numeric_from`` on, numbers."""
    if not rows:
        return _table_html(table_id, note, header, _no_rows(len(header)), numeric_from)

    def row_html(row: Sequence[str], cls: str = "") -> str:
        attribute = f' class="{cls}"' if cls else ""
        return (f'<tr{attribute}><th scope="row">{escape(row[0])}</th>'
                f"{_cells(row[1:numeric_from], labels=header[1:numeric_from])}"
                f"{_cells(row[numeric_from:], cls='num', labels=header[numeric_from:])}</tr>")

    body = f"<tbody>{''.join(row_html(row) for row in rows)}</tbody>"
    foot = f"<tfoot>{row_html(total, 'total')}</tfoot>" if total else ""
    return _table_html(table_id, note, header, body + foot, numeric_from)


def _section(section_id: str, title: str, content: str) -> str:
    return f'<section id="{section_id}-section"><h2>{escape(title)}</h2>{content}</section>'


# ---- the sections ------------------------------------------------------------------------


def _flags(series: pd.Series) -> pd.Series:
    """A boolean column with nulls read as false (a nullable column may hold pd.NA)."""
    return pd.Series([False if _is_missing(v) else bool(v) for v in series], index=series.index,
                     dtype=bool)


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
            label = f"Excluded: {row.reason} ({EXCLUSION_REASONS.get(row.reason, '')})"
        elif row.stage == "group":
            label = group_label(row.reason)
        else:
            label = FLOW_LABELS.get(row.stage, str(row.stage))
        rows.append((label, int(row.n), FLOW_KINDS.get(row.stage, "main")))
    return rows


def render_study_flow(flow: pd.DataFrame) -> str:
    """The study-flow table: every patient row of the current snapshots accounted for."""
    body = "".join(
        f'<tr class="{kind}"><th scope="row">{escape(label)}</th>'
        f'<td class="num" data-label="n">{number}</td></tr>'
        for label, number, kind in study_flow(flow))
    if not body:
        body = _no_rows(2)[len("<tbody>"):-len("</tbody>")]
    note = ("Every patient row of the current patients snapshots: rejected at ingestion (a row "
            "with two faults under each), identical copies counted once, patients excluded "
            "from the analysis and why, and the analysis population per group.")
    table = _table_html("study-flow", note, ["Patients", "n"], f"<tbody>{body}</tbody>",
                        numeric_from=1)
    return _section("study-flow", "Study flow", table)


def render_group_summary(group_summary: pd.DataFrame) -> str:
    """The paper's table: a row per parameter and group, a column per visit, cells mean (SD)."""
    visits = visits_with_data(group_summary)
    header = ["Parameter / group", *visits]
    if group_summary.empty:
        body = _no_rows(len(header))
    else:
        cells = {(r.param_code, r.group_code, r.visit_code): (r.mean_sd, r.n)
                 for r in group_summary.itertuples(index=False)}
        body = "".join(_group_summary_rows(group_summary, param_code, visits, cells)
                       for param_code in _ranked(group_summary["param_code"], PARAM_ORDER))
    note = "Mean (SD) by group and visit; n = patients with a value."
    return _section("group-summary", "Outcomes by group and visit",
                    _table_html("group-summary", note, header, body))


def _group_summary_rows(group_summary: pd.DataFrame, param_code: str, visits: Sequence[str],
                        cells: Mapping[tuple, tuple]) -> str:
    of_param = group_summary[group_summary["param_code"] == param_code]
    rows = [f'<tr class="parameter" data-param="{escape(str(param_code))}">'
            f'<th scope="rowgroup" colspan="{len(visits) + 1}">'
            f"<span>{escape(parameter_label(param_code))}</span></th></tr>"]
    for group_code in _ranked(of_param["group_code"], GROUP_ORDER):
        tds = []
        for visit_code in visits:
            cell = cells.get((param_code, group_code, visit_code))
            content = "" if cell is None else (f"{escape(_text(cell[0]))}"
                                               f'<span class="n">n={_count(cell[1])}</span>')
            tds.append(f'<td data-visit="{escape(str(visit_code))}" '
                       f'data-label="{escape(str(visit_code))}">{content}</td>')
        rows.append(f'<tr data-param="{escape(str(param_code))}" '
                    f'data-group="{escape(str(group_code))}">'
                    f'<th scope="row">{escape(group_label(group_code))}</th>{"".join(tds)}</tr>')
    return f"<tbody>{''.join(rows)}</tbody>"


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
        position = {visit: i for i, visit in enumerate(visits)}
        handles, labels = [], []
        for index, group_code in enumerate(groups):
            rows = of_param[of_param["group_code"] == group_code]
            rows = rows[rows["visit_code"].isin(position)]
            rows = rows.assign(_x=rows["visit_code"].map(position)).sort_values("_x")
            style = GROUP_STYLES.get(group_code, {"marker": "^", "linestyle": "-"})
            # Nudge the groups apart so that their error bars do not hide each other.
            x = rows["_x"].to_numpy(dtype=float) + (index - (len(groups) - 1) / 2) * 0.06
            mean = pd.to_numeric(rows["mean"], errors="coerce").to_numpy(dtype=float)
            sd = pd.to_numeric(rows["sd"], errors="coerce").to_numpy(dtype=float)
            if group_code == ALL_GROUPS:
                (handle,) = axes.plot(x, mean, linewidth=1.2, **style)
            else:
                # A NaN in yerr draws no bar, which is right where n < 2 leaves no SD.
                handle = axes.errorbar(x, mean, yerr=sd, capsize=3, linewidth=1.6,
                                       markersize=5, **style)
            handles.append(handle)
            labels.append(group_label(group_code, short=True))
        axes.set_xticks(range(len(visits)), [str(v) for v in visits])
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


def render_plots(group_summary: pd.DataFrame) -> str:
    """A figure per parameter present in the group summary."""
    visits = visits_with_data(group_summary)
    figures = []
    for param_code in _ranked(group_summary["param_code"], PARAM_ORDER):
        png = base64.b64encode(plot_parameter(group_summary, param_code, visits)).decode("ascii")
        alt = escape(plot_alt_text(param_code))
        figures.append(
            f'<figure data-param="{escape(str(param_code))}">'
            f'<img src="data:image/png;base64,{png}" alt="{alt}" '
            f'width="{int(PLOT_SIZE_INCHES[0] * PLOT_DPI)}" '
            f'height="{int(PLOT_SIZE_INCHES[1] * PLOT_DPI)}">'
            f"<figcaption>{escape(parameter_label(param_code))}. Error bars: ± 1 SD "
            "(none where fewer than 2 patients).</figcaption></figure>")
    note = GROUPS_NOTE if figures else f"group_summary: {NO_ROWS}"
    return ('<section id="plots"><h2>Group means over the visits</h2>'
            f'<p class="note">{escape(note)}</p><div class="plots">{"".join(figures)}</div>'
            "</section>")


def render_change_summary(change_summary: pd.DataFrame) -> str:
    """Per parameter: mean change from the reference visit with its 95% CI and the tests."""
    header = ["Group", "Visit", "Reference", "Pairs", "Mean change (95% CI)", "Wilcoxon p",
              "t-test p"]
    note = ("Change = value − reference value, in patients with both (pairs). PRE_USGDN: the "
            "last value before the first USGDN session. Two-sided Wilcoxon signed-rank and "
            f"one-sample t-tests. {GROUPS_NOTE}")
    tables = []
    for param_code in _ranked(change_summary["param_code"], PARAM_ORDER):
        of_param = change_summary[change_summary["param_code"] == param_code]
        ordered = _sort(of_param, [("group_code", GROUP_ORDER), ("visit_order", None),
                                   ("reference", REFERENCE_ORDER)])
        rows = [[group_label(r.group_code, short=True), _text(r.visit_code), _text(r.reference),
                 _count(r.n_pairs), format_mean_change(r.mean_change, r.ci95_low, r.ci95_high),
                 format_p_value(r.p_wilcoxon), format_p_value(r.p_ttest)]
                for r in ordered.itertuples(index=False)]
        tables.append(f"<h3>{escape(parameter_label(param_code))}</h3>" + _plain_table(
            f"change-summary-{param_code}", note, header, rows, numeric_from=3))
    content = "".join(tables) or _plain_table("change-summary", note, header, [], 3)
    return _section("change-summary", "Change from baseline and from before USGDN", content)


def render_responder_summary(responder_summary: pd.DataFrame) -> str:
    """Responders per group, visit and criterion."""
    header = ["Group", "Visit", "Criterion", "Responders / evaluable (%)"]
    ordered = _sort(responder_summary, [("group_code", GROUP_ORDER), ("visit_order", None),
                                        ("criterion", CRITERION_ORDER)])
    rows = [[group_label(r.group_code, short=True), _text(r.visit_code), _text(r.criterion),
             format_responders(r.n_responders, r.n_evaluable, r.pct_responders)]
            for r in ordered.itertuples(index=False)]
    note = f"Patients meeting each criterion among those evaluable at the visit. {GROUPS_NOTE}"
    definitions = _plain_table(
        "responder-criteria", "A patient is evaluable when every value a definition uses is "
        "there (a change needs the baseline).", ["Criterion", "Definition"],
        [[criterion, definition] for criterion, definition in CRITERION_DEFINITIONS.items()],
        numeric_from=2)
    return _section("responder-summary", "Responders",
                    definitions + _plain_table("responder-summary", note, header, rows,
                                               numeric_from=3))


def files_by_status(load_audit: pd.DataFrame) -> tuple[list[list[str]], list[str]]:
    """Files and their rows per status, and the totals over all of them."""
    row_counts = ["rows_read", "rows_loaded", "rows_rejected"]
    numbers = load_audit.assign(**{c: pd.to_numeric(load_audit[c], errors="coerce")
                                   for c in row_counts})

    def summed(files: pd.DataFrame) -> list[str]:
        return [str(len(files)), *(str(int(files[c].sum())) for c in row_counts)]

    rows = [[str(status), *summed(numbers[numbers["status"] == status])]
            for status in _ranked(numbers["status"], STATUS_ORDER)]
    return rows, ["Total", *summed(numbers)]


def render_data_quality(load_audit: pd.DataFrame, data_quality: pd.DataFrame,
                        load_id: int | None, warnings: pd.DataFrame) -> str:
    """The latest load's files by status and its data-issue counts."""
    def of_load(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[pd.to_numeric(frame["load_id"], errors="coerce") == load_id]

    file_rows, file_total = files_by_status(of_load(load_audit))
    files = _plain_table("load-files", "Files seen by this load",
                         ["Status", "Files", "Rows read", "Rows loaded", "Rows rejected"],
                         file_rows, numeric_from=1, total=file_total)
    audit = of_load(load_audit)
    rejected = audit[audit["status"] == "rejected"].sort_values("file_name")
    rejected_files = _plain_table(
        "rejected-files", "Files this load set aside, and why",
        ["File", "Why"], [[_text(r.file_name), _text(r.message)]
                          for r in rejected.itertuples(index=False)], numeric_from=2)
    issues = _sort(of_load(data_quality), [("source", []), ("site", []),
                                           ("severity", SEVERITY_ORDER), ("rule", [])])
    issue_rows = [[_text(r.source) if not _is_missing(r.source) else "(file name)",
                   _text(r.site) if not _is_missing(r.site) else "—", _text(r.rule),
                   RULE_MEANING.get(r.rule, ""), _text(r.severity), _count(r.n)]
                  for r in issues.itertuples(index=False)]
    counts = _plain_table("data-quality", "Data issues found by this load (the detail, with "
                          "the file, row, column and value: `pmps issues`)",
                          ["Source", "Site", "Rule", "Meaning", "Severity", "n"], issue_rows,
                          numeric_from=5)
    warned = _plain_table(
        "warned-checks", "Checks of this load that warned (nothing is held back for them)",
        ["Check", "What it found"], [[_text(r.check), _text(r.summary)]
                                     for r in warnings.itertuples(index=False)],
        numeric_from=2)
    which = "no load recorded" if load_id is None else f"load {load_id}"
    return _section("data-quality", f"Data quality ({which})",
                    f"<h3>Files by status</h3>{files}<h3>Rejected files</h3>{rejected_files}"
                    f"<h3>Data issues</h3>{counts}<h3>Checks that warned</h3>{warned}")


def render_downloads() -> str:
    items = "".join(f'<li><a href="{escape(path)}">{escape(path)}</a>: {escape(what)}</li>'
                    for path, what in DOWNLOADS)
    return _section("downloads", "Downloads", f'<ul class="downloads">{items}</ul>')


def render_report(tables: Mapping[str, pd.DataFrame],
                  generated_at: datetime | None = None) -> str:
    """The whole report as one self-contained HTML page.

    ``tables`` maps the published table names to their DataFrames (a missing or empty table
    renders as "no rows"); ``generated_at`` defaults to now, in local time.
    """
    generated_at = generated_at or datetime.now().astimezone()
    load_audit, data_quality = _table(tables, "load_audit"), _table(tables, "data_quality")
    load_id = latest_load_id(load_audit, data_quality)
    group_summary = _table(tables, "group_summary")
    stamp = generated_at.strftime("%Y-%m-%d %H:%M %Z").strip()
    meta = (f"Load {load_id if load_id is not None else NA} · generated {stamp}")
    sections = [
        render_study_flow(_table(tables, "study_flow")),
        render_group_summary(group_summary),
        render_plots(group_summary),
        render_change_summary(_table(tables, "change_summary")),
        render_responder_summary(_table(tables, "responder_summary")),
        render_data_quality(load_audit, data_quality, load_id, _table(tables, "warnings")),
        render_downloads(),
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">\n'
        f"<title>{escape(TITLE)}</title>\n<style>{STYLESHEET}</style>\n</head>\n<body>\n<main>\n"
        f"<header><h1>{escape(TITLE)}</h1>"
        f'<p class="meta" id="report-meta">{escape(meta)}</p></header>\n'
        + "\n".join(sections)
        + "\n</main>\n</body>\n</html>\n"
    )
