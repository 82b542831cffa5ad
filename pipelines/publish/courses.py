"""The report's patient courses: per parameter, a panel per study group with each patient's
values over the visits as thin lines under the group mean. Above ``LINES_UP_TO`` patients in a
group the lines would be a smear, so that group's panel shows its median with the
interquartile band instead (from group_summary), and the caption says so."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pandas as pd

LINES_UP_TO = 200  # patients in a group drawn one line each; more: median and IQR band
SIZE_INCHES = (5.6, 3.2)
DPI = 100


def group_sizes_sql(patients: str) -> str:
    """The patients in the analysis per study group."""
    return f"""
        SELECT group_code, count(*)::INTEGER AS patients FROM {patients}
        WHERE in_analysis AND group_code IS NOT NULL GROUP BY group_code ORDER BY group_code"""


def course_rows_sql(outcomes: str, patients: str) -> str:
    """Each value of the analysed patients of every group small enough to draw line by line."""
    return f"""
        WITH sizes AS ({group_sizes_sql(patients)})
        SELECT o.patient_key, o.group_code, o.param_code, o.visit_code, o.value
        FROM {outcomes} AS o JOIN sizes USING (group_code)
        WHERE o.in_analysis AND sizes.patients <= {LINES_UP_TO}
        ORDER BY o.group_code, o.param_code, o.patient_key, o.visit_order"""


def visit_points(rows: pd.DataFrame, visits: Sequence[str],
                 columns: Sequence[str] = ("mean", "sd")) -> tuple[np.ndarray, ...]:
    """One group's ``columns`` of group_summary at each of ``visits``, NaN where it has no
    row: a plotted line breaks there rather than joining the visits on either side (Group 2
    has no POST_NI)."""
    at = rows.drop_duplicates("visit_code").set_index("visit_code").reindex(list(visits))
    return tuple(pd.to_numeric(at[column], errors="coerce").to_numpy(dtype=float)
                 for column in columns)


def patient_lines(rows: pd.DataFrame, visits: Sequence[str]) -> np.ndarray:
    """One row per patient, a column per visit: the patient's values, NaN where none (a line
    breaks there)."""
    if rows.empty:
        return np.empty((0, len(visits)))
    wide = rows.pivot_table(index="patient_key", columns="visit_code", values="value",
                            aggfunc="first")
    return wide.reindex(columns=list(visits)).to_numpy(dtype=float)


def banded(sizes: dict[str, int], group_code: str) -> bool:
    """Whether a group's panel shows the median band: more patients than lines are drawn for
    (``course_rows_sql`` leaves their rows out)."""
    return sizes.get(group_code, 0) > LINES_UP_TO


def plot_courses(courses: pd.DataFrame, group_summary: pd.DataFrame, param_code: str,
                 groups: Sequence[str], visits: Sequence[str], names: dict) -> bytes:
    """PNG of one parameter's courses: a panel per group (``names``: the labels of groups,
    visits and the parameter, the group styles and the groups' sizes)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    try:
        panels = figure.subplots(1, max(len(groups), 1), sharey=True, squeeze=False)[0]
        x = np.arange(len(visits), dtype=float)
        for axes, group_code in zip(panels, groups, strict=False):
            colour = names["styles"].get(group_code, {}).get("color", "#333333")
            summary = group_summary[(group_summary["group_code"] == group_code)
                                    & (group_summary["param_code"] == param_code)]
            (mean,) = visit_points(summary, visits, ["mean"])
            if banded(names["sizes"], group_code):
                low, middle, high = visit_points(summary, visits, ["q1", "median", "q3"])
                axes.fill_between(x, low, high, color=colour, alpha=0.2, linewidth=0)
                axes.plot(x, middle, color=colour, linewidth=2, marker="o", markersize=4)
            else:
                rows = courses[(courses["group_code"] == group_code)
                               & (courses["param_code"] == param_code)]
                for line in patient_lines(rows, visits):
                    axes.plot(x, line, color="#9a9a9a", linewidth=0.7, alpha=0.7,
                              marker="o", markersize=1.5)
                axes.plot(x, mean, color=colour, linewidth=2.2, marker="o", markersize=4)
            axes.set_title(names["groups"].get(group_code, group_code), fontsize=10)
            axes.set_xticks(x, [names["visits"].get(v, v) for v in visits], rotation=30,
                            ha="right", fontsize=8)
            axes.tick_params(axis="y", labelsize=8)
            axes.grid(axis="y", color="#e5e5e5", linewidth=0.8)
            axes.spines[["top", "right"]].set_visible(False)
        panels[0].set_ylabel(names["parameter"], fontsize=9)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
        return buffer.getvalue()
    finally:
        figure.clear()


def caption(groups: Sequence[str], names: dict) -> str:
    """What the panels show, saying which groups are drawn as a median band."""
    band = [names["groups"].get(g, g) for g in groups if banded(names["sizes"], g)]
    text = (f"{names['parameter']}: each patient's values over the visits (thin lines; a gap "
            "where a visit has no value) under the group mean (thick line).")
    if band:
        text += (f" {', '.join(band)}: more than {LINES_UP_TO} patients, so the median with "
                 "its interquartile range (band) instead of a line per patient.")
    return text
