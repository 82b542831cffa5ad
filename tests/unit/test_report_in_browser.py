"""The report in headless Chromium at a desktop's and a phone's width: it renders, nothing is
wider than the page, and the plots' smallest text is shown at least 11 pixels high."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.publish import plots, report
from tests import browser
from tests.html_page import parse_dumped, png_size
from tests.unit.report_tables import GENERATED_AT, study_tables

PT_TO_PX = plots.DPI / 72  # a drawing's pixels per point of its text


def smallest_text_shown_px(layout: browser.Layout, drawing: plots.Layout) -> float:
    """The smallest text of the page's plots as shown: each image is drawn with ``drawing``'s
    text and shown at its measured width."""
    assert layout.images
    assert {natural for _, natural in layout.images} == {drawing.width_px}
    return min(shown / natural for shown, natural in layout.images) * drawing.text_pt * PT_TO_PX


def test_page_renders_at_desktop_and_phone_width(tmp_path: Path) -> None:
    page = report.render_report(study_tables(), GENERATED_AT)
    (tmp_path / "report.html").write_text(page, encoding="utf-8")
    shots = {size: tmp_path / f"shot-{size[0]}.png" for size in (browser.DESKTOP,
                                                                  browser.PHONE)}
    # The runs are independent: side by side, the test stays quick.
    outputs = browser.finish(
        [browser.screenshot((tmp_path / "report.html").as_uri(), size, shot)
         for size, shot in shots.items()]
        + [browser.measure(page, width, tmp_path)
           for width in (browser.PHONE[0], browser.DESKTOP[0])])
    for (width, height), shot in shots.items():
        png = shot.read_bytes()
        assert len(png) > 10_000
        assert png_size(png) == (width, height)

    phone, desktop = (browser.layout_of(dumped) for dumped in outputs[2:])
    # On a phone nothing scrolls sideways (wide tables stand as cards), nor on a desktop.
    assert 300 < phone.right_edge <= browser.PHONE[0]
    assert desktop.right_edge <= browser.DESKTOP[0]
    # A phone shows the phone drawings, a desktop the wide ones, text readable on both.
    assert smallest_text_shown_px(phone, plots.PHONE) >= plots.READABLE_PX
    assert smallest_text_shown_px(desktop, plots.DESKTOP) >= plots.READABLE_PX

    dom = parse_dumped(outputs[2].decode("utf-8"))
    texts = {table_id: dom.by_id(table_id).text() for table_id in [
        "group-summary", "change-summary-NRS", "responders-NI_USGDN", "data-quality"]}
    assert "9.6 (0.9)" in texts["group-summary"] and "1.3 (0.5)" in texts["group-summary"]
    assert "-7.6 (-8.2 to -7.0)" in texts["change-summary-NRS"]
    assert "15 / 16 (93.8%)" in texts["responders-NI_USGDN"]
    assert "out_of_range" in texts["data-quality"]


@pytest.mark.parametrize("drawing", plots.LAYOUTS, ids=lambda layout: layout.name)
def test_the_smallest_text_of_every_plot_is_its_layouts(drawing: plots.Layout) -> None:
    """What the browser test multiplies by the shown scale: the drawings' smallest text."""
    summary = study_tables()["group_summary"]
    visits = ["BASELINE", "POST_NI", "POST_USGDN", "FU_3M", "FU_6M"]
    names = {"groups": {"NI_USGDN": "Group 1", "USGDN_ONLY": "Group 2"},
             "parameter": "NRS pain 0–10",
             "sizes": {"NI_USGDN": 3, "USGDN_ONLY": 2}}
    rows = summary.rename(columns={"mean": "value"}).assign(patient_key="a")
    for figure in (plots.draw_group_means(summary, "NRS", visits, drawing),
                   plots.draw_courses(rows, summary, "NRS", ["NI_USGDN", "USGDN_ONLY"], visits,
                                      names, drawing)):
        assert plots.smallest_text_pt(figure) == drawing.text_pt
        figure.clear()
