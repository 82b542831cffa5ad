"""Unit tests of the group-level summaries (docs/tables.md and docs/scoring.md#11-responders).
Expected numbers are worked out by hand, or by numpy/scipy called directly on the
hand-written numbers."""

from __future__ import annotations

import math
import statistics
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pytest
from scipy import stats

from pipelines.core.reference import ResponderCriterion, responder_criteria
from pipelines.core.tables import TABLE_DDL, columns_of
from pipelines.publish import summaries
from pipelines.publish.summaries import (
    change_summary,
    group_summary,
    one_decimal_sql,
    paired_tests,
    responder_summary,
    round_half_away,
)

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"
VISIT_ORDER = {"BASELINE": 0, "POST_NI": 1, "POST_USGDN": 2, "FU_3M": 3, "FU_6M": 4}
G1, G2 = "NI_USGDN", "USGDN_ONLY"

# docs/scoring.md#11-responders, as the summary reads them
CRITERIA = pd.DataFrame(
    [
        ("NRS_30PCT", "NRS", "pct_change", -30.0, None),
        ("NRS_50PCT", "NRS", "pct_change", -50.0, None),
        ("NRS_2PT", "NRS", "change", -2.0, None),
        ("PAINDETECT_UNLIKELY", "PAINDETECT", "category", math.nan, "unlikely"),
        ("DASH_MCID", "DASH", "change", -10.83, None),
        ("PHQ9_5PT", "PHQ9", "change", -5.0, None),
        ("OPIOID_FREE", "MME", "value", 0.0, None),
    ],
    columns=["criterion", "param_code", "measure", "threshold", "category"],
)


def outcome(patient: str, group: str | None, visit: str, param: str, value: float,
            change: float | None = None, pct: float | None = None, pre: float | None = None,
            category: str | None = None) -> dict:
    return {"patient_key": patient, "group_code": group, "visit_code": visit,
            "visit_order": VISIT_ORDER[visit], "param_code": param, "value": value,
            "category": category, "change": change, "pct_change": pct,
            "change_from_pre_usgdn": pre}


OUTCOME_SCHEMA = {"patient_key": pl.String, "group_code": pl.String, "visit_code": pl.String,
                  "visit_order": pl.Int32, "param_code": pl.String, "value": pl.Float64,
                  "category": pl.String, "change": pl.Float64, "pct_change": pl.Float64,
                  "change_from_pre_usgdn": pl.Float64}


def frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=OUTCOME_SCHEMA, strict=False)


def summarise(summary, outcomes: pl.DataFrame, table: str) -> list[dict]:
    """Run one summary over ``outcomes`` as the published outcomes table (its DDL) in an
    in-memory DuckDB, and return its rows as dicts (nulls as None)."""
    con = duckdb.connect()
    try:
        con.execute(f"CREATE TABLE outcomes ({TABLE_DDL['outcomes']})")
        con.register("test_rows", outcomes)
        con.execute("INSERT INTO outcomes BY NAME SELECT * FROM test_rows")
        result = summary(con, "outcomes")
        result = result if isinstance(result, pl.DataFrame) else result.pl()
    finally:
        con.close()
    assert sorted(result.columns) == sorted(columns_of(table))
    return result.to_dicts()


def null(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# ---- rounding for display ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (1.25, 1, "1.3"),  # half away from zero, not to even
        (-1.25, 1, "-1.3"),
        (0.15, 1, "0.2"),  # the float is 0.1499999...; rounded to 9 decimals first: 0.15
        (1.45, 1, "1.5"),  # the float is 1.4499999...
        (0.85, 1, "0.9"),
        (2.675, 2, "2.68"),  # the float is 2.67499999...
        (1.005, 2, "1.01"),  # the float is 1.00499999...
        (9.95, 1, "10.0"),
        (0.04999999999, 1, "0.1"),  # 9 decimals first: 0.050000000 -> 0.1
        (0.0499999, 1, "0.0"),  # 0.049999900 -> 0.0
        (-0.04, 1, "0.0"),  # never -0.0
        (-0.0, 1, "0.0"),
        (-0.05, 1, "-0.1"),
        (7, 1, "7.0"),
        (1234.5678, 1, "1234.6"),
        (2.5, 0, "3"),
        (-0.4, 0, "0"),
    ],
)
def test_round_half_away(value, decimals, expected):
    assert round_half_away(value, decimals) == expected


