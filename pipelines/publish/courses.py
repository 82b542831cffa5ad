"""The report's patient courses: per parameter, a panel per study group with each patient's
values over the visits as thin lines under the group mean. Above ``LINES_UP_TO`` patients in a
group the lines would be a smear, so that group's panel shows its median with the
interquartile band instead (from group_summary), and the caption says so. The panels are
drawn by ``plots.draw_courses``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

LINES_UP_TO = 200  # patients in a group drawn one line each; more: median and IQR band


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


def caption(groups: Sequence[str], names: dict) -> str:
    """What the panels show, saying which groups are drawn as a median band."""
    band = [names["groups"].get(g, g) for g in groups if banded(names["sizes"], g)]
    text = (f"{names['parameter']}: each patient's values over the visits (thin lines; a gap "
            "where the patient has no value at a visit) under the group mean (thick line).")
    if band:
        text += (f" {', '.join(band)}: more than {LINES_UP_TO} patients, so the median with "
                 "its interquartile range (band) instead of a line per patient.")
    return text
