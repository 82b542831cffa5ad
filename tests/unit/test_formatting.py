"""How the report writes values (pipelines.publish.formatting): p-values, mean changes and
the responder criteria in plain words, worked out by hand from the seed's thresholds."""

from __future__ import annotations

import pytest

from pipelines.core.reference import ResponderCriterion
from pipelines.publish import formatting


@pytest.mark.parametrize(("p_value", "text"), [
    (0.00044, "<0.001"), (0.001, "0.00100"), (0.0283237, "0.0283"), (0.5, "0.500"),
    (1.0, "1.00"), (None, "NA"), (float("nan"), "NA")])
def test_p_values_have_three_significant_digits(p_value, text) -> None:
    assert formatting.format_p_value(p_value) == text


@pytest.mark.parametrize(("mean", "low", "high", "text"), [
    (-1.25, -1.84, -0.66, "-1.3 (-1.8 to -0.7)"), (-0.04, -0.5, 0.42, "0.0 (-0.5 to 0.4)"),
    (2.0, None, None, "2.0 (NA)"), (None, None, None, "NA")])
def test_mean_change_is_rounded_half_away_from_zero(mean, low, high, text) -> None:
    assert formatting.format_mean_change(mean, low, high) == text


@pytest.mark.parametrize(("criterion", "words"), [
    ("NRS_30PCT", "NRS pain fell by 30 % or more from baseline"),
    ("NRS_50PCT", "NRS pain fell by 50 % or more from baseline"),
    ("NRS_2PT", "NRS pain fell by 2 points or more from baseline"),
    ("PAINDETECT_UNLIKELY", "painDETECT category \u201cunlikely\u201d at the visit"),
    ("DASH_MCID", "DASH fell by 10.83 points or more from baseline"),
    ("PHQ9_5PT", "PHQ-9 fell by 5 points or more from baseline"),
    ("OPIOID_FREE", "Opioid use 0 MME/day (none) at the visit")])
def test_each_responder_criterion_reads_in_plain_words(criterion, words) -> None:
    assert formatting.criterion_label(criterion) == words


def test_a_new_criterion_is_worded_from_its_measure_and_threshold() -> None:
    # change <= threshold: a positive threshold allows a rise up to it
    rise = ResponderCriterion("DASH_UP", "DASH", "pct_change", 25.0, None, "")
    assert formatting.criterion_in_words(rise) == (
        "DASH rose by no more than 25 % from baseline")
    steady = ResponderCriterion("PHQ9_STEADY", "PHQ9", "change", 0.0, None, "")
    assert formatting.criterion_in_words(steady) == "PHQ-9 did not rise from baseline"
    dose = ResponderCriterion("LOW_MME", "MME", "value", 30.0, None, "")
    assert formatting.criterion_in_words(dose) == "Opioid use 30 MME/day at the visit"
    assert formatting.criterion_label("NOT_A_CRITERION") == "NOT_A_CRITERION"