def test_round_half_away_default_is_one_decimal():
    assert round_half_away(1.25) == "1.3"


def test_round_half_away_accepts_a_numpy_float():
    assert round_half_away(np.float64(1.25)) == "1.3"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1.25, "1.3"), (-1.25, "-1.3"), (0.15, "0.2"), (1.45, "1.5"), (0.85, "0.9"),
     (9.95, "10.0"), (0.04999999999, "0.1"), (0.0499999, "0.0"), (-0.04, "0.0"),
     (-0.0, "0.0"), (-0.05, "-0.1"), (7, "7.0"), (1234.5678, "1234.6"), (12.375, "12.4")],
)
def test_one_decimal_sql_rounds_as_round_half_away(value, expected):
    """mean_sd is formatted in SQL: the same rounding as round_half_away(value, 1)."""
    assert round_half_away(value, 1) == expected
    con = duckdb.connect()
    try:
        [(text,)] = con.execute(
            f"SELECT {one_decimal_sql('x')} FROM (SELECT ?::DOUBLE AS x)", [value]).fetchall()
    finally:
        con.close()
    assert text == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([9.6], "9.6 (NA)"),  # sd is null for n = 1
        ([8.7, 9.55, 10.4], "9.6 (0.9)"),  # mean 9.55, sd 0.85: both rounded half away
        ([-0.08, -0.04, 0.0], "0.0 (0.0)"),  # mean -0.04, sd 0.04: never -0.0
        ([8.75, 12.0, 15.25], "12.0 (3.3)"),  # mean 12, sd 3.25
        ([-0.05], "-0.1 (NA)"),  # half away from zero on the negative side too
    ],
)
def test_group_summary_mean_sd_text(values, expected):
    rows = [outcome(f"p{i}", G1, "BASELINE", "NRS", v) for i, v in enumerate(values)]
    for row in summarise(group_summary, frame(rows), "group_summary"):
        assert row["mean_sd"] == expected


# ---- group_summary -----------------------------------------------------------------------


def summary_by_key(outcomes: pl.DataFrame) -> dict[tuple, dict]:
    rows = summarise(group_summary, outcomes, "group_summary")
    table = {(r["group_code"], r["visit_code"], r["param_code"]): r for r in rows}
    assert len(table) == len(rows)  # one row per group, visit and parameter
    return table


def test_group_summary_single_value_has_no_sd():
    rows = summary_by_key(frame([outcome("p1", G1, "BASELINE", "NRS", 7.0)]))
    assert set(rows) == {(G1, "BASELINE", "NRS"), ("ALL", "BASELINE", "NRS")}
    for row in rows.values():
        assert row["n"] == 1
        assert row["mean"] == 7.0
        assert null(row["sd"])
        assert (row["median"], row["q1"], row["q3"], row["min"], row["max"]) == (7, 7, 7, 7, 7)
        assert row["mean_sd"] == "7.0 (NA)"
        assert row["visit_order"] == 0


def test_group_summary_statistics_and_linear_quartiles():
    values = [2.0, 3.0, 5.0, 10.0]
    rows = [outcome(f"p{i}", G1, "BASELINE", "NRS", v) for i, v in enumerate(values)]
    row = summary_by_key(frame(rows))[(G1, "BASELINE", "NRS")]
    assert row["n"] == 4
    assert row["mean"] == pytest.approx(5.0)  # 20 / 4
    # squared deviations 9 + 4 + 0 + 25 = 38, / (4 - 1) -> sd = sqrt(38 / 3) = 3.559
    assert row["sd"] == pytest.approx(math.sqrt(38 / 3))
    assert row["sd"] == pytest.approx(statistics.stdev(values))
    # linear interpolation at (n - 1) p: q1 at 0.75 -> 2 + 0.75 * 1 = 2.75; median at 1.5 -> 4;
    # q3 at 2.25 -> 5 + 0.25 * 5 = 6.25
    assert (row["q1"], row["median"], row["q3"]) == pytest.approx((2.75, 4.0, 6.25))
    assert [row["q1"], row["median"], row["q3"]] == pytest.approx(
        list(np.quantile(values, [0.25, 0.5, 0.75], method="linear")))
    assert (row["min"], row["max"]) == (2.0, 10.0)
    assert row["mean_sd"] == "5.0 (3.6)"


