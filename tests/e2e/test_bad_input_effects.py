"""Bad input end to end, the effects on the published tables: what each planted problem of
the bad-input landing folder (tests/e2e/bad_input.py) leaves in outcomes, questionnaire_items
and patients after loads 1 and 2, and what the superseded, duplicate and conflicting files of
load 2 leave unchanged.

Every expected value below is worked out by hand from the planted rows and the contract.
"""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd
import pytest

from tests.e2e.bad_input import Loads, sort_rows, value
from tests.e2e.harness import PSEUDONYM_KEY

ABSENT = object()


def key(site: str, mrn: str) -> str:
    return hmac.new(PSEUDONYM_KEY.encode(), f"{site}:{mrn}".encode(),
                    hashlib.sha256).hexdigest()[:16]


@pytest.fixture(scope="module")
def loads(bad_input_loads) -> Loads:
    """The three loads the bad-input files share (tests/e2e/conftest.py)."""
    return bad_input_loads


# --- effects on the published tables -------------------------------------------------------

def outcome_values(loads: Loads, load: int) -> dict[tuple, float]:
    outcomes = loads.table("outcomes", load)
    found = {}
    for r in outcomes.itertuples(index=False):
        cell = (r.patient_key, r.visit_code, r.param_code)
        assert cell not in found, f"two outcome rows for {cell}"
        found[cell] = r.value
    return found


KEYS = {key(site, mrn): f"{site}:{mrn}" for site, mrns in
        {"alpha": ["A101", "A102", "A103", "A104", "A105", "A106", "A108", "A109", "A199",
                   "a101"],
         "beta": ["3001", "3002", "3003", "3004", "3005"]}.items() for mrn in mrns}

# (site, mrn, visit, param) -> value after load 2 (and 3); hand-worked from the planted rows
EXPECTED_OUTCOMES = {
    ("alpha", "A101", "BASELINE", "NRS"): 8, ("alpha", "A101", "BASELINE", "PHQ9"): 9,
    ("alpha", "A101", "BASELINE", "MME"): 30,  # morphine 10 mg x 3
    ("alpha", "A101", "POST_NI", "NRS"): 5, ("alpha", "A101", "POST_NI", "PHQ9"): 9,
    ("alpha", "A101", "POST_NI", "MME"): 30,
    ("alpha", "A101", "POST_USGDN", "PHQ9"): 9,  # nrs 11; buprenorphine active: no MME
    ("alpha", "A102", "BASELINE", "NRS"): 7, ("alpha", "A102", "BASELINE", "PHQ9"): 18,
    ("alpha", "A102", "BASELINE", "MME"): 20,  # tramadol 50 mg x 2 x 0.2
    ("alpha", "A102", "POST_USGDN", "PHQ9"): 9,  # nrs 'severe'; intrathecal active: no MME
    ("alpha", "A103", "BASELINE", "NRS"): 6, ("alpha", "A103", "BASELINE", "PHQ9"): 9,
    ("alpha", "A103", "BASELINE", "MME"): 0,  # 8 items x 9 / 8; every prescription rejected
    ("alpha", "A103", "POST_USGDN", "NRS"): 3, ("alpha", "A103", "POST_USGDN", "PHQ9"): 0,
    ("alpha", "A103", "POST_USGDN", "MME"): 0,
    ("alpha", "A104", "FU_3M", "NRS"): 4, ("alpha", "A104", "FU_3M", "MME"): 40,
    ("alpha", "A106", "BASELINE", "NRS"): 9, ("alpha", "A106", "BASELINE", "MME"): 28.8,
    ("alpha", "A106", "POST_USGDN", "NRS"): 2, ("alpha", "A106", "POST_USGDN", "MME"): 28.8,
    ("beta", "3001", "BASELINE", "NRS"): 9, ("beta", "3001", "BASELINE", "MME"): 22.5,
    ("beta", "3001", "POST_NI", "NRS"): 6, ("beta", "3001", "POST_NI", "MME"): 22.5,
    ("beta", "3001", "POST_USGDN", "MME"): 22.5,  # nrs -99 is missing at beta
    ("beta", "3002", "BASELINE", "NRS"): 7, ("beta", "3002", "BASELINE", "MME"): 10,
    ("beta", "3002", "POST_USGDN", "NRS"): 3, ("beta", "3002", "POST_USGDN", "MME"): 0,
    ("beta", "3002", "FU_3M", "NRS"): 1, ("beta", "3002", "FU_3M", "MME"): 0,
    ("beta", "3003", "BASELINE", "NRS"): 5, ("beta", "3003", "BASELINE", "MME"): 0,
    ("beta", "3003", "POST_USGDN", "MME"): 0,  # nrs 'NA' is out_of_range at beta
}
EXPECTED_OUTCOMES_LOAD_1 = {
    **EXPECTED_OUTCOMES,
    ("beta", "3004", "BASELINE", "NRS"): 8, ("beta", "3004", "BASELINE", "MME"): 0,
    ("beta", "3004", "POST_USGDN", "NRS"): 4, ("beta", "3004", "POST_USGDN", "MME"): 18,
}


