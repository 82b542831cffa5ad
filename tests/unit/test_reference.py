"""The seeds as Python reads them (pipelines.core.reference): code lists and parameters."""

from __future__ import annotations

import pytest

from pipelines.core.reference import (
    Parameter,
    code_list,
    parameter_order,
    parameters,
    visit_codes,
)
from schemas import fields


def test_code_lists_keep_the_seed_order_and_labels() -> None:
    groups = code_list("group_code")
    # docs/scoring.md#9-treatment-groups: Group 1, then Group 2
    assert list(groups) == ["NI_USGDN", "USGDN_ONLY"]
    assert groups["NI_USGDN"].short_label == "Group 1"
    assert list(code_list("exclusion_reason")) == ["no_usgdn", "no_procedures"]
    # without a short label, tables show the label itself
    assert code_list("sex")["female"].short_label == "female"


def test_an_unknown_code_list_is_an_error() -> None:
    with pytest.raises(KeyError, match="no code list 'ethnicity'"):
        code_list("ethnicity")


def test_the_field_parsers_map_onto_the_code_lists() -> None:
    assert set(fields.SEX.values()) == set(code_list("sex"))
    assert fields.MASTECTOMY_SIDES == tuple(code_list("mastectomy_side"))


@pytest.mark.parametrize(("parameter", "label"), [
    (Parameter("NRS", "Numerical Rating Scale", "NRS pain", "", 0.0, 10.0), "NRS pain 0\u201310"),
    (Parameter("PD", "painDETECT", "painDETECT", "", -1.0, 38.0), "painDETECT \u22121\u201338"),
    (Parameter("MME", "Opioid use", "Opioid use", "MME/day", 0.0, None), "Opioid use (MME/day)"),
])
def test_a_parameter_label_is_its_short_name_with_its_scale_or_unit(parameter, label) -> None:
    assert parameter.label == label


def test_parameters_come_in_display_order_with_their_ranges() -> None:
    assert parameter_order() == ["NRS", "PAINDETECT", "DASH", "PHQ9", "MME"]
    assert (parameters()["PAINDETECT"].score_min, parameters()["PAINDETECT"].score_max) == (
        -1.0, 38.0)  # docs/scoring.md#3-paindetect: painDETECT -1 to 38
    assert parameters()["MME"].score_max is None


def test_every_data_issue_rule_has_a_severity_and_a_meaning():
    from pipelines.core.issues import RULE_MEANING, RULE_SEVERITY, SEVERITIES

    assert set(RULE_SEVERITY.values()) == set(SEVERITIES)
    assert RULE_SEVERITY["total_mismatch"] == RULE_SEVERITY["group_mismatch"] == "warning"
    assert RULE_SEVERITY["unknown_patient"] == "rejected_row"
    assert all(len(meaning) > 10 for meaning in RULE_MEANING.values())


def test_visit_codes_come_in_visit_order() -> None:
    assert visit_codes() == ("BASELINE", "POST_NI", "POST_USGDN", "FU_3M", "FU_6M")


def test_the_study_flow_stages_come_in_their_steps() -> None:
    from pipelines.core.reference import study_flow_stages

    stages = study_flow_stages()
    assert [stage.step for stage in stages.values()] == list(range(1, 9))
    assert list(stages)[0] == "received" and list(stages)[-1] == "group"
    assert {stage.row_kind for stage in stages.values()} == {"total", "main", "sub"}
