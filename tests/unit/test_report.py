"""Tests of the published HTML report (pipelines.publish.report)."""

from __future__ import annotations

import base64
import math
import os
import shutil
import struct
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from pipelines.core import quality, tables, warehouse
from pipelines.publish import courses, release, report

GENERATED_AT = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
GROUP_1 = "Group 1: neural intervention then USGDN"
GROUP_2 = "Group 2: USGDN only"
VOID_TAGS = {"meta", "img", "br", "hr", "link", "input", "source", "col", "wbr"}
TABLE_IDS = ["study-flow", "baseline-characteristics", "group-summary", "change-summary-NRS",
             "change-summary-DASH", "responder-criteria", "responder-summary", "load-files",
             "rejected-files",
             "data-quality", "warned-checks"]
# The columns of the hand-made tables below (the report reads them by name).
COLUMNS = {
    "patients": ["patient_key", "site", "group_code", "in_analysis", "age_at_index", "sex",
                 "mastectomy_side", "months_since_mastectomy", "ni_types", "usgdn_sessions"],
    "group_summary": ["group_code", "visit_code", "visit_order", "param_code", "n", "mean",
                      "sd", "median", "q1", "q3", "min", "max", "mean_sd"],
    "change_summary": ["group_code", "visit_code", "visit_order", "param_code", "reference",
                       "n_pairs", "mean_change", "sd_change", "ci95_low", "ci95_high",
                       "p_wilcoxon", "p_ttest"],
    "responder_summary": ["group_code", "visit_code", "visit_order", "criterion",
                          "n_evaluable", "n_responders", "pct_responders"],
    "load_audit": ["load_id", "file_name", "source", "site", "export_date", "sha256", "status",
                   "rows_read", "rows_loaded", "rows_rejected", "message", "loaded_at"],
    "data_quality": ["load_id", "source", "site", "rule", "severity", "n"],
    "study_flow": ["site", "step", "stage", "reason", "n"],
    "warnings": ["check", "summary"],
}

# ---- a small parsed DOM ------------------------------------------------------------------


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def own_text(self) -> str:
        return "".join(c for c in self.children if isinstance(c, str))

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if (tag is None or child.tag == tag) and all(
                        child.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items()):
                    found.append(child)
                found.extend(child.find_all(tag, **attrs))
        return found

    def by_id(self, element_id: str) -> Node:
        (found,) = self.find_all(id=element_id)
        return found


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID_TAGS:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag in VOID_TAGS:
            return
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(page: str) -> Node:
    builder = TreeBuilder()
    builder.feed(page)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder.root


def header_texts(table: Node) -> list[str]:
    (thead,) = table.find_all("thead")
    return [th.text() for th in thead.find_all("th")]


def body_rows(table: Node) -> list[list[str]]:
    """The text of every body row's cells, the row header included."""
    return [[cell.text() for cell in row.children if isinstance(cell, Node)]
            for body in table.find_all("tbody") for row in body.find_all("tr")]


def group_summary_cell(table: Node, parameter: str, group: str, visit: str) -> Node:
    """The cell of a parameter's group row under a visit's column, found by the visible texts."""
    column = header_texts(table).index(visit)
    for body in table.find_all("tbody"):
        rows = body.find_all("tr")
        if rows[0].text() != parameter:
            continue
        for row in rows[1:]:
            cells = [c for c in row.children if isinstance(c, Node)]
            if cells[0].text() == group:
                return cells[column]
    raise AssertionError(f"no row for {parameter} / {group}")


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE
    return struct.unpack(">II", png[16:24])


# ---- hand-made published tables ----------------------------------------------------------


def frame(name: str, rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS[name])