@pytest.mark.parametrize("what, site, mrn, visit, param, expected", [
    ("out_of_range nrs: no NRS", "alpha", "A101", "POST_USGDN", "NRS", ABSENT),
    ("out_of_range nrs: the rest of the assessment stays", "alpha", "A101", "POST_USGDN",
     "PHQ9", 9),
    ("out_of_range nrs text: no NRS", "alpha", "A102", "POST_USGDN", "NRS", ABSENT),
    ("total_mismatch: the computed score as it is", "alpha", "A102", "POST_USGDN", "PHQ9", 9),
    ("out_of_range item: PHQ9 prorated from 8", "alpha", "A103", "BASELINE", "PHQ9", 9),
    ("out_of_range item: NRS stays", "alpha", "A103", "BASELINE", "NRS", 6),
    ("out_of_range clinic total: score from the items", "alpha", "A103", "POST_USGDN",
     "PHQ9", 0),
    ("duplicate_conflict: the visit is absent", "alpha", "A104", "BASELINE", "NRS", ABSENT),
    ("date_in_future: the assessment is absent", "alpha", "A104", "POST_USGDN", "NRS", ABSENT),
    ("duplicate_identical prescription counted once; bad_date one not at all", "alpha", "A104",
     "FU_3M", "MME", 40),
    ("bad_date row is no conflict for the later valid row", "alpha", "A106", "POST_USGDN",
     "NRS", 2),
    ("unknown_event: no such visit", "alpha", "A106", "FU_3M", "NRS", ABSENT),
    ("unknown_patient a101: A101 has no FU_3M", "alpha", "A101", "FU_3M", "NRS", ABSENT),
    ("no_conversion_factor active: MME missing", "alpha", "A101", "POST_USGDN", "MME", ABSENT),
    ("no_conversion_factor not yet active: MME stays", "alpha", "A101", "POST_NI", "MME", 30),
    ("unconvertible route active: MME missing", "alpha", "A102", "POST_USGDN", "MME", ABSENT),
    ("unconvertible route not yet active: MME stays", "alpha", "A102", "BASELINE", "MME", 20),
    ("bad_dose, end_before_start, missing_key prescriptions count nothing", "alpha", "A103",
     "BASELINE", "MME", 0),
    ("fentanyl patch, default route transdermal", "alpha", "A106", "BASELINE", "MME", 28.8),
    ("site drug label Ultracet is tramadol", "beta", "3001", "BASELINE", "MME", 22.5),
    ("site missing token -99: no NRS, no issue", "beta", "3001", "POST_USGDN", "NRS", ABSENT),
    ("site missing_values replace the defaults: NA is out_of_range", "beta", "3003",
     "POST_USGDN", "NRS", ABSENT),
    ("out_of_range NA: the assessment's MME stays", "beta", "3003", "POST_USGDN", "MME", 0),
    ("an assessment on the export date is not in the future", "beta", "3002", "FU_3M", "NRS",
     1),
    ("nrs 4.0 is the integer 4", "alpha", "A104", "FU_3M", "NRS", 4),
    ("padded mrn ' A106 ' is A106", "alpha", "A106", "POST_USGDN", "MME", 28.8),
])
def test_effect_on_outcomes(loads, what, site, mrn, visit, param, expected):
    found = outcome_values(loads, 2)
    cell = (key(site, mrn), visit, param)
    if expected is ABSENT:
        assert cell not in found, what
    else:
        assert found.get(cell) == pytest.approx(expected), what


