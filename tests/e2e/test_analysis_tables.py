"""The analysis tables of a demo load, worked out again here from the published patients and
outcomes with pandas, NumPy and SciPy: Table 1 (baseline_characteristics), the wide outcomes
(outcomes_wide) and the reference tables, cell by cell."""

from __future__ import annotations

import csv
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tests.e2e.harness import PROJECT_ROOT

SEEDS = PROJECT_ROOT / "dbt_project" / "seeds"
GROUPS = ("NI_USGDN", "USGDN_ONLY")
SKEWED = {"months_since_mastectomy", "usgdn_sessions", "baseline:MME"}  # medians, as printed


def one_decimal(value: float) -> str:
    return "NA" if value is None or pd.isna(value) else str(
        math.floor(abs(value) * 10 + 0.5 + 1e-9) / 10 * (1 if value >= 0 else -1))


def analysed(demo_load) -> pd.DataFrame:
    """One row per patient in the analysis with the baseline value of each parameter."""
    patients, outcomes = demo_load.table("patients"), demo_load.table("outcomes")
    baselines = (outcomes[outcomes["is_baseline"]]
                 .pivot(index="patient_key", columns="param_code", values="value")
                 .add_prefix("baseline:"))
    frame = patients[patients["in_analysis"]].merge(baselines, how="left",
                                                    left_on="patient_key", right_index=True)
    return frame.assign(ALL=True)


@pytest.fixture(scope="module")
def table_one(demo_load) -> dict[tuple, dict]:
    rows = demo_load.table("baseline_characteristics").to_dict("records")
    return {(r["variable"], None if pd.isna(r["level"]) else r["level"], r["group_code"]): r
            for r in rows}


def members(frame: pd.DataFrame, group: str) -> pd.DataFrame:
    return frame if group == "ALL" else frame[frame["group_code"] == group]


def test_group_sizes_are_the_papers(table_one):
    assert [table_one[("patients", None, g)]["n"] for g in (*GROUPS, "ALL")] == [16, 4, 20]


@pytest.mark.parametrize("variable", ["age_at_index", "months_since_mastectomy",
                                      "usgdn_sessions", "baseline:NRS", "baseline:PAINDETECT",
                                      "baseline:DASH", "baseline:PHQ9", "baseline:MME"])
def test_continuous_rows_are_the_patients_statistics(demo_load, table_one, variable):
    frame = analysed(demo_load)
    for group in (*GROUPS, "ALL"):
        values = members(frame, group)[variable].dropna().astype(float).to_numpy()
        row = table_one[(variable, None, group)]
        assert row["n"] == len(values) and row["n_missing"] == len(members(frame, group)) - len(
            values)
        assert row["mean"] == pytest.approx(values.mean())
        assert row["sd"] == pytest.approx(values.std(ddof=1))
        q1, median, q3 = np.percentile(values, [25, 50, 75])
        assert (row["q1"], row["median"], row["q3"]) == pytest.approx((q1, median, q3))
        wanted = (f"{one_decimal(median)} [{one_decimal(q1)}, {one_decimal(q3)}]"
                  if variable in SKEWED else
                  f"{one_decimal(values.mean())} ({one_decimal(values.std(ddof=1))})")
        assert row["summary"] == wanted
    first, second = (members(frame, g)[variable].dropna().astype(float).round(9)
                     for g in GROUPS)
    p_value = (stats.mannwhitneyu(first, second).pvalue if variable in SKEWED else
               stats.ttest_ind(first, second, equal_var=False).pvalue)
    assert table_one[(variable, None, "NI_USGDN")]["p_value"] == pytest.approx(p_value)
    assert pd.isna(table_one[(variable, None, "ALL")]["p_value"])


@pytest.mark.parametrize("variable", ["sex", "mastectomy_side", "ni_type"])
def test_categorical_rows_count_the_patients(demo_load, table_one, variable):
    frame = analysed(demo_load)
    levels = sorted({level for v, level, _ in table_one if v == variable})
    assert levels
    for level in levels:
        for group in (*GROUPS, "ALL"):
            part = members(frame, group)
            if variable == "ni_type":
                had = part["ni_types"].fillna("").str.split(",").map(lambda codes, lv=level:
                                                                     lv in codes)
                known = len(part)
            else:
                had, known = part[variable] == level, part[variable].notna().sum()
            row = table_one[(variable, level, group)]
            assert (row["n"], row["count"]) == (known, had.sum())
            assert row["summary"] == f"{had.sum()} ({one_decimal(100 * had.sum() / known)} %)"


