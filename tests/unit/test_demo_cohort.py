"""Tests of the bundled demo-cohort generator (pipelines.demo.study and its parts)."""

import csv
import statistics
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from pathlib import Path

import pytest

from pipelines.demo import cohort, study
from schemas import SOURCE_SPECS
from tests.unit import score_search

EXPORT_DATE = date(2026, 11, 2)
FILE_NAMES = {
    "patients": "patients_demo_20261102.csv",
    "procedures": "procedures_demo_20261102.csv",
    "questionnaires": "questionnaires_demo_20261102.csv",
    "medications": "medications_demo_20261102.csv",
}
NI_CODES = {"neuraxial_block", "intrathecal_pump", "pulsed_rf"}
MME_FACTORS = {
    "codeine": 0.15,
    "hydromorphone": 5.0,
    "morphine": 1.0,
    "oxycodone": 1.5,
    "tapentadol": 0.4,
    "tramadol": 0.2,
    "fentanyl": 2.4,
}
PATTERN_SCORE = {1: 0, 2: -1, 3: 1, 4: 1}
# The published table, written out independently of the module under test.
PUBLISHED = {
    (1, "NRS"): ["9.6 (0.9)", "5.2 (1.1)", "2.3 (0.8)"],
    (1, "PAINDETECT"): ["28.3 (4.3)", "16.1 (3.7)", "6.6 (1.2)"],
    (1, "DASH"): ["80.9 (10.5)", "71.1 (10.5)", "34.6 (14.4)"],
    (2, "NRS"): ["7.8 (1.7)", "1.3 (0.5)"],
    (2, "PAINDETECT"): ["20.0 (8.0)", "6.0 (1.6)"],
    (2, "DASH"): ["61.0 (14.4)", "22.5 (10.4)"],
}
EVENTS = {1: ["BASELINE", "POST_NI", "POST_USGDN"], 2: ["BASELINE", "POST_USGDN"]}


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "landing" / "demo"
    study.write_demo_exports(folder)
    return folder


@pytest.fixture(scope="module")
def tables(landing: Path) -> dict[str, list[dict[str, str]]]:
    out = {}
    for kind, name in FILE_NAMES.items():
        with (landing / name).open(encoding="utf-8", newline="") as handle:
            out[kind] = list(csv.DictReader(handle))
    return out


@pytest.fixture(scope="module")
def groups(tables: dict[str, list[dict[str, str]]]) -> dict[str, int]:
    return {row["mrn"]: int(row["treatment_group"]) for row in tables["patients"]}


@pytest.fixture(scope="module")
def procedures(tables: dict[str, list[dict[str, str]]]) -> dict[str, list[tuple[date, str]]]:
    by_mrn: dict[str, list[tuple[date, str]]] = defaultdict(list)
    for row in tables["procedures"]:
        by_mrn[row["mrn"]].append((date.fromisoformat(row["procedure_date"]), row["procedure"]))
    return {mrn: sorted(rows) for mrn, rows in by_mrn.items()}


@pytest.fixture(scope="module")
def visits(tables: dict[str, list[dict[str, str]]]) -> dict[str, dict[str, date]]:
    by_mrn: dict[str, dict[str, date]] = defaultdict(dict)
    for row in tables["questionnaires"]:
        by_mrn[row["mrn"]][row["event"]] = date.fromisoformat(row["assessment_date"])
    return by_mrn