def study_tables() -> dict[str, pd.DataFrame]:
    patients = frame("patients", [
        ("a1", "demo", "NI_USGDN", True, 52, "female", "left", 14, "neuraxial_block", 6),
        ("a2", "demo", "NI_USGDN", True, 61, "female", "right", 30, "pulsed_rf", 7),
        ("a3", "demo", "NI_USGDN", True, 45, "female", "left", 9, "intrathecal_pump", 5),
        ("b1", "demo", "USGDN_ONLY", True, 48, "female", "right", 22, None, 6),
        ("b2", "demo", "USGDN_ONLY", True, 57, "female", "left", 40, None, 4),
        ("c1", "demo", None, False, 66, "female", "left", 12, "pulsed_rf", 0),
    ])
    # Rows deliberately out of order: the page orders them by the study's orders.
    group_summary = frame("group_summary", [
        ("USGDN_ONLY", "POST_USGDN", 2, "NRS", 6, 1.3, 0.5, 1.0, 1.0, 2.0, 1.0, 2.0, "1.3 (0.5)"),
        ("NI_USGDN", "BASELINE", 0, "NRS", 16, 9.6, 0.9, 10.0, 9.0, 10.0, 8.0, 10.0, "9.6 (0.9)"),
        ("USGDN_ONLY", "FU_6M", 4, "DASH", 1, 20.0, None, 20.0, 20.0, 20.0, 20.0, 20.0,
         "20.0 (NA)"),
        ("NI_USGDN", "POST_NI", 1, "NRS", 15, 8.1, 1.2, 8.0, 7.0, 9.0, 6.0, 10.0, "8.1 (1.2)"),
        ("NI_USGDN", "POST_USGDN", 2, "NRS", 16, 2.0, 0.8, 2.0, 1.5, 2.5, 1.0, 4.0, "2.0 (0.8)"),
        ("USGDN_ONLY", "BASELINE", 0, "NRS", 6, 9.2, 0.7, 9.0, 9.0, 10.0, 8.0, 10.0, "9.2 (0.7)"),
        ("ALL", "BASELINE", 0, "NRS", 22, 9.5, 0.9, 10.0, 9.0, 10.0, 8.0, 10.0, "9.5 (0.9)"),
        ("NI_USGDN", "BASELINE", 0, "DASH", 16, 62.3, 10.4, 61.0, 55.0, 70.0, 40.0, 80.0,
         "62.3 (10.4)"),
    ])
    change_summary = frame("change_summary", [
        ("USGDN_ONLY", "FU_6M", 4, "DASH", "BASELINE", 1, -40.0, None, None, None, None, None),
        ("NI_USGDN", "POST_USGDN", 2, "NRS", "BASELINE", 16, -7.6, 1.1, -8.19, -7.01, 0.00044,
         1.2e-12),
        ("USGDN_ONLY", "POST_USGDN", 2, "NRS", "PRE_USGDN", 6, -7.9, 0.9, -8.84, -6.96,
         0.0283237, 0.000123),
    ])
    responder_summary = frame("responder_summary", [
        ("ALL", "FU_6M", 4, "OPIOID_FREE", 5, 2, 40.0),
        ("NI_USGDN", "POST_USGDN", 2, "NRS_30PCT", 16, 15, 93.75),
    ])
    load_audit = frame("load_audit", [
        (1, "patients_demo_20261101.csv", "patients", "demo", "2026-11-01", "aa", "loaded",
         6, 6, 0, None, "2026-11-01 02:00"),
        (2, "patients_demo_20261102.csv", "patients", "demo", "2026-11-02", "bb", "loaded",
         20, 18, 2, None, "2026-11-02 02:00"),
        (2, "procedures_demo_20261102.csv", "procedures", "demo", "2026-11-02", "cc", "loaded",
         10, 10, 0, None, "2026-11-02 02:00"),
        (2, "medications_demo_20261102.csv", "medications", "demo", "2026-11-02", "dd",
         "rejected", 5, 0, 5, "unreadable", "2026-11-02 02:00"),
        (2, "patients_demo_20261101.csv", "patients", "demo", "2026-11-01", "aa", "superseded",
         0, 0, 0, None, "2026-11-02 02:00"),
    ])
    data_quality = frame("data_quality", [
        (1, "patients", "demo", "bad_date", "rejected_row", 9),
        (2, "questionnaires", "demo", "out_of_range", "rejected_value", 3),
        (2, None, None, "bad_file_name", "rejected_file", 1),
        (2, "medications", "demo", "bad_dose", "rejected_row", 2),
    ])
    # 8 patient rows: 1 rejected (bad_date), 1 identical copy, 6 patients, 1 of them excluded
    study_flow = frame("study_flow", [
        (site, step, stage, reason, n) for site in ("demo", "ALL") for step, stage, reason, n in [
            (1, "received", None, 8), (2, "rejected_at_ingestion", "bad_date", 1),
            (3, "rejected_rows", None, 1), (4, "identical_copies", None, 1),
            (5, "patients", None, 6), (6, "excluded", "no_usgdn", 1), (7, "in_analysis", None, 5),
            (8, "group", "USGDN_ONLY", 2), (8, "group", "NI_USGDN", 3)]])
    warnings = frame("warnings", [("patients_without_baseline",
                                   "patients in the analysis with values but no baseline: "
                                   "NRS 1")])
    return {"patients": patients, "outcomes": pd.DataFrame(), "group_summary": group_summary,
            "change_summary": change_summary, "responder_summary": responder_summary,
            "load_audit": load_audit, "data_quality": data_quality, "study_flow": study_flow,
            "warnings": warnings}


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
        ["Rejected: bad_date (a required date does not parse in the site's date format)", "1"],
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