def test_group_summary_all_group_and_patients_outside_the_analysis():
    rows = [outcome(f"a{i}", G1, "BASELINE", "NRS", v) for i, v in enumerate([2, 3, 5, 10])]
    rows += [outcome(f"b{i}", G2, "BASELINE", "NRS", v) for i, v in enumerate([4, 8])]
    rows.append(outcome("z", None, "BASELINE", "NRS", 99))  # no USGDN: in no summary
    table = summary_by_key(frame(rows))
    assert set(table) == {(G1, "BASELINE", "NRS"), (G2, "BASELINE", "NRS"),
                          ("ALL", "BASELINE", "NRS")}
    g2 = table[(G2, "BASELINE", "NRS")]
    assert (g2["n"], g2["mean"], g2["median"]) == (2, 6.0, 6.0)
    assert g2["sd"] == pytest.approx(math.sqrt(8))  # (4 + 4) / 1
    # ALL = 2, 3, 4, 5, 8, 10: mean 32 / 6; median (4 + 5) / 2 = 4.5;
    # q1 at 1.25 -> 3 + 0.25 = 3.25; q3 at 3.75 -> 5 + 0.75 * 3 = 7.25;
    # squared deviations sum to 47.333 -> sd sqrt(47.333 / 5) = 3.077
    everyone = table[("ALL", "BASELINE", "NRS")]
    assert everyone["n"] == 6
    assert everyone["mean"] == pytest.approx(32 / 6)
    assert everyone["median"] == pytest.approx(4.5)
    assert (everyone["q1"], everyone["q3"]) == pytest.approx((3.25, 7.25))
    assert everyone["sd"] == pytest.approx(statistics.stdev([2, 3, 4, 5, 8, 10]))
    assert (everyone["min"], everyone["max"]) == (2, 10)
    assert everyone["mean_sd"] == "5.3 (3.1)"


def test_group_summary_one_row_per_group_visit_and_parameter():
    rows = [
        outcome("p1", G1, "BASELINE", "NRS", 8), outcome("p2", G1, "BASELINE", "NRS", 6),
        outcome("p1", G1, "POST_NI", "NRS", 4), outcome("p1", G1, "BASELINE", "DASH", 50.0),
        outcome("p1", G1, "FU_6M", "PHQ9", 12.375),
    ]
    table = summary_by_key(frame(rows))
    assert set(table) == {(g, v, p) for g in (G1, "ALL") for v, p in
                          [("BASELINE", "NRS"), ("POST_NI", "NRS"), ("BASELINE", "DASH"),
                           ("FU_6M", "PHQ9")]}
    assert table[(G1, "BASELINE", "NRS")]["mean"] == 7.0
    assert table[(G1, "POST_NI", "NRS")]["visit_order"] == 1
    assert table[(G1, "FU_6M", "PHQ9")]["visit_order"] == 4
    assert table[(G1, "FU_6M", "PHQ9")]["mean_sd"] == "12.4 (NA)"  # 12.375 -> 12.4


def test_group_summary_mean_sd_rounds_half_away():
    # mean (1.2 + 1.3) / 2 = 1.25 -> 1.3; sd = 0.1 / sqrt(2) = 0.0707 -> 0.1
    rows = [outcome("p1", G2, "POST_USGDN", "NRS", 1.2),
            outcome("p2", G2, "POST_USGDN", "NRS", 1.3)]
    row = summary_by_key(frame(rows))[(G2, "POST_USGDN", "NRS")]
    assert row["mean_sd"] == "1.3 (0.1)"


# ---- change_summary ----------------------------------------------------------------------

# NI_USGDN, NRS changes from baseline at POST_NI, and at POST_USGDN (one float off by 4e-17)
CHANGES_POST_NI = [-3.0, -2.0, -4.0, -1.0, 0.5, -2.5]
CHANGES_POST_USGDN = [0.1 + 0.2, 0.3, -0.7, 1.1, -2.0, 1.6]
ROUNDED_POST_USGDN = [0.3, 0.3, -0.7, 1.1, -2.0, 1.6]  # the same, rounded by hand
PRE_USGDN = [-1.0, -1.0, -1.0000000000000002, -1.0, -1.0, -1.0]  # all equal once rounded


