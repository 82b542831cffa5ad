"""The report's plots: each drawn twice, for a desktop page and for a phone, as PNG bytes.

Figures are drawn with matplotlib's Agg canvas (no pyplot global state). A phone shows its own
drawing, narrower and with the panels stacked, so that the smallest text of a plot stays at
least ``READABLE_PX`` pixels high on a 375-pixel screen; a desktop page shows the wider one.
A release keeps its drawings (``previous.Figures``) and takes an unchanged one from the
release before instead of drawing it again.
"""

from __future__ import annotations

import base64
import io
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.publish import courses
from pipelines.publish.formatting import (
    GROUPS_NOTE,
    NO_OUTCOMES,
    STUDY_GROUPS,
    group_label,
    parameter_label,
    parameter_name,
    ranked,
    visit_label,
    visits_with_data,
)
from pipelines.publish.previous import Figures
from pipelines.publish.summaries import ALL_GROUPS, GROUP_ORDER, PARAM_ORDER

READABLE_PX = 11  # the smallest text of a plot as shown, in CSS pixels, on either page
DPI = 100


@dataclass(frozen=True)
class Layout:
    """The size of a drawing and its text: ``text_pt`` is the smallest (ticks, legend); the
    axis labels and titles are a point or two larger."""

    name: str
    width_in: float
    height_in: float  # of the group-means plot; the course panels take ``panel_in`` each
    panel_in: float
    text_pt: float
    stacked: bool  # course panels one under the other (phone) or side by side

    @property
    def width_px(self) -> int:
        return round(self.width_in * DPI)


DESKTOP = Layout("desktop", 5.6, 3.6, panel_in=3.2, text_pt=9, stacked=False)
# 3.5 in at 100 dpi is 350 px: a 375-pixel phone shows it at nearly its own size.
PHONE = Layout("phone", 3.5, 3.3, panel_in=2.4, text_pt=9, stacked=True)
LAYOUTS = (DESKTOP, PHONE)
# The page shows the phone drawing where its stylesheet lays the page out for a phone.
PHONE_MEDIA = "(max-width: 40rem)"

# Plot colours from the colour-blind-safe Okabe-Ito palette; ALL is drawn as a quiet reference.
# The study groups take the styles in the code_lists seed's order.
GROUP_STYLES: dict[str, dict] = {
    **dict(zip(STUDY_GROUPS, ({"color": "#0072B2", "marker": "o", "linestyle": "-"},
                              {"color": "#D55E00", "marker": "s", "linestyle": "-"}),
               strict=False)),
    ALL_GROUPS: {"color": "#7f7f7f", "marker": "o", "markersize": 3, "linestyle": "--"},
}


def new_figure(width_in: float, height_in: float):
    """An empty matplotlib figure on its own Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # imported only to draw
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def png_of(figure) -> bytes:
    """The figure as PNG bytes; no "Software" stamp, so the same tables give the same bytes."""
    try:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
        return buffer.getvalue()
    finally:
        figure.clear()


def draw_group_means(group_summary: pd.DataFrame, param_code: str, visits: Sequence[str],
                     layout: Layout = DESKTOP):
    """The group means ± SD of one parameter across the visits, a line per group."""
    figure = new_figure(layout.width_in, layout.height_in)
    text = layout.text_pt
    axes = figure.add_subplot()
    of_param = group_summary[group_summary["param_code"] == param_code]
    groups = ranked(of_param["group_code"], GROUP_ORDER)
    handles, labels = [], []
    for index, group_code in enumerate(groups):
        mean, sd = courses.visit_points(of_param[of_param["group_code"] == group_code], visits)
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
    axes.set_xticks(range(len(visits)), [visit_label(v) for v in visits],
                    **({"rotation": 30, "ha": "right"} if layout.stacked else {}))
    axes.set_xlim(-0.4, len(visits) - 0.6)
    axes.tick_params(labelsize=text)
    axes.set_ylabel(parameter_label(param_code), fontsize=text + 1)
    axes.set_title(f"{parameter_name(param_code)}: group mean ± SD", fontsize=text + 2)
    axes.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    axes.spines[["top", "right"]].set_visible(False)
    if handles:
        # Below the axes, in the groups' order, so that it never covers a point.
        figure.legend(handles, labels, loc="outside lower center", ncols=len(labels),
                      fontsize=text, frameon=False)
    return figure


def draw_courses(rows: pd.DataFrame, group_summary: pd.DataFrame, param_code: str,
                 groups: Sequence[str], visits: Sequence[str], names: dict,
                 layout: Layout = DESKTOP):
    """One parameter's courses: a panel per group (``names``: the labels of the groups and
    the parameter, and the groups' sizes), side by side or stacked. A panel's axis holds
    the visits its group has values at, so a patient's line joins the visits the group was
    seen at (Group 2, never at POST_NI, goes from baseline to after USGDN), and breaks only
    where the patient has no value at one of them."""
    figure = new_figure(layout.width_in, courses_height_in(layout, len(groups)))
    text = layout.text_pt
    shape = (max(len(groups), 1), 1) if layout.stacked else (1, max(len(groups), 1))
    panels = figure.subplots(*shape, sharey=True, squeeze=False).ravel()
    for axes, group_code in zip(panels, groups, strict=False):
        colour = GROUP_STYLES.get(group_code, {}).get("color", "#333333")
        summary = group_summary[(group_summary["group_code"] == group_code)
                                & (group_summary["param_code"] == param_code)]
        at = set(summary["visit_code"])
        seen = [v for v in visits if v in at]
        x = np.arange(len(seen), dtype=float)
        if courses.banded(names["sizes"], group_code):
            low, middle, high = courses.visit_points(summary, seen, ["q1", "median", "q3"])
            axes.fill_between(x, low, high, color=colour, alpha=0.2, linewidth=0)
            axes.plot(x, middle, color=colour, linewidth=2, marker="o", markersize=4)
        else:
            of_group = rows[(rows["group_code"] == group_code)
                            & (rows["param_code"] == param_code)]
            for line in courses.patient_lines(of_group, seen):
                axes.plot(x, line, color="#9a9a9a", linewidth=0.7, alpha=0.7,
                          marker="o", markersize=1.5)
            (mean,) = courses.visit_points(summary, seen, ["mean"])
            axes.plot(x, mean, color=colour, linewidth=2.2, marker="o", markersize=4)
        axes.set_title(names["groups"].get(group_code, group_code), fontsize=text + 1)
        axes.set_xticks(x, [visit_label(v) for v in seen], rotation=30,
                        ha="right", fontsize=text)
        axes.set_xlim(-0.3, max(len(seen) - 0.7, 0.3))
        axes.tick_params(labelsize=text)
        axes.grid(axis="y", color="#e5e5e5", linewidth=0.8)
        axes.spines[["top", "right"]].set_visible(False)
    for axes in panels if layout.stacked else panels[:1]:
        axes.set_ylabel(names["parameter"], fontsize=text + 1)
    return figure


def courses_height_in(layout: Layout, groups: int) -> float:
    """The height of a courses figure: a panel's, or one per group stacked with room for each
    panel's visit names."""
    return (layout.panel_in + 0.5) * max(groups, 1) if layout.stacked else layout.panel_in