@pytest.mark.parametrize("load", [1, 2])
def test_outcomes_hold_exactly_the_expected_values(loads, load):
    wanted = EXPECTED_OUTCOMES_LOAD_1 if load == 1 else EXPECTED_OUTCOMES
    found = {(*KEYS.get(k, k).split(":"), v, p): x
             for (k, v, p), x in outcome_values(loads, load).items()}
    assert sorted(set(found) - set(wanted)) == [] and sorted(set(wanted) - set(found)) == []
    assert {c: pytest.approx(x) for c, x in wanted.items()} == found


def test_prorated_phq9_after_an_invalid_item(loads):
    outcomes = loads.table("outcomes", 2)
    row = outcomes[(outcomes["patient_key"] == key("alpha", "A103"))
                   & (outcomes["visit_code"] == "BASELINE") & (outcomes["param_code"] == "PHQ9")]
    assert row["is_prorated"].tolist() == [True]


def test_invalid_items_are_not_questionnaire_items(loads):
    items = loads.table("questionnaire_items", 2)
    a103 = items[(items["patient_key"] == key("alpha", "A103"))
                 & (items["visit_code"] == "BASELINE") & items["item"].str.startswith("phq9_")]
    assert dict(zip(a103["item"], a103["response"], strict=True)) == {
        f"phq9_{i}": 1 for i in range(2, 10)}
    a101 = items[(items["patient_key"] == key("alpha", "A101"))
                 & (items["visit_code"] == "POST_USGDN")]
    assert "nrs" not in set(a101["item"])


@pytest.mark.parametrize("what, site, mrn, visit, study_day", [
    ("unknown_procedure 2024-12-01 moves no index date (2025-03-01)", "alpha", "A103",
     "BASELINE", -9),
    ("missing_key procedure 2025-03-01 moves no index date (2025-04-01)", "alpha", "A106",
     "BASELINE", -7),
    ("unknown_procedure 'Laser' 2025-01-02 moves no index date (2025-01-08)", "beta", "3001",
     "BASELINE", -3),
    ("index date from an XLSX text date, day-first (2025-01-05)", "beta", "3002", "BASELINE",
     -2),
])
def test_rejected_procedures_move_no_index_date(loads, what, site, mrn, visit, study_day):
    outcomes = loads.table("outcomes", 2)
    rows = outcomes[(outcomes["patient_key"] == key(site, mrn))
                    & (outcomes["visit_code"] == visit)]
    assert set(rows["study_day"]) == {study_day}, what


# (site, mrn) -> group_code, in_analysis, age_at_index, sex, mastectomy_side,
# months_since_mastectomy, ni_types, usgdn_sessions
EXPECTED_PATIENTS = {
    ("alpha", "A101"): ("NI_USGDN", True, 64, "female", "left", 11, "neuraxial_block", 3),
    ("alpha", "A102"): ("NI_USGDN", True, 54, "female", "right", 11, "pulsed_rf", 1),
    ("alpha", "A103"): ("USGDN_ONLY", True, 69, None, None, 15, None, 1),
    ("alpha", "A104"): ("USGDN_ONLY", True, 60, "other", "left", None, None, 1),
    ("alpha", "A106"): ("USGDN_ONLY", True, 44, "male", "right", 11, None, 2),
    ("beta", "3001"): ("NI_USGDN", True, 63, "female", "left", 11, "neuraxial_block", 1),
    ("beta", "3002"): ("NI_USGDN", True, 66, "female", "right", None, "neuraxial_block", 1),
    ("beta", "3003"): (None, False, 54, None, None, None, "neuraxial_block", 0),
}
EXPECTED_PATIENTS_LOAD_1 = {
    **EXPECTED_PATIENTS,
    ("beta", "3004"): ("USGDN_ONLY", True, 58, "female", None, None, None, 1),
}
PATIENT_COLUMNS = ["group_code", "in_analysis", "age_at_index", "sex", "mastectomy_side",
                   "months_since_mastectomy", "ni_types", "usgdn_sessions"]