def change_outcomes() -> pl.DataFrame:
    rows = []
    for i in range(6):
        p = f"p{i}"
        rows.append(outcome(p, G1, "BASELINE", "NRS", 8, change=0.0, pre=3.0))
        rows.append(outcome(p, G1, "POST_NI", "NRS", 5, change=CHANGES_POST_NI[i], pre=0.0))
        rows.append(outcome(p, G1, "POST_USGDN", "NRS", 4, change=CHANGES_POST_USGDN[i],
                            pre=PRE_USGDN[i]))
    # no baseline: the change is missing, so the row is no pair
    rows.append(outcome("p6", G1, "POST_NI", "NRS", 5))
    # group 2: one patient
    rows.append(outcome("q0", G2, "BASELINE", "NRS", 7, change=0.0, pre=0.0))
    rows.append(outcome("q0", G2, "POST_USGDN", "NRS", 3, change=-4.0, pre=-4.0))
    # outside the analysis
    rows.append(outcome("z", None, "POST_NI", "NRS", 1, change=-9.0, pre=0.0))
    return frame(rows)


def change_rows() -> dict[tuple, dict]:
    table = summarise(change_summary, change_outcomes(), "change_summary")
    rows = {(r["group_code"], r["visit_code"], r["param_code"], r["reference"]): r
            for r in table}
    assert len(rows) == len(table)
    return rows


def test_change_summary_rows_baseline_and_pre_usgdn_references():
    keys = set(change_rows())
    assert keys == {
        (G1, "POST_NI", "NRS", "BASELINE"),
        (G1, "POST_USGDN", "NRS", "BASELINE"),
        (G1, "POST_USGDN", "NRS", "PRE_USGDN"),  # PRE_USGDN only from visit_order 2
        (G2, "POST_USGDN", "NRS", "BASELINE"),
        (G2, "POST_USGDN", "NRS", "PRE_USGDN"),
        ("ALL", "POST_NI", "NRS", "BASELINE"),
        ("ALL", "POST_USGDN", "NRS", "BASELINE"),
        ("ALL", "POST_USGDN", "NRS", "PRE_USGDN"),
    }  # and no row for the baseline visit itself


def test_change_summary_mean_sd_ci_and_p_values():
    row = change_rows()[(G1, "POST_NI", "NRS", "BASELINE")]
    assert row["n_pairs"] == 6  # p6 has no baseline
    assert row["visit_order"] == 1
    # sum -12 / 6 = -2; squared deviations 1 + 0 + 4 + 1 + 6.25 + 0.25 = 12.5, / 5 = 2.5
    assert row["mean_change"] == pytest.approx(-2.0)
    assert row["sd_change"] == pytest.approx(math.sqrt(2.5))
    margin = stats.t.ppf(0.975, 5) * math.sqrt(2.5) / math.sqrt(6)  # 2.5706 * 0.6455 = 1.659
    assert margin == pytest.approx(1.6593, abs=1e-4)
    assert row["ci95_low"] == pytest.approx(-2.0 - margin)
    assert row["ci95_high"] == pytest.approx(-2.0 + margin)
    assert row["p_wilcoxon"] == pytest.approx(stats.wilcoxon(CHANGES_POST_NI).pvalue)
    assert row["p_ttest"] == pytest.approx(stats.ttest_1samp(CHANGES_POST_NI, 0.0).pvalue)
    # t = -2 / (sqrt(2.5) / sqrt(6)) = -3.098
    assert stats.ttest_1samp(CHANGES_POST_NI, 0.0).statistic == pytest.approx(-3.0984, abs=1e-4)


def test_change_summary_p_values_use_changes_rounded_to_9_decimals():
    rows = change_rows()
    row = rows[(G1, "POST_USGDN", "NRS", "BASELINE")]
    assert row["n_pairs"] == 6
    assert row["mean_change"] == pytest.approx(0.1)  # 0.6 / 6
    expected_w = stats.wilcoxon(ROUNDED_POST_USGDN).pvalue  # 0.3 and 0.3 tie exactly
    assert expected_w != pytest.approx(stats.wilcoxon(CHANGES_POST_USGDN).pvalue)  # it matters
    assert row["p_wilcoxon"] == pytest.approx(expected_w)
    assert row["p_ttest"] == pytest.approx(stats.ttest_1samp(ROUNDED_POST_USGDN, 0.0).pvalue)
    # ALL adds group 2's -4
    everyone = rows[("ALL", "POST_USGDN", "NRS", "BASELINE")]
    assert everyone["n_pairs"] == 7
    assert everyone["mean_change"] == pytest.approx((0.6 - 4.0) / 7)
    assert everyone["p_wilcoxon"] == pytest.approx(
        stats.wilcoxon(ROUNDED_POST_USGDN + [-4.0]).pvalue)
    assert everyone["p_ttest"] == pytest.approx(
        stats.ttest_1samp(ROUNDED_POST_USGDN + [-4.0], 0.0).pvalue)