def _half_up(x: float) -> str:
    return str(Decimal(repr(round(x, 9))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _daily_mme(rows: list[dict[str, str]], mrn: str, day: date) -> float:
    return sum(
        float(r["dose"]) * float(r["doses_per_day"]) * MME_FACTORS[r["drug"]]
        for r in rows
        if r["mrn"] == mrn
        and date.fromisoformat(r["start_date"]) <= day
        and (not r["end_date"] or day <= date.fromisoformat(r["end_date"]))
    )


def test_two_calls_write_identical_bytes(tmp_path: Path) -> None:
    first = study.write_demo_exports(tmp_path / "a")
    second = study.write_demo_exports(tmp_path / "b")
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()
        assert len(a.read_bytes()) > 100


def test_rewriting_the_same_folder_is_stable(tmp_path: Path) -> None:
    paths = study.write_demo_exports(tmp_path)
    before = [p.read_bytes() for p in paths]
    study.write_demo_exports(tmp_path)
    assert [p.read_bytes() for p in paths] == before


def test_file_names_and_returned_paths(tmp_path: Path) -> None:
    target = tmp_path / "not" / "yet" / "there"
    paths = study.write_demo_exports(target)
    assert [p.name for p in paths] == list(FILE_NAMES.values())
    assert all(p.parent == target and p.is_file() for p in paths)
    assert sorted(p.name for p in target.iterdir()) == sorted(FILE_NAMES.values())


def test_files_are_utf8_comma_separated_with_exact_headers(landing: Path) -> None:
    for kind, name in FILE_NAMES.items():
        raw = (landing / name).read_bytes()
        text = raw.decode("utf-8")
        assert "\r" not in text
        header = text.splitlines()[0].split(",")
        # every column the source knows, once each (the demo clinic orders them its own way)
        assert sorted(header) == sorted(SOURCE_SPECS[kind].columns)
        rows = list(csv.reader(text.splitlines()))
        assert all(len(row) == len(header) for row in rows)


def test_twenty_female_patients_with_sequential_mrns(tables: dict) -> None:
    patients = tables["patients"]
    assert [p["mrn"] for p in patients] == [f"D{k:03d}" for k in range(1, 21)]
    assert {p["sex"] for p in patients} == {"female"}
    assert all(p["first_name"] and p["last_name"] for p in patients)
    assert {p["mastectomy_side"] for p in patients} <= {"left", "right", "bilateral"}
    assert {p["treatment_group"] for p in patients} == {"1", "2"}


def test_sixteen_with_ni_and_four_usgdn_only(groups: dict, procedures: dict) -> None:
    codes = {mrn: {code for _, code in rows} for mrn, rows in procedures.items()}
    assert set(codes) == set(groups)
    with_ni = {mrn for mrn, c in codes.items() if c & NI_CODES}
    usgdn_only = {mrn for mrn, c in codes.items() if c == {"usgdn"}}
    assert len(with_ni) == 16
    assert len(usgdn_only) == 4
    assert with_ni == {mrn for mrn, g in groups.items() if g == 1}
    assert usgdn_only == {mrn for mrn, g in groups.items() if g == 2}
    assert all("usgdn" in c for c in codes.values())
    used_ni = set().union(*(c & NI_CODES for c in codes.values()))
    assert used_ni == NI_CODES


def test_procedure_sequences_follow_the_pathways(groups: dict, procedures: dict) -> None:
    for mrn, rows in procedures.items():
        ni = [day for day, code in rows if code in NI_CODES]
        usgdn = [day for day, code in rows if code == "usgdn"]
        assert 4 <= len(usgdn) <= 8, mrn
        assert all(b - a == timedelta(days=7) for a, b in pairwise(usgdn)), mrn
        if groups[mrn] == 1:
            assert 1 <= len(ni) <= 2, mrn
            assert usgdn[0] - ni[-1] >= timedelta(days=10), mrn
        else:
            assert ni == [], mrn


def test_patient_ages_and_mastectomy_timing(tables: dict, procedures: dict) -> None:
    for patient in tables["patients"]:
        index = procedures[patient["mrn"]][0][0]
        born = date.fromisoformat(patient["date_of_birth"])
        age = index.year - born.year - ((index.month, index.day) < (born.month, born.day))
        assert 35 <= age <= 75, patient["mrn"]
        gap_days = (index - date.fromisoformat(patient["mastectomy_date"])).days
        assert 6 * 30 <= gap_days <= 60 * 31, patient["mrn"]


def test_one_questionnaire_per_patient_and_visit(groups: dict, tables: dict) -> None:
    keys = [(row["mrn"], row["event"]) for row in tables["questionnaires"]]
    assert len(keys) == len(set(keys)) == 16 * 3 + 4 * 2
    for mrn, group in groups.items():
        assert sorted(e for m, e in keys if m == mrn) == sorted(EVENTS[group]), mrn


def test_visit_dates_relative_to_procedures(groups: dict, procedures: dict, visits: dict) -> None:
    for mrn, rows in procedures.items():
        first = rows[0][0]
        usgdn = [day for day, code in rows if code == "usgdn"]
        assert timedelta(0) <= first - visits[mrn]["BASELINE"] <= timedelta(days=7), mrn
        assert visits[mrn]["POST_USGDN"] == usgdn[-1] + timedelta(days=7), mrn
        if groups[mrn] == 1:
            last_ni = max(day for day, code in rows if code in NI_CODES)
            assert visits[mrn]["POST_NI"] == last_ni + timedelta(days=7), mrn
            assert visits[mrn]["POST_NI"] < usgdn[0], mrn


def test_every_item_inside_its_valid_set(tables: dict) -> None:
    valid = {"nrs": range(0, 11), "pd_pattern": range(1, 5), "pd_radiating": range(0, 2)}
    valid |= {f"pd_{k}": range(0, 6) for k in range(1, 8)}
    valid |= {f"dash_{k}": range(1, 6) for k in range(1, 31)}
    valid |= {f"phq9_{k}": range(0, 4) for k in range(1, 10)}
    for row in tables["questionnaires"]:
        assert row["event"] in {"BASELINE", "POST_NI", "POST_USGDN"}
        for item, allowed in valid.items():
            assert row[item].isdigit() and int(row[item]) in allowed, (row["mrn"], item)


def test_clinic_totals_agree_with_items(tables: dict) -> None:
    for row in tables["questionnaires"]:
        pd_total = (
            sum(int(row[f"pd_{k}"]) for k in range(1, 8))
            + PATTERN_SCORE[int(row["pd_pattern"])]
            + 2 * int(row["pd_radiating"])
        )
        dash_mean = statistics.fmean(int(row[f"dash_{k}"]) for k in range(1, 31))
        assert int(row["pd_total"]) == pd_total
        assert row["dash_score"] == f"{(dash_mean - 1) * 25:.2f}"
        assert int(row["phq9_total"]) == sum(int(row[f"phq9_{k}"]) for k in range(1, 10))


def test_scores_from_written_items_reproduce_published_table(groups: dict, tables: dict) -> None:
    scores: dict[tuple[int, str, str], list[float]] = defaultdict(list)
    for row in tables["questionnaires"]:
        key = (groups[row["mrn"]], row["event"])
        scores[(*key, "NRS")].append(int(row["nrs"]))
        scores[(*key, "PAINDETECT")].append(int(row["pd_total"]))
        dash_mean = statistics.fmean(int(row[f"dash_{k}"]) for k in range(1, 31))
        scores[(*key, "DASH")].append((dash_mean - 1) * 25)
    for (group, param), cells in PUBLISHED.items():
        got = [
            f"{_half_up(statistics.mean(v))} ({_half_up(statistics.stdev(v))})"
            for v in (scores[(group, event, param)] for event in EVENTS[group])
        ]
        assert got == cells, (group, param)


def test_phq9_moderate_at_baseline_and_lower_after_usgdn(groups: dict, tables: dict) -> None:
    by_visit: dict[tuple[int, str], list[int]] = defaultdict(list)
    for row in tables["questionnaires"]:
        by_visit[(groups[row["mrn"]], row["event"])].append(int(row["phq9_total"]))
    for group in (1, 2):
        baseline = statistics.mean(by_visit[(group, "BASELINE")])
        after = statistics.mean(by_visit[(group, "POST_USGDN")])
        assert 10 <= baseline <= 15
        assert 4 <= after <= 8
    post_ni = statistics.mean(by_visit[(1, "POST_NI")])
    assert abs(post_ni - statistics.mean(by_visit[(1, "BASELINE")])) < 2


def test_no_date_after_the_export_date(tables: dict) -> None:
    columns = {
        "patients": ("date_of_birth", "mastectomy_date"),
        "procedures": ("procedure_date",),
        "questionnaires": ("assessment_date",),
        "medications": ("start_date", "end_date"),
    }
    seen = 0
    for kind, names in columns.items():
        for row in tables[kind]:
            for name in names:
                if row[name]:
                    assert date.fromisoformat(row[name]) <= EXPORT_DATE, (kind, row)
                    seen += 1
    assert seen > 200


def test_medication_rows_are_consistent(tables: dict) -> None:
    for row in tables["medications"]:
        assert row["drug"] in MME_FACTORS
        if row["drug"] == "fentanyl":
            assert (row["unit"], row["route"], row["doses_per_day"]) == (
                "mcg/h",
                "transdermal",
                "1",
            )
        else:
            assert (row["unit"], row["route"]) == ("mg", "oral")
        assert float(row["dose"]) > 0 and int(row["doses_per_day"]) >= 1
        if row["end_date"]:
            assert row["start_date"] <= row["end_date"]


def test_opioid_use_falls_only_after_usgdn(groups: dict, tables: dict, visits: dict) -> None:
    meds = tables["medications"]
    never = [mrn for mrn in groups if not any(r["mrn"] == mrn for r in meds)]
    assert 1 <= len(never) <= 2
    opioid_free_after = 0
    for mrn, group in groups.items():
        if mrn in never:
            continue
        baseline = _daily_mme(meds, mrn, visits[mrn]["BASELINE"])
        after = _daily_mme(meds, mrn, visits[mrn]["POST_USGDN"])
        assert 20 <= baseline <= 120, mrn
        if group == 1:
            assert _daily_mme(meds, mrn, visits[mrn]["POST_NI"]) == baseline, mrn
        assert after < baseline, mrn
        opioid_free_after += after == 0
        first_start = min(r["start_date"] for r in meds if r["mrn"] == mrn)
        assert date.fromisoformat(first_start) < visits[mrn]["BASELINE"], mrn
    assert 2 <= opioid_free_after <= 6


def test_format_mean_sd_rounds_half_away_from_zero() -> None:
    assert score_search.format_mean_sd([1, 1, 1, 2]) == "1.3 (0.5)"
    assert score_search.format_mean_sd([10, 8, 7, 6]) == "7.8 (1.7)"
    assert score_search.format_mean_sd([0, 0]) == "0.0 (0.0)"


def test_embedded_score_table_hits_published_table() -> None:
    for (group, param), cells in PUBLISHED.items():
        rows = cohort.SCORE_TABLE[group][param]
        assert len(rows) == cohort.GROUP_SIZES[group]
        step = score_search.SCALES[param].step
        for k, cell in enumerate(cells):
            values = [row[k] * step for row in rows]
            assert score_search.format_mean_sd(values) == cell, (group, param)
            target = tuple(cell.rstrip(")").split(" ("))
            assert score_search.hits_target([row[k] * step for row in rows], target)


def test_embedded_trajectories_fall_over_visits() -> None:
    for group, params in cohort.SCORE_TABLE.items():
        for param, rows in params.items():
            scale = score_search.SCALES[param]
            for row in rows:
                assert all(scale.low <= v <= scale.high for v in row), (group, param)
                assert all(a > b for a, b in pairwise(row)), (group, param, row)


@pytest.mark.parametrize("group", [1, 2])
@pytest.mark.parametrize("param", ["NRS", "PAINDETECT", "DASH"])
def test_search_reproduces_embedded_table(group: int, param: str) -> None:
    assert score_search.search_score_table(group, param) == cohort.SCORE_TABLE[group][param]


def test_search_with_another_seed_still_hits_targets() -> None:
    rows = score_search.search_score_table(2, "PAINDETECT", seed=7)
    assert [score_search.format_mean_sd([row[k] for row in rows]) for k in range(2)] == [
        "20.0 (8.0)",
        "6.0 (1.6)",
    ]