def test_one_embedded_png_plot_per_parameter(dom: Node) -> None:
    images = dom.by_id("plots").find_all("img")
    assert [img.attrs["alt"] for img in images] == [
        "NRS pain: group mean ± SD by visit", "DASH: group mean ± SD by visit"]
    for img in images:
        prefix = "data:image/png;base64,"
        assert img.attrs["src"].startswith(prefix)
        png = base64.b64decode(img.attrs["src"][len(prefix):], validate=True)
        width, height = png_size(png)
        assert (width, height) == (560, 360)
        assert len(png) < 100_000


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


def test_responder_criteria_are_shown_with_their_definitions(dom: Node) -> None:
    definitions = dict(body_rows(dom.by_id("responder-criteria")))
    assert definitions["NRS_30PCT"] == "NRS pct_change <= -30"
    assert definitions["OPIOID_FREE"] == "MME = 0 at the visit"
    assert len(definitions) == 7


def test_responder_summary_shows_responders_of_evaluable(dom: Node) -> None:
    assert body_rows(dom.by_id("responder-summary")) == [
        ["Group 1", "After USGDN", "NRS_30PCT", "15 / 16 (93.8%)"],
        ["All", "6-month follow-up", "OPIOID_FREE", "2 / 5 (40.0%)"],
    ]


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


@pytest.mark.parametrize(("p_value", "text"), [
    (0.00044, "<0.001"), (0.001, "0.00100"), (0.0283237, "0.0283"), (0.5, "0.500"),
    (1.0, "1.00"), (None, "NA"), (float("nan"), "NA")])
def test_p_values_have_three_significant_digits(p_value, text) -> None:
    assert report.format_p_value(p_value) == text


@pytest.mark.parametrize(("mean", "low", "high", "text"), [
    (-1.25, -1.84, -0.66, "-1.3 (-1.8 to -0.7)"), (-0.04, -0.5, 0.42, "0.0 (-0.5 to 0.4)"),
    (2.0, None, None, "2.0 (NA)"), (None, None, None, "NA")])
def test_mean_change_is_rounded_half_away_from_zero(mean, low, high, text) -> None:
    assert report.format_mean_change(mean, low, high) == text


def test_empty_tables_render_with_no_rows() -> None:
    empty = {name: frame(name, []) for name in COLUMNS}
    dom = parse(report.render_report(empty, GENERATED_AT))
    assert dom.by_id("report-meta").text() == "Load NA · generated 2026-11-25 02:00 UTC"
    for table_id in ["study-flow", "group-summary", "change-summary", "responder-summary",
                     "load-files", "rejected-files", "data-quality", "warned-checks"]:
        assert body_rows(dom.by_id(table_id)) == [["no rows"]], table_id
    assert not dom.find_all("img")
    assert "no rows" in dom.by_id("plots").text()


def test_missing_tables_render_like_empty_ones() -> None:
    dom = parse(report.render_report({}, GENERATED_AT))
    assert body_rows(dom.by_id("group-summary")) == [["no rows"]]


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


# ---- writing the page --------------------------------------------------------------------


def outcome_rows() -> pd.DataFrame:
    """A few published outcomes rows (NRS at two visits for three patients in the analysis,
    one outside it), from which the release computes its summaries."""
    columns = ["patient_key", "site", "mrn", "group_code", "in_analysis", "visit_code",
               "visit_order", "param_code", "value", "change", "pct_change",
               "change_from_pre_usgdn"]
    return pd.DataFrame([
        ("a1", "demo", "A1", "NI_USGDN", True, "BASELINE", 0, "NRS", 9.0, 0.0, 0.0, None),
        ("a1", "demo", "A1", "NI_USGDN", True, "POST_USGDN", 2, "NRS", 2.0, -7.0, -77.8, -5.0),
        ("a2", "demo", "A2", "NI_USGDN", True, "BASELINE", 0, "NRS", 10.0, 0.0, 0.0, None),
        ("a2", "demo", "A2", "NI_USGDN", True, "POST_USGDN", 2, "NRS", 3.0, -7.0, -70.0, -4.0),
        ("b1", "demo", "B1", "USGDN_ONLY", True, "BASELINE", 0, "NRS", 8.0, 0.0, 0.0, 0.0),
        ("b1", "demo", "B1", "USGDN_ONLY", True, "POST_USGDN", 2, "NRS", 1.0, -7.0, -87.5,
         -7.0),
        ("c1", "demo", "C1", None, False, "BASELINE", 0, "NRS", 5.0, 0.0, 0.0, None),
    ], columns=columns)