def test_change_summary_equal_changes_have_no_p_values_but_a_ci():
    row = change_rows()[(G1, "POST_USGDN", "NRS", "PRE_USGDN")]
    assert row["n_pairs"] == 6
    assert row["mean_change"] == pytest.approx(-1.0)
    assert null(row["p_wilcoxon"])
    assert null(row["p_ttest"])
    # n >= 2: the interval is defined, and with sd ~ 0 it is the mean itself
    assert row["sd_change"] == pytest.approx(0.0, abs=1e-12)
    assert (row["ci95_low"], row["ci95_high"]) == pytest.approx((-1.0, -1.0))
    # with group 2's -4 the changes differ: the tests run
    everyone = change_rows()[("ALL", "POST_USGDN", "NRS", "PRE_USGDN")]
    assert everyone["n_pairs"] == 7
    assert everyone["p_wilcoxon"] == pytest.approx(stats.wilcoxon([-1.0] * 6 + [-4.0]).pvalue)
    assert everyone["p_ttest"] == pytest.approx(
        stats.ttest_1samp([-1.0] * 6 + [-4.0], 0.0).pvalue)


def test_change_summary_a_single_pair_has_no_sd_ci_or_p():
    rows = change_rows()
    for reference in ("BASELINE", "PRE_USGDN"):
        row = rows[(G2, "POST_USGDN", "NRS", reference)]
        assert row["n_pairs"] == 1
        assert row["mean_change"] == -4.0
        for column in ("sd_change", "ci95_low", "ci95_high", "p_wilcoxon", "p_ttest"):
            assert null(row[column]), column


def test_paired_tests_directly():
    assert paired_tests(np.array([-3.0])) == (None, None)
    assert paired_tests(np.array([-2.0000000000000004, -2.0, -2.0])) == (None, None)
    p_w, p_t = paired_tests(np.array([-3.0, -1.0, -2.5, 0.5]))
    assert p_w == pytest.approx(stats.wilcoxon([-3.0, -1.0, -2.5, 0.5]).pvalue)
    assert p_t == pytest.approx(stats.ttest_1samp([-3.0, -1.0, -2.5, 0.5], 0.0).pvalue)


# ---- responder_summary -------------------------------------------------------------------


def test_responder_criteria_seed_matches_instruments():
    seed = pd.read_csv(SEEDS / "responder_criteria.csv")
    assert list(seed["criterion"]) == list(CRITERIA["criterion"])
    assert list(seed["param_code"]) == list(CRITERIA["param_code"])
    assert list(seed["measure"]) == list(CRITERIA["measure"])
    assert seed["threshold"].tolist() == pytest.approx(CRITERIA["threshold"].tolist(),
                                                       nan_ok=True)
    assert seed["category"].fillna("").tolist() == CRITERIA["category"].fillna("").tolist()


def test_responder_summary_reads_the_criteria_of_instruments():
    # responder_summary takes its criteria from the seed, through pipelines.core.reference
    read = [(c.criterion, c.param_code, c.measure,
             math.nan if c.threshold is None else c.threshold) for c in responder_criteria()]
    assert [r[:3] for r in read] == CRITERIA[["criterion", "param_code", "measure"]].apply(
        tuple, axis=1).tolist()
    assert [r[3] for r in read] == pytest.approx(CRITERIA["threshold"].tolist(), nan_ok=True)
    assert [c.category or "" for c in responder_criteria()] == \
        CRITERIA["category"].fillna("").tolist()


