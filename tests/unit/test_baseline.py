"""Table 1 (pipelines/publish/baseline.py) on a small cohort worked out by hand: every cell of
the descriptive statistics, the printed summaries, which test is chosen, and the p-values
(exact by hand where they have a closed form, else from SciPy's reference functions)."""

from __future__ import annotations

import math

import polars as pl
import pytest
from scipy import stats

from pipelines.publish.baseline import baseline_characteristics

G1, G2 = "NI_USGDN", "USGDN_ONLY"
BASELINES = {"baseline:PAINDETECT": None, "baseline:DASH": None, "baseline:PHQ9": None,
             "baseline:MME": None}


def cohort() -> pl.DataFrame:
    patients = [
        # group, age, sex, side, months, sessions, NI codes, baseline NRS
        (G1, 50, "female", "left", 10, 4, "pulsed_rf", 8.0),
        (G1, 60, "female", "right", 20, 6, "neuraxial_block,pulsed_rf", 9.0),
        (G1, 70, "male", "left", 30, 8, "pulsed_rf", 10.0),
        (G1, None, None, "left", 40, 10, "intrathecal_pump", None),
        (G2, 40, "female", "right", 5, 3, None, 6.0),
        (G2, 44, "female", "right", 15, 3, None, 7.0),
        (G2, None, "female", "bilateral", 25, 5, None, 8.0),
    ]
    columns = ["group_code", "age_at_index", "sex", "mastectomy_side",
               "months_since_mastectomy", "usgdn_sessions", "ni_types", "baseline:NRS"]
    frame = pl.DataFrame(patients, schema=columns, orient="row")
    return frame.with_columns(patient_key=pl.Series([f"k{i}" for i in range(7)]),
                              **{name: pl.lit(None, pl.Float64) for name in BASELINES})


@pytest.fixture(scope="module")
def table() -> dict[tuple, dict]:
    rows = baseline_characteristics(cohort()).to_dicts()
    assert [row["display_order"] for row in rows] == list(range(len(rows)))
    return {(row["variable"], row["level"], row["group_code"]): row for row in rows}


def test_group_sizes_come_first(table):
    assert [table[("patients", None, g)]["n"] for g in (G1, G2, "ALL")] == [4, 3, 7]
    assert table[("patients", None, "ALL")]["summary"] == "7"
    assert next(iter(table))[0] == "patients"


def test_a_mean_with_its_sd_quartiles_and_missing(table):
    g1, g2, both = (table[("age_at_index", None, g)] for g in (G1, G2, "ALL"))
    assert (g1["n"], g1["n_missing"], g1["mean"], g1["sd"]) == (3, 1, 60.0, 10.0)
    assert (g1["median"], g1["q1"], g1["q3"], g1["summary"]) == (60.0, 55.0, 65.0,
                                                                 "60.0 (10.0)")
    assert g2["sd"] == pytest.approx(math.sqrt(8)) and g2["summary"] == "42.0 (2.8)"
    # 40, 44, 50, 60, 70: mean 52.8, squares of the deviations 596.8 over 4
    assert both["mean"] == pytest.approx(52.8) and both["sd"] == pytest.approx(
        math.sqrt(149.2))
    assert (both["median"], both["q1"], both["q3"], both["summary"]) == (50.0, 44.0, 60.0,
                                                                         "52.8 (12.2)")
    assert g1["test"] == g2["test"] == "Welch's t-test" and both["p_value"] is None
    assert g1["p_value"] == pytest.approx(
        stats.ttest_ind([50, 60, 70], [40, 44], equal_var=False).pvalue)


def test_welch_on_equal_spreads_is_students_t_with_four_degrees(table):
    nrs = table[("baseline:NRS", None, G1)]
    assert nrs["summary"] == "9.0 (1.0)" and nrs["n_missing"] == 1
    # means 9 and 7, SD 1 in each group of 3: t = 2 / sqrt(2/3), Welch's df = 4
    assert nrs["p_value"] == pytest.approx(2 * stats.t.sf(2 / math.sqrt(2 / 3), 4))


def test_a_skewed_count_is_a_median_with_the_exact_mann_whitney_p(table):
    g1, g2 = table[("months_since_mastectomy", None, G1)], table[
        ("months_since_mastectomy", None, G2)]
    assert g1["summary"] == "25.0 [17.5, 32.5]" and g2["summary"] == "15.0 [10.0, 20.0]"
    # U = 9 of 12; 7 of the 35 orderings have U >= 9: two-sided 14 / 35
    assert g1["test"] == "Mann-Whitney U" and g1["p_value"] == pytest.approx(0.4)
    sessions = table[("usgdn_sessions", None, G2)]
    assert sessions["summary"] == "3.0 [3.0, 4.0]"
    assert sessions["p_value"] == pytest.approx(
        stats.mannwhitneyu([4, 6, 8, 10], [3, 3, 5]).pvalue)


def test_levels_count_the_patients_with_a_value(table):
    female = table[("sex", "female", G1)]
    assert (female["n"], female["n_missing"], female["count"]) == (3, 1, 2)
    assert female["summary"] == "2 (66.7 %)" and female["pct"] == pytest.approx(200 / 3)
    assert table[("sex", "other", "ALL")]["summary"] == "0 (0.0 %)"
    assert table[("sex", "female", "ALL")]["summary"] == "5 (83.3 %)"
    # females 2 of 3 against 3 of 3 (nobody is other): a 2 x 2 table with small counts;
    # both possible tables have probability 1/2, so Fisher's p is 1
    assert female["test"] == "Fisher's exact" and female["p_value"] == pytest.approx(1.0)


def test_three_levels_take_chi_squared_with_two_degrees(table):
    left = table[("mastectomy_side", "left", G2)]
    assert left["summary"] == "0 (0.0 %)"
    observed = [[3, 1, 0], [0, 2, 1]]
    rows, columns, total = [4, 3], [3, 3, 1], 7
    chi2 = sum((observed[i][j] - rows[i] * columns[j] / total) ** 2
               / (rows[i] * columns[j] / total) for i in range(2) for j in range(3))
    assert left["test"] == "Chi-squared (expected count < 5)"
    assert left["p_value"] == pytest.approx(math.exp(-chi2 / 2))  # chi-squared, 2 df


def test_each_ni_type_is_a_level_with_its_own_2_by_2_test(table):
    pulsed = table[("ni_type", "pulsed_rf", G1)]
    assert (pulsed["n"], pulsed["count"], pulsed["summary"]) == (4, 3, "3 (75.0 %)")
    assert table[("ni_type", "pulsed_rf", "ALL")]["summary"] == "3 (42.9 %)"
    assert table[("ni_type", "neuraxial_block", G2)]["summary"] == "0 (0.0 %)"
    # had it: 3 of 4 against 0 of 3; tables as extreme: a = 3 (4/35) and a = 0 (1/35)
    assert pulsed["test"] == "Fisher's exact" and pulsed["p_value"] == pytest.approx(5 / 35)
    assert not any(level and level.startswith("no ") for _, level, _ in table)


def test_a_variable_nobody_has_is_missing_everywhere(table):
    dash = table[("baseline:DASH", None, G1)]
    assert (dash["n"], dash["n_missing"], dash["summary"]) == (0, 4, "NA (NA)")
    assert dash["test"] is None and dash["p_value"] is None
    assert table[("sex", "female", "ALL")]["p_value"] is None


def test_one_level_seen_has_no_test():
    frame = cohort().with_columns(sex=pl.lit("female"))
    rows = baseline_characteristics(frame).filter(pl.col("variable") == "sex")
    assert rows["test"].null_count() == rows.height