def hand_made_warehouse(warehouse_dir: Path) -> None:
    """warehouse.duckdb as the ingest and dbt leave it for the publish step: the marts (with
    the identifying columns they are ordered by), this load's files and issues."""
    patients = study_tables()["patients"].assign(
        mrn=lambda t: t["patient_key"].str.upper())
    outcomes = outcome_rows()
    load_audit = study_tables()["load_audit"]
    this_load = load_audit[load_audit["load_id"] == 2]
    with warehouse.connect(warehouse_dir) as con:
        for table, extra in (("patients", ", mrn VARCHAR"), ("outcomes", ", mrn VARCHAR"),
                             ("questionnaire_items", ", mrn VARCHAR")):
            con.execute(f"CREATE TABLE main.{table} ({tables.TABLE_DDL[table]}{extra})")
        con.execute(f"CREATE TABLE ingest.load_audit ({warehouse.LOAD_FILE_DDL})")
        con.execute(f"CREATE TABLE ingest.landing_files ({warehouse.LANDING_FILES_DDL})")
        con.execute("INSERT INTO ingest.landing_files (load_id) VALUES (2)")
        con.execute(f"CREATE TABLE main.load_data_issues ({warehouse.LOAD_ISSUE_DDL})")
        con.execute(f"CREATE TABLE ingest.load_issues ({warehouse.ISSUE_DDL})")
        con.execute(f"CREATE TABLE main.study_flow ({tables.TABLE_DDL['study_flow']})")
        con.execute("CREATE TABLE ingest.patient_keys (site VARCHAR, mrn VARCHAR, "
                    "patient_key VARCHAR)")
        con.execute("CREATE TABLE main.int_questionnaires_scored (site VARCHAR, mrn VARCHAR, "
                    "visit_code VARCHAR, visit_order INTEGER, assessment_date DATE)")
        for table, rows in (("main.patients", patients), ("main.outcomes", outcomes),
                            ("main.load_audit", load_audit[load_audit["load_id"] == 1]),
                            ("ingest.load_audit", this_load)):
            con.register("incoming", rows)
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")
            con.unregister("incoming")
        con.execute("""INSERT INTO main.load_data_issues VALUES ('x.csv', 'medications',
                       'demo', 3, 'dose', '0', 'bad_dose', 'rejected_row', 'dose not > 0')""")


@pytest.fixture
def fixed_time(monkeypatch) -> None:
    """The release renders its page at GENERATED_AT, so the test can render the same page."""
    render = report.render_report
    monkeypatch.setattr(report, "render_report",
                        lambda tables, generated_at=None, **options: render(
                            tables, GENERATED_AT, **options))


def test_a_release_switches_the_rendered_page_into_place(tmp_path: Path, fixed_time) -> None:
    hand_made_warehouse(tmp_path)
    target = tmp_path / "published" / "report.html"
    rows = release.stage_release(tmp_path)
    assert rows["patients"] == 6 and rows["outcomes"] == 7
    assert not target.exists()  # in the load's release folder until the load is recorded
    assert not (tmp_path / "analytics.duckdb").exists()
    assert (release.release_dir(tmp_path, 2) / "published" / "report.html").exists()
    release.publish_release(tmp_path)
    assert release.current_release(tmp_path) == 2
    # the page is the one the report renders from the published tables and the warnings
    with warehouse.connect(tmp_path, read_only=True) as con:
        warnings = quality.load_warnings(con)
    published = {**release.report_tables(tmp_path / "analytics.duckdb"), "warnings": warnings}
    assert target.read_text(encoding="utf-8") == report.render_report(published)
    assert list(published["group_summary"]["mean_sd"][
        (published["group_summary"]["group_code"] == "ALL")
        & (published["group_summary"]["visit_code"] == "BASELINE")]) == ["9.0 (1.0)"]
    assert sorted(os.listdir(target.parent)) == [
        "baseline_characteristics.csv", "change_summary.csv", "data_dictionary.csv",
        "group_summary.csv", "parquet", "report.html", "responder_summary.csv", "spss", "stata"]
    assert oct(target.stat().st_mode & 0o777) == "0o644"  # de-identified: readable by all