def test_a_category_criterion_counts_the_category_its_seed_row_names(monkeypatch):
    likely = ResponderCriterion("PAINDETECT_LIKELY", "PAINDETECT", "category", None, "likely",
                                "PAINDETECT category likely at the visit")
    monkeypatch.setattr(summaries, "responder_criteria", lambda: (likely,))
    table = summarise(responder_summary, responder_outcomes(), "responder_summary")
    got = {(r["group_code"], r["criterion"]): (r["n_evaluable"], r["n_responders"])
           for r in table}
    # p1 unlikely, p2 unclear, p3 likely at POST_NI in group 1
    assert got == {(G1, "PAINDETECT_LIKELY"): (3, 1), ("ALL", "PAINDETECT_LIKELY"): (3, 1)}


def responder_outcomes() -> pl.DataFrame:
    rows = [
        # p1: NRS 10 -> 7: change -3, pct -30
        outcome("p1", G1, "BASELINE", "NRS", 10, change=0.0, pct=0.0),
        outcome("p1", G1, "POST_NI", "NRS", 7, change=-3.0, pct=-30.0),
        # p2: NRS 0 -> 0: pct_change missing (zero baseline), change 0
        outcome("p2", G1, "BASELINE", "NRS", 0, change=0.0),
        outcome("p2", G1, "POST_NI", "NRS", 0, change=0.0),
        # p3: NRS 8 -> 4: change -4, pct -50
        outcome("p3", G1, "POST_NI", "NRS", 4, change=-4.0, pct=-50.0),
        # p4: no baseline: evaluable for no NRS criterion
        outcome("p4", G1, "POST_NI", "NRS", 5),
        outcome("p1", G1, "POST_NI", "DASH", 20.0, change=-10.83),
        outcome("p2", G1, "POST_NI", "DASH", 30.0, change=-10.82),
        outcome("p3", G1, "POST_NI", "DASH", 40.0),
        outcome("p1", G1, "POST_NI", "PAINDETECT", 8, change=-6.0, category="unlikely"),
        outcome("p2", G1, "POST_NI", "PAINDETECT", 15, change=-10.0, category="unclear"),
        outcome("p3", G1, "POST_NI", "PAINDETECT", 25, category="likely"),
        outcome("p1", G1, "POST_NI", "PHQ9", 4, change=-5.0, category="minimal"),
        outcome("p2", G1, "POST_NI", "PHQ9", 6.1, change=-4.9, category="mild"),
        outcome("p1", G1, "BASELINE", "MME", 0, change=0.0),  # the baseline visit: no row
        outcome("p1", G1, "POST_NI", "MME", 0, change=0.0),
        outcome("p2", G1, "POST_NI", "MME", 30, change=-15.0, pct=-33.3),
        # group 2, one patient at POST_USGDN
        outcome("q1", G2, "BASELINE", "NRS", 6, change=0.0, pct=0.0),
        outcome("q1", G2, "POST_USGDN", "NRS", 3, change=-3.0, pct=-50.0),
        outcome("q1", G2, "POST_USGDN", "MME", 0),
        # outside the analysis
        outcome("z", None, "POST_NI", "NRS", 2, change=-5.0, pct=-71.4),
        outcome("z", None, "POST_NI", "MME", 0),
    ]
    return frame(rows)


def test_responder_summary_counts():
    table = summarise(responder_summary, responder_outcomes(), "responder_summary")
    got = {(r["group_code"], r["visit_code"], r["criterion"]):
           (r["n_evaluable"], r["n_responders"]) for r in table}
    assert len(got) == len(table)
    g1_post_ni = {
        "NRS_30PCT": (2, 2),  # p1 (-30), p3 (-50); p2 zero baseline and p4 not evaluable
        "NRS_50PCT": (2, 1),  # p3
        "NRS_2PT": (3, 2),  # p1 (-3), p3 (-4); p2 (0) is evaluable, not a responder
        "PAINDETECT_UNLIKELY": (3, 1),  # p1
        "DASH_MCID": (2, 1),  # p1 at exactly -10.83; p2 -10.82 is not; p3 has no change
        "PHQ9_5PT": (2, 1),  # p1 at exactly -5
        "OPIOID_FREE": (2, 1),  # p1 MME 0; p2 MME 30
    }
    g2_post_usgdn = {"NRS_30PCT": (1, 1), "NRS_50PCT": (1, 1), "NRS_2PT": (1, 1),
                     "OPIOID_FREE": (1, 1)}
    expected = {}
    for group in (G1, "ALL"):
        expected.update({(group, "POST_NI", c): v for c, v in g1_post_ni.items()})
    for group in (G2, "ALL"):
        expected.update({(group, "POST_USGDN", c): v for c, v in g2_post_usgdn.items()})
    assert got == expected