def smallest_text_pt(figure) -> float:
    """The size of the smallest visible text of a drawn figure, in points."""
    from matplotlib.text import Text

    sizes = [t.get_fontsize() for t in figure.findobj(Text)
             if t.get_visible() and t.get_text().strip()]
    return min(sizes)


# ---- the figures as the page embeds them ----------------------------------------------


def png_size(png: bytes) -> tuple[int, int]:
    """A PNG's width and height in pixels, from its header (IHDR, the first chunk)."""
    return struct.unpack(">II", png[16:24])


def drawings(key: str, draw: Callable[[Layout], object], figures: Figures | None) -> dict:
    """A figure's PNG for each layout (taken from ``figures`` when drawn before from the same
    ``key``, a text that says all it shows), base64 with its size in pixels."""
    shown = {}
    for layout in LAYOUTS:
        def png(layout=layout) -> bytes:
            return png_of(draw(layout))
        data = png() if figures is None else figures.get(f"{layout.name}\n{key}", png)
        width, height = png_size(data)
        shown[layout.name] = {"png": base64.b64encode(data).decode("ascii"),
                              "width": width, "height": height}
    return shown


def plots_section(group_summary: pd.DataFrame, figures: Figures | None = None) -> dict:
    """A figure per parameter present in the group summary."""
    visits = visits_with_data(group_summary)
    shown = []
    for param_code in ranked(group_summary["param_code"], PARAM_ORDER):
        rows = group_summary[group_summary["param_code"] == param_code]

        def draw(layout, param_code=param_code):
            return draw_group_means(group_summary, param_code, visits, layout)

        shown.append({
            "param_code": param_code,
            **drawings(f"{param_code}\n{list(visits)}\n{rows.to_csv(index=False)}", draw,
                       figures),
            "alt": f"{parameter_name(param_code)}: group mean ± SD by visit",
            "caption": f"{parameter_label(param_code)}. Error bars: ± 1 SD "
                       "(none where fewer than 2 patients)."})
    return {"figures": shown, "note": GROUPS_NOTE if shown else NO_OUTCOMES}


def courses_section(course_rows: pd.DataFrame, group_sizes: pd.DataFrame,
                    group_summary: pd.DataFrame, figures: Figures | None = None) -> dict:
    """A figure per parameter of each patient's course, a panel per study group."""
    visits = visits_with_data(group_summary)
    sizes = {r.group_code: int(r.patients) for r in group_sizes.itertuples(index=False)}
    study_groups = [g for g in ranked(group_summary["group_code"], GROUP_ORDER)
                    if g != ALL_GROUPS]
    shown = []
    for param_code in ranked(group_summary["param_code"], PARAM_ORDER):
        names = {"groups": {g: group_label(g, short=True) for g in study_groups},
                 "parameter": parameter_label(param_code), "sizes": sizes}
        rows = course_rows[course_rows["param_code"] == param_code]
        summary = group_summary[group_summary["param_code"] == param_code]

        def draw(layout, rows=rows, summary=summary, param_code=param_code, names=names):
            return draw_courses(rows, summary, param_code, study_groups, visits, names,
                                layout)

        key = (f"courses\n{param_code}\n{list(visits)}\n{sizes}\n"
               f"{rows.to_csv(index=False)}\n{summary.to_csv(index=False)}")
        shown.append({"param_code": param_code,
                      **drawings(key, draw, figures),
                      "alt": f"{parameter_name(param_code)}: each patient's values over the "
                             "visits, a panel per group, under the group mean",
                      "caption": courses.caption(study_groups, names)})
    return {"figures": shown, "note": "" if shown else NO_OUTCOMES}