def patient_rows(loads: Loads, load: int) -> dict[tuple, tuple]:
    patients = loads.table("patients", load)
    found = {}
    for r in patients.to_dict("records"):
        site, mrn = KEYS.get(r["patient_key"], f"?:{r['patient_key']}").split(":")
        assert r["site"] == site
        found[(site, mrn)] = tuple(value(r[c]) for c in PATIENT_COLUMNS)
    assert len(found) == len(patients), "one row per patient"
    return found


@pytest.mark.parametrize("what, site, mrn, column, expected", [
    ("bad_value sex: null", "alpha", "A103", "sex", None),
    ("bad_value mastectomy_side: null", "alpha", "A103", "mastectomy_side", None),
    ("bad_value mastectomy_date: no months", "alpha", "A104", "months_since_mastectomy", None),
    ("bad_value treatment_group: derived group, no mismatch", "alpha", "A104", "group_code",
     "USGDN_ONLY"),
    ("group_mismatch: the derived group is used", "alpha", "A102", "group_code", "NI_USGDN"),
    ("group_mismatch against a null derived group", "beta", "3003", "group_code", None),
    ("no USGDN: outside the analysis", "beta", "3003", "in_analysis", False),
    ("rejected procedures: no NI, group from usgdn", "alpha", "A104", "ni_types", None),
    ("unknown_procedure moves no index date: months from 2025-03-01", "alpha", "A103",
     "months_since_mastectomy", 15),
    ("duplicate_identical procedure counted once", "alpha", "A106", "usgdn_sessions", 2),
    ("two different USGDN rows on one date are two sessions", "alpha", "A101",
     "usgdn_sessions", 3),
    ("XLSX text date read day-first: NI before USGDN", "beta", "3002", "group_code",
     "NI_USGDN"),
    ("numeric XLSX mrn 3001.0 is patient 3001", "beta", "3001", "usgdn_sessions", 1),
    ("latin-1 day-first date of birth", "beta", "3001", "age_at_index", 63),
    ("site missing token in sex", "beta", "3003", "sex", None),
    ("sex x is other", "alpha", "A104", "sex", "other"),
])
def test_effect_on_patients(loads, what, site, mrn, column, expected):
    found = patient_rows(loads, 2)
    assert found[(site, mrn)][PATIENT_COLUMNS.index(column)] == expected, what


@pytest.mark.parametrize("load", [1, 2])
def test_patients_hold_exactly_the_accepted_patients(loads, load):
    """A105 (conflicting rows), A108/A109 and the empty mrn (rejected rows) are not patients;
    3004 is gone once the newer beta snapshot leaves it out."""
    wanted = EXPECTED_PATIENTS_LOAD_1 if load == 1 else EXPECTED_PATIENTS
    assert patient_rows(loads, load) == wanted


def test_patient_dropped_by_a_newer_snapshot_is_gone(loads):
    gone = key("beta", "3004")
    assert gone in set(loads.table("patients", 1)["patient_key"])
    for name in ("patients", "outcomes", "questionnaire_items"):
        assert gone not in set(loads.table(name, 2)["patient_key"]), name


@pytest.mark.parametrize("table", ["patients", "outcomes", "questionnaire_items"])
def test_superseded_duplicate_and_conflicting_files_change_nothing(loads, table):
    """Load 2's alpha files are a re-delivered copy, an older snapshot and a conflicting one:
    alpha's rows are the same as after load 1."""
    alpha = {k for k, name in KEYS.items() if name.startswith("alpha:")}

    def rows(load: int) -> pd.DataFrame:
        frame = loads.table(table, load)
        return sort_rows(frame[frame["patient_key"].isin(alpha)])

    first, second = rows(1), rows(2)
    assert len(first) > 0
    pd.testing.assert_frame_equal(first, second)