def test_responder_summary_percentages_and_visit_order():
    table = summarise(responder_summary, responder_outcomes(), "responder_summary")
    rows = {(r["group_code"], r["visit_code"], r["criterion"]): r for r in table}
    assert rows[(G1, "POST_NI", "NRS_2PT")]["pct_responders"] == pytest.approx(200 / 3)  # 2/3
    assert rows[(G1, "POST_NI", "PAINDETECT_UNLIKELY")]["pct_responders"] == pytest.approx(
        100 / 3)
    assert rows[(G1, "POST_NI", "NRS_30PCT")]["pct_responders"] == 100.0
    assert rows[(G1, "POST_NI", "NRS_50PCT")]["pct_responders"] == 50.0
    assert rows[(G1, "POST_NI", "NRS_2PT")]["visit_order"] == 1
    assert rows[(G2, "POST_USGDN", "OPIOID_FREE")]["visit_order"] == 2


def test_responders_flag_each_patient_visit_and_criterion():
    table = summarise(summaries.responders, responder_outcomes(), "responders")
    flags = {(r["patient_key"], r["visit_code"], r["criterion"]): (r["evaluable"], r["responder"])
             for r in table}
    # every patient with a post-baseline assessment gets all 7 criteria at that visit:
    # p1-p4 and z at POST_NI, q1 at POST_USGDN; no row for a baseline visit
    assert len(flags) == len(table) == 6 * 7
    assert {visit for _, visit, _ in flags} == {"POST_NI", "POST_USGDN"}
    assert flags[("p1", "POST_NI", "NRS_30PCT")] == (True, True)  # -30 % exactly
    assert flags[("p1", "POST_NI", "NRS_50PCT")] == (True, False)
    assert flags[("p2", "POST_NI", "NRS_30PCT")] == (False, None)  # zero baseline: no pct
    assert flags[("p2", "POST_NI", "NRS_2PT")] == (True, False)  # change 0
    assert flags[("p4", "POST_NI", "NRS_2PT")] == (False, None)  # no baseline
    assert flags[("p3", "POST_NI", "PHQ9_5PT")] == (False, None)  # no PHQ9 at the visit
    assert flags[("p2", "POST_NI", "OPIOID_FREE")] == (True, False)  # MME 30
    assert flags[("q1", "POST_USGDN", "OPIOID_FREE")] == (True, True)
    # a patient outside the analysis has flags too, without a group
    z = [r for r in table if r["patient_key"] == "z" and r["criterion"] == "NRS_50PCT"]
    assert [(r["group_code"], r["evaluable"], r["responder"]) for r in z] == [
        (None, True, True)]  # -71.4 %


def test_responder_summary_counts_the_responders_flags():
    flags = summarise(summaries.responders, responder_outcomes(), "responders")
    table = summarise(responder_summary, responder_outcomes(), "responder_summary")
    for row in table:
        counted = [f for f in flags if f["evaluable"] and f["criterion"] == row["criterion"]
                   and f["visit_code"] == row["visit_code"] and f["group_code"] is not None
                   and row["group_code"] in (f["group_code"], "ALL")]
        assert row["n_evaluable"] == len(counted)
        assert row["n_responders"] == sum(f["responder"] for f in counted)


def test_responder_summary_from_flags_given_equals_the_one_it_derives():
    def from_published_flags(con, outcomes):
        con.execute(f"CREATE TABLE flags AS {summaries.responders(con, outcomes).sql_query()}")
        return responder_summary(con, outcomes, flags="flags")

    assert summarise(from_published_flags, responder_outcomes(), "responder_summary") == \
        summarise(responder_summary, responder_outcomes(), "responder_summary")


def test_responder_zero_baseline_is_evaluable_for_nrs_2pt_only():
    rows = [outcome("p2", G1, "BASELINE", "NRS", 0, change=0.0),
            outcome("p2", G1, "FU_3M", "NRS", 0, change=0.0)]
    table = summarise(responder_summary, frame(rows), "responder_summary")
    got = {(r["group_code"], r["criterion"]): (r["n_evaluable"], r["n_responders"],
                                                r["pct_responders"])
           for r in table}
    assert got == {(G1, "NRS_2PT"): (1, 0, 0.0), ("ALL", "NRS_2PT"): (1, 0, 0.0)}
