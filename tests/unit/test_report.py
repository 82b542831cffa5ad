"""Tests of the published HTML report's content (pipelines.publish.report), on hand-made
tables: each section's rows as the page shows them, empty and hostile tables."""

from __future__ import annotations

import base64
import math
from datetime import datetime

import pandas as pd
import pytest

from pipelines.publish import courses, report
from tests.html_page import Node, body_rows, group_summary_cell, header_texts, parse, png_size
from tests.unit.report_tables import COLUMNS, GENERATED_AT, GROUP_1, GROUP_2, frame, study_tables

TABLE_IDS = ["study-flow", "baseline-characteristics", "group-summary", "change-summary-NRS",
             "change-summary-DASH", "responders-NI_USGDN", "responders-ALL", "load-files",
             "rejected-files", "data-quality", "warned-checks"]


@pytest.fixture(scope="module")
def page() -> str:
    return report.render_report(study_tables(), GENERATED_AT)


@pytest.fixture(scope="module")
def dom(page: str) -> Node:
    return parse(page)


# ---- the page's content ------------------------------------------------------------------


def test_title_and_header_line_name_the_load_and_time_only(dom: Node, page: str) -> None:
    assert dom.find_all("h1")[0].text() == (
        "Ultrasound-guided dry needling for postmastectomy pain syndrome: outcomes")
    assert dom.by_id("report-meta").text() == "Load 2 · generated 2026-11-25 02:00 UTC"
    # The report is group-level: no patient_key appears anywhere on the page.
    for key in study_tables()["patients"]["patient_key"]:
        assert f">{key}<" not in page and f'"{key}"' not in page


def test_sections_come_in_order_each_with_a_heading(dom: Node) -> None:
    sections = dom.find_all("section")
    assert [s.attrs["id"] for s in sections] == [
        "study-flow-section", "baseline-characteristics-section", "group-summary-section",
        "plots", "courses", "change-summary-section", "responder-summary-section",
        "data-quality-section", "downloads-section"]
    assert all(len(s.find_all("h2")) == 1 for s in sections)


def test_study_flow_accounts_for_every_patient_row(dom: Node) -> None:
    assert body_rows(dom.by_id("study-flow")) == [
        ["Patient rows received", "8"],
        ["Rejected: bad_date (a required date does not parse in the site’s date format)", "1"],
        ["Rows rejected in all", "1"],
        ["Identical copies, counted once", "1"],
        ["Patients", "6"],
        ["Excluded: no_usgdn (no USGDN session, so no group)", "1"],
        ["In the analysis", "5"],
        [GROUP_1, "3"],
        [GROUP_2, "2"],
    ]


def test_group_summary_cells_sit_in_their_row_and_column(dom: Node) -> None:
    table = dom.by_id("group-summary")
    cases = [("NRS pain 0–10", GROUP_1, "Baseline", "9.6 (0.9)", "n=16"),
             ("NRS pain 0–10", GROUP_1, "After NI", "8.1 (1.2)", "n=15"),
             ("NRS pain 0–10", GROUP_2, "After USGDN", "1.3 (0.5)", "n=6"),
             ("NRS pain 0–10", "All patients", "Baseline", "9.5 (0.9)", "n=22"),
             ("DASH 0–100", GROUP_1, "Baseline", "62.3 (10.4)", "n=16"),
             ("DASH 0–100", GROUP_2, "6-month follow-up", "20.0 (NA)", "n=1")]
    for parameter, group, visit, mean_sd, n in cases:
        cell = group_summary_cell(table, parameter, group, visit)
        assert cell.own_text() == mean_sd
        assert [span.text() for span in cell.find_all("span", **{"class": "n"})] == [n]


def test_group_summary_has_a_column_per_visit_with_data_and_paper_row_order(dom: Node) -> None:
    table = dom.by_id("group-summary")
    # FU_3M has no row at all, so no column; the visits by their names (the visits seed)
    assert header_texts(table) == ["Parameter / group", "Baseline", "After NI", "After USGDN",
                                   "6-month follow-up"]
    labels = [row[0] for row in body_rows(table)]
    assert labels == ["NRS pain 0–10", GROUP_1, GROUP_2, "All patients",
                      "DASH 0–100", GROUP_1, GROUP_2]
    assert group_summary_cell(table, "NRS pain 0–10", GROUP_2, "After NI").text() == ""
    assert group_summary_cell(table, "DASH 0–100", GROUP_1, "6-month follow-up").text() == ""


def test_a_group_without_a_visit_has_a_gap_there_not_a_line_through_it() -> None:
    rows = pd.DataFrame({"visit_code": ["BASELINE", "POST_USGDN"], "mean": [9.2, 1.3],
                         "sd": [0.7, None]})
    mean, sd = courses.visit_points(rows, ["BASELINE", "POST_NI", "POST_USGDN"])
    assert mean[0] == 9.2 and math.isnan(mean[1]) and mean[2] == 1.3
    assert sd[0] == 0.7 and math.isnan(sd[1]) and math.isnan(sd[2])


