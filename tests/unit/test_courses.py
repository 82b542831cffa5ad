"""The report's patient courses (pipelines/publish/courses.py): which values are drawn, the
lines with their gaps, the median band for a large group, and the section of the page."""

from __future__ import annotations

import math

import duckdb
import pandas as pd

from pipelines.publish import courses, plots


def tiny_outcomes(con: duckdb.DuckDBPyConnection, group_2_patients: int) -> None:
    con.execute("CREATE TABLE patients (patient_key VARCHAR, group_code VARCHAR, "
                "in_analysis BOOLEAN)")
    con.execute("CREATE TABLE outcomes (patient_key VARCHAR, group_code VARCHAR, "
                "in_analysis BOOLEAN, param_code VARCHAR, visit_code VARCHAR, "
                "visit_order INTEGER, value DOUBLE)")
    con.execute("INSERT INTO patients VALUES ('a', 'NI_USGDN', true), ('x', NULL, false)")
    con.execute("INSERT INTO outcomes VALUES ('a', 'NI_USGDN', true, 'NRS', 'FU_3M', 3, 2), "
                "('a', 'NI_USGDN', true, 'NRS', 'BASELINE', 0, 9), "
                "('x', NULL, false, 'NRS', 'BASELINE', 0, 5)")
    for number in range(group_2_patients):
        con.execute("INSERT INTO patients VALUES (?, 'USGDN_ONLY', true)", [f"b{number}"])
        con.execute("INSERT INTO outcomes VALUES (?, 'USGDN_ONLY', true, 'NRS', 'BASELINE', "
                    "0, 8)", [f"b{number}"])


def test_only_groups_small_enough_are_drawn_line_by_line():
    con = duckdb.connect()
    tiny_outcomes(con, courses.LINES_UP_TO + 1)
    rows = con.execute(courses.course_rows_sql("outcomes", "patients")).df()
    # patient a, in visit order; nobody outside the analysis; Group 2 too large
    assert rows[["patient_key", "visit_code"]].values.tolist() == [["a", "BASELINE"],
                                                                   ["a", "FU_3M"]]
    sizes = con.execute(courses.group_sizes_sql("patients")).df()
    assert dict(zip(sizes["group_code"], sizes["patients"], strict=True)) == {
        "NI_USGDN": 1, "USGDN_ONLY": courses.LINES_UP_TO + 1}
    small = duckdb.connect()
    tiny_outcomes(small, courses.LINES_UP_TO)
    drawn = small.execute(courses.course_rows_sql("outcomes", "patients")).df()
    assert (drawn["group_code"] == "USGDN_ONLY").sum() == courses.LINES_UP_TO


def test_a_patients_line_has_a_gap_where_a_visit_has_no_value():
    rows = pd.DataFrame({"patient_key": ["a", "a", "b"], "visit_code": ["BASELINE", "FU_3M",
                                                                        "POST_USGDN"],
                         "value": [9.0, 2.0, 4.0]})
    lines = courses.patient_lines(rows, ["BASELINE", "POST_USGDN", "FU_3M"])
    assert lines.shape == (2, 3)
    assert lines[0][0] == 9.0 and math.isnan(lines[0][1]) and lines[0][2] == 2.0
    assert math.isnan(lines[1][0]) and lines[1][1] == 4.0


def test_the_caption_names_the_groups_drawn_as_a_band():
    names = {"parameter": "NRS pain 0–10", "groups": {"NI_USGDN": "Group 1",
                                                     "USGDN_ONLY": "Group 2"},
             "sizes": {"NI_USGDN": 16, "USGDN_ONLY": courses.LINES_UP_TO + 1}}
    text = courses.caption(["NI_USGDN", "USGDN_ONLY"], names)
    assert text.startswith("NRS pain 0–10: each patient's values")
    assert f"Group 2: more than {courses.LINES_UP_TO} patients" in text
    assert "Group 1:" not in text
    assert "band" not in courses.caption(["NI_USGDN"], {**names, "sizes": {"NI_USGDN": 16}})


def test_the_page_has_a_course_figure_per_parameter_with_alt_text():
    summary = pd.DataFrame({
        "group_code": ["NI_USGDN", "NI_USGDN", "USGDN_ONLY"], "visit_code": ["BASELINE"] * 3,
        "visit_order": [0] * 3, "param_code": ["NRS", "DASH", "NRS"], "n": [2, 2, 1],
        "mean": [9.0, 60.0, 8.0], "sd": [1.0, 5.0, None], "median": [9.0, 60.0, 8.0],
        "q1": [8.5, 57.5, 8.0], "q3": [9.5, 62.5, 8.0], "min": [8.0, 55.0, 8.0],
        "max": [10.0, 65.0, 8.0], "mean_sd": ["9.0 (1.0)", "60.0 (5.0)", "8.0 (NA)"]})
    rows = pd.DataFrame({"patient_key": ["a", "b"], "group_code": ["NI_USGDN"] * 2,
                         "param_code": ["NRS"] * 2, "visit_code": ["BASELINE"] * 2,
                         "value": [8.0, 10.0]})
    sizes = pd.DataFrame({"group_code": ["NI_USGDN", "USGDN_ONLY"], "patients": [2, 1]})
    section = plots.courses_section(rows, sizes, summary)
    assert [f["param_code"] for f in section["figures"]] == ["NRS", "DASH"]
    assert all("each patient's values" in f["alt"] for f in section["figures"])
    assert all(len(f[layout]["png"]) > 1000 for f in section["figures"]
               for layout in ("desktop", "phone"))