def test_a_failed_switch_keeps_the_old_page_and_the_next_load_finishes_it(
        tmp_path: Path, monkeypatch, fixed_time) -> None:
    hand_made_warehouse(tmp_path)
    target = tmp_path / "published" / "report.html"
    target.parent.mkdir()
    target.write_text("old page", encoding="utf-8")

    def failing_replace(source, destination):
        raise OSError("disk full")

    release.stage_release(tmp_path)
    with monkeypatch.context() as patched:
        patched.setattr(release.os, "replace", failing_replace)
        with pytest.raises(OSError, match="disk full"):
            release.publish_release(tmp_path)
    assert target.read_text(encoding="utf-8") == "old page"
    assert os.listdir(target.parent) == ["report.html"]
    assert not (tmp_path / "analytics.duckdb").exists()
    # what the release wrote stays in its own folder, never beside the outputs
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "published", "releases", "warehouse.duckdb"]
    # the load was recorded before the switch failed: the next load switches to it first
    release.finish_interrupted_release(tmp_path, last_recorded=2)
    assert release.current_release(tmp_path) == 2
    assert target.read_text(encoding="utf-8") != "old page"
    assert (tmp_path / "analytics.duckdb").is_file()


# ---- in a real browser -------------------------------------------------------------------

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars"]
DESKTOP, PHONE = (1280, 900), (375, 812)


def chromium_path() -> str | None:
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


def measuring_copy(page: str, width: int) -> str:
    """The page laid out ``width`` pixels wide, plus a script that records its right edge.

    Headless Chromium keeps a window at least 500 pixels wide for --dump-dom (a screenshot is
    emulated at the asked width), so the copy fixes the root's width instead. The right edge is
    that of every element, the tables' cells included: on a phone no number may hide beyond
    it. Only this test copy runs a script: the report's own policy forbids them.
    """
    page = page.replace('<meta http-equiv="Content-Security-Policy"', '<meta name="x-csp"')
    style = f"<style>html {{ width: {width}px; }}</style>"
    script = ("<script>document.body.dataset.rightEdge = Math.ceil(Math.max(...Array.from("
              "document.body.querySelectorAll('*')).map("
              "e => e.getBoundingClientRect().right)));</script>")
    return page.replace("</head>", f"{style}</head>").replace("</body>", f"{script}</body>")


def test_page_renders_in_headless_chromium_at_desktop_and_phone_width(tmp_path: Path) -> None:
    chromium = chromium_path()
    if chromium is None:
        pytest.skip("chromium not installed: apt-get install chromium (done by .ci/run)")
    page = tmp_path / "report.html"
    page.write_text(report.render_report(study_tables(), GENERATED_AT), encoding="utf-8")
    measured = tmp_path / "measured.html"
    measured.write_text(measuring_copy(page.read_text(encoding="utf-8"), PHONE[0]),
                        encoding="utf-8")

    def run(name: str, size: tuple[int, int], *action: str) -> subprocess.Popen:
        profile = tmp_path / f"profile-{name}"
        return subprocess.Popen(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
             f"--window-size={size[0]},{size[1]}", *action],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=tmp_path)

    # The three runs are independent: run them side by side to keep the test quick.
    shots = {size: tmp_path / f"shot-{size[0]}.png" for size in (DESKTOP, PHONE)}
    runs = [run(f"shot{size[0]}", size, f"--screenshot={shot}", page.as_uri())
            for size, shot in shots.items()]
    runs.append(run("dom", PHONE, "--dump-dom", measured.as_uri()))
    try:
        outputs = [process.communicate(timeout=60)[0] for process in runs]
    finally:
        for process in runs:
            process.kill()
    assert [process.returncode for process in runs] == [0, 0, 0]

    for (width, height), shot in shots.items():
        png = shot.read_bytes()
        assert len(png) > 10_000
        assert png_size(png) == (width, height)

    dom = parse_dumped(outputs[-1].decode("utf-8"))
    texts = {table_id: dom.by_id(table_id).text() for table_id in TABLE_IDS}
    assert "9.6 (0.9)" in texts["group-summary"] and "1.3 (0.5)" in texts["group-summary"]
    assert "-7.6 (-8.2 to -7.0)" in texts["change-summary-NRS"]
    assert "15 / 16 (93.8%)" in texts["responder-summary"]
    assert "out_of_range" in texts["data-quality"]
    # On a phone nothing scrolls sideways: every table stands as cards of its rows.
    (body,) = dom.find_all("body")
    assert 300 < int(body.attrs["data-right-edge"]) <= PHONE[0]


def parse_dumped(dumped: str) -> Node:
    """Chromium's serialised DOM, which may leave void elements unclosed in its own way."""
    builder = TreeBuilder()
    builder.feed(dumped)
    return builder.root