def embedded_png(data_uri: str) -> bytes:
    prefix = "data:image/png;base64,"
    assert data_uri.startswith(prefix)
    return base64.b64decode(data_uri[len(prefix):], validate=True)


def test_each_plot_is_embedded_twice_a_desktop_and_a_phone_drawing(dom: Node) -> None:
    """A plot per parameter; a phone (the stylesheet's phone width) takes the narrow one."""
    figures = dom.by_id("plots").find_all("figure")
    assert [f.find_all("img")[0].attrs["alt"] for f in figures] == [
        "NRS pain: group mean ± SD by visit", "DASH: group mean ± SD by visit"]
    for figure in figures:
        ((source,), (img,)) = figure.find_all("source"), figure.find_all("img")
        assert source.attrs["media"] == "(max-width: 40rem)"
        desktop, phone = embedded_png(img.attrs["src"]), embedded_png(source.attrs["srcset"])
        assert png_size(desktop) == (560, 360) == (int(img.attrs["width"]),
                                                   int(img.attrs["height"]))
        assert png_size(phone) == (350, 330) == (int(source.attrs["width"]),
                                                 int(source.attrs["height"]))
        assert len(desktop) < 100_000 and len(phone) < 100_000


def test_page_is_self_contained_and_responsive(page: str, dom: Node) -> None:
    assert "http://" not in page and "https://" not in page
    assert not dom.find_all("script") and not dom.find_all("link")
    assert "url(" not in page and "@import" not in page and "@font-face" not in page
    viewport = dom.find_all("meta", name="viewport")
    assert [m.attrs["content"] for m in viewport] == ["width=device-width, initial-scale=1"]
    assert "overflow-x: auto" in page and "max-width: 100%; height: auto" in page
    for table_id in TABLE_IDS:
        table = dom.by_id(table_id)
        assert table.tag == "table"
    wrappers = dom.find_all("div", **{"class": "table-wrap"})
    assert sorted(w.find_all("table")[0].attrs["id"] for w in wrappers) == sorted(TABLE_IDS)


def test_change_summary_is_one_table_per_parameter_rounded_with_na(dom: Node) -> None:
    assert header_texts(dom.by_id("change-summary-NRS")) == [
        "Group", "Visit", "Reference", "Pairs", "Mean change (95% CI)", "Wilcoxon p",
        "t-test p"]
    assert body_rows(dom.by_id("change-summary-NRS")) == [
        ["Group 1", "After USGDN", "Baseline", "16", "-7.6 (-8.2 to -7.0)", "<0.001",
         "<0.001"],
        ["Group 2", "After USGDN", "Before USGDN", "6", "-7.9 (-8.8 to -7.0)", "0.0283",
         "<0.001"],
    ]
    assert body_rows(dom.by_id("change-summary-DASH")) == [
        ["Group 2", "6-month follow-up", "Baseline", "1", "-40.0 (NA)", "NA", "NA"]]
    headings = [h.text() for h in dom.by_id("change-summary-section").find_all("h3")]
    assert headings == ["NRS pain 0–10", "DASH 0–100"]


def test_responders_are_a_grid_of_criterion_by_visit_per_group(dom: Node) -> None:
    """A row per criterion in plain words, a column per visit the group has rows at; a
    criterion not evaluated at a visit is a dash."""
    section = dom.by_id("responder-summary-section")
    assert [h.text() for h in section.find_all("h3")] == [GROUP_1, "All patients"]
    assert header_texts(dom.by_id("responders-NI_USGDN")) == [
        "Criterion", "After USGDN", "6-month follow-up"]
    assert body_rows(dom.by_id("responders-NI_USGDN")) == [
        ["NRS pain fell by 30 % or more from baseline", "15 / 16 (93.8%)", "—"],
        ["Opioid use 0 MME/day (none) at the visit", "—", "3 / 10 (30.0%)"]]
    assert body_rows(dom.by_id("responders-ALL")) == [
        ["Opioid use 0 MME/day (none) at the visit", "2 / 5 (40.0%)"]]


def test_long_sections_fold_and_the_headline_ones_open(dom: Node) -> None:
    opened = {s.attrs["id"]: "open" in s.find_all("details")[0].attrs
              for s in dom.find_all("section")}
    assert [name for name, is_open in opened.items() if not is_open] == [
        "courses", "change-summary-section", "data-quality-section"]
    for section in dom.find_all("section"):
        (summary,) = section.find_all("summary")
        assert summary.find_all("h2")


def test_words_not_code_marks_reach_the_reader(dom: Node) -> None:
    assert "`" not in dom.text()