def test_the_ni_type_test_is_fishers_on_had_or_not(demo_load, table_one):
    frame = analysed(demo_load)
    had = frame["ni_types"].fillna("").str.contains("pulsed_rf")
    counts = [[int((had & (frame.group_code == g)).sum()),
               int((~had & (frame.group_code == g)).sum())] for g in GROUPS]
    row = table_one[("ni_type", "pulsed_rf", "NI_USGDN")]
    assert row["test"] == "Fisher's exact"
    assert row["p_value"] == pytest.approx(stats.fisher_exact(counts).pvalue)


def test_outcomes_wide_is_outcomes_a_column_per_parameter_and_visit(demo_load):
    wide, outcomes = demo_load.table("outcomes_wide"), demo_load.table("outcomes")
    patients = demo_load.table("patients")
    visits = demo_load.table("ref_visits").sort_values("visit_order")["visit_code"]
    parameters = demo_load.table("ref_parameters").sort_values("display_order")["param_code"]
    values = [f"{p}_{v}" for p in parameters for v in visits]
    assert list(wide.columns) == ["patient_key", "site", "group_code", "in_analysis", *values]
    assert wide["patient_key"].tolist() == patients["patient_key"].tolist()  # their order
    pivoted = outcomes.pivot(index="patient_key", columns=["param_code", "visit_code"],
                             values="value")
    for row in wide.itertuples(index=False):
        for column in values:
            param, visit = column.split("_", 1)
            wanted = pivoted.loc[row.patient_key].get((param, visit), float("nan"))
            found = getattr(row, column)
            assert (pd.isna(found) and pd.isna(wanted)) or found == wanted, (row, column)
    assert wide["NRS_BASELINE"].notna().sum() == 20 and wide["NRS_POST_NI"].notna().sum() == 16


@pytest.mark.parametrize("table,seed", [("ref_visits", "visits"),
                                        ("ref_parameters", "parameters"),
                                        ("ref_responder_criteria", "responder_criteria"),
                                        ("ref_code_lists", "code_lists"),
                                        ("ref_score_categories", "score_categories")])
def test_reference_tables_hold_the_seeds(demo_load, table, seed):
    with (SEEDS / f"{seed}.csv").open(newline="", encoding="utf-8") as handle:
        wanted = list(csv.DictReader(handle))
    found = demo_load.table(table)
    assert list(found.columns) == list(wanted[0])
    assert len(found) == len(wanted)
    for got, row in zip(found.to_dict("records"), wanted, strict=True):
        for column, text in row.items():
            value = got[column]
            if text == "":
                assert value is None or pd.isna(value), (table, column)
            elif isinstance(value, (int, float, np.number)):
                assert float(value) == float(text), (table, column)
            else:
                assert value == text, (table, column)


def test_table_one_is_published_as_csv_and_in_the_report(demo_load):
    published = demo_load.warehouse / "published"
    csv_rows = pd.read_csv(published / "baseline_characteristics.csv")
    assert len(csv_rows) == len(demo_load.table("baseline_characteristics"))
    page = (published / "report.html").read_text(encoding="utf-8")
    assert 'id="baseline-characteristics"' in page
    assert page.index("study-flow-section") < page.index("baseline-characteristics-section") \
        < page.index("group-summary-section")
    assert "Age at index (years), mean (SD)" in page


def test_the_demo_report_is_compact_on_a_phone(demo_load, tmp_path):
    """The published report of the twenty patients at 375 px: under 16 000 px tall as it
    opens (long sections folded), nothing wider than the phone with every section unfolded,
    the plots' text readable, and Table 1's group columns as cards."""
    from pipelines.publish import plots
    from tests import browser

    page = (demo_load.warehouse / "published" / "report.html").read_text(encoding="utf-8")
    (dumped,) = browser.finish([browser.measure(page, browser.PHONE[0], tmp_path)])
    phone = browser.layout_of(dumped)
    assert 3_000 < phone.height < 16_000
    assert phone.right_edge <= browser.PHONE[0]
    # ten plots (group means and courses, five parameters), each the phone drawing
    assert len(phone.images) == 10
    assert {natural for _, natural in phone.images} == {plots.PHONE.width_px}
    shown_pt_px = min(shown / natural for shown, natural in phone.images) * plots.DPI / 72
    assert shown_pt_px * plots.PHONE.text_pt >= plots.READABLE_PX