def test_data_quality_describes_the_latest_load_only(dom: Node) -> None:
    assert body_rows(dom.by_id("load-files")) == [
        ["loaded", "2", "30", "28", "2"],
        ["superseded", "1", "0", "0", "0"],
        ["rejected", "1", "5", "0", "5"],
    ]
    (total,) = dom.by_id("load-files").find_all("tfoot")
    assert [c.text() for c in total.find_all("tr")[0].children] == ["Total", "4", "35", "28", "7"]
    assert body_rows(dom.by_id("data-quality")) == [
        ["medications", "demo", "bad_dose", "dose or doses_per_day is not a number above 0",
         "rejected_row", "2"],
        ["questionnaires", "demo", "out_of_range",
         "a questionnaire answer or clinic total outside its valid set", "rejected_value", "3"],
        ["(file name)", "—", "bad_file_name",
         "the file name is not <source>_<site>_<YYYYMMDD>.<csv|xlsx>", "rejected_file", "1"],
    ]
    assert body_rows(dom.by_id("rejected-files")) == [
        ["medications_demo_20261102.csv", "unreadable"]]
    assert body_rows(dom.by_id("warned-checks")) == [
        ["patients_without_baseline",
         "patients in the analysis with values but no baseline: NRS 1"]]


def test_downloads_link_the_exports_beside_the_page(dom: Node) -> None:
    links = [a.attrs["href"] for a in dom.by_id("downloads-section").find_all("a")]
    assert links == ["data_dictionary.csv", "parquet/", "spss/", "stata/",
                     "group_summary.csv"]


def test_downloads_link_only_the_exports_written() -> None:
    page = parse(report.render_report(study_tables(), GENERATED_AT, export_formats=["parquet"]))
    links = [a.attrs["href"] for a in page.by_id("downloads-section").find_all("a")]
    assert links == ["data_dictionary.csv", "parquet/", "group_summary.csv"]


def test_empty_tables_say_in_words_why_they_are_empty() -> None:
    empty = {name: frame(name, []) for name in COLUMNS}
    dom = parse(report.render_report(empty, GENERATED_AT))
    assert dom.by_id("report-meta").text() == "Load NA · generated 2026-11-25 02:00 UTC"
    said = {}
    for table_id in ["study-flow", "baseline-characteristics", "group-summary",
                     "change-summary", "responders", "load-files", "rejected-files",
                     "data-quality", "warned-checks"]:
        ((text,),) = body_rows(dom.by_id(table_id))
        said[table_id] = text
    assert said["study-flow"] == "No patients snapshot has been loaded yet."
    assert said["responders"] == "No patient is evaluable for a responder criterion yet."
    assert said["data-quality"] == "This load found no data issue."
    assert all(text.endswith(".") and text[0].isupper() for text in said.values())
    assert len(set(said.values())) == len(said)  # each says its own reason
    assert not dom.find_all("img")
    assert dom.by_id("plots").text().strip().endswith("has an outcome value yet.")


def test_missing_tables_render_like_empty_ones() -> None:
    dom = parse(report.render_report({}, GENERATED_AT))
    ((text,),) = body_rows(dom.by_id("group-summary"))
    assert text == "No patient in the analysis has an outcome value yet."


def test_hostile_text_is_escaped() -> None:
    hostile = '<script>alert("x")</script>'
    tables = study_tables()
    tables["data_quality"] = frame("data_quality", [(2, "patients", hostile, "bad_value",
                                                     "warning", 1)])
    tables["group_summary"] = tables["group_summary"].assign(
        param_code=tables["group_summary"]["param_code"].replace({"DASH": hostile}))
    tables["responder_summary"] = frame("responder_summary",
                                        [("NI_USGDN", "FU_3M", 3, hostile, 3, 1, 33.3)])
    page = report.render_report(tables, GENERATED_AT)
    dom = parse(page)
    assert hostile not in page and "<script" not in page
    assert not dom.find_all("script")
    assert "&lt;script&gt;" in page
    assert body_rows(dom.by_id("data-quality")) == [
        ["patients", hostile, "bad_value", report.RULE_MEANING["bad_value"], "warning", "1"]]
    assert hostile in [row[0] for row in body_rows(dom.by_id("group-summary"))]
    assert f"{hostile}: group mean ± SD by visit" in [
        img.attrs["alt"] for img in dom.by_id("plots").find_all("img")]


def test_render_is_deterministic() -> None:
    tables = study_tables()
    assert report.render_report(tables, GENERATED_AT) == report.render_report(tables,
                                                                              GENERATED_AT)


def test_generated_time_defaults_to_now() -> None:
    before = datetime.now().astimezone().replace(second=0, microsecond=0)
    meta = parse(report.render_report({})).by_id("report-meta").text()
    stamp = datetime.strptime(meta.split("generated ")[1][:16], "%Y-%m-%d %H:%M")
    assert abs((stamp - before.replace(tzinfo=None)).total_seconds()) <= 120

