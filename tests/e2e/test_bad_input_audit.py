"""Bad input end to end, the files and the loads: load_audit's row for every file of the
bad-input landing folder (tests/e2e/bad_input.py) in each of its three loads; the same folder
loaded again gives the same tables; the landing folder is never changed; a configuration that
is not valid stops the load before anything is read.

Every expected value below is worked out by hand from the planted files and the contract.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from tests.e2e.bad_input import (
    FILES,
    MA,
    MB,
    PA,
    PB1,
    PB2,
    PRA,
    PRB,
    QA,
    QB,
    REJECTED_FILES,
    Loads,
    landing_state,
    sort_rows,
    value,
)
from tests.e2e.harness import run_pmps
from tests.e2e.landing_builders import BETA_CONFIG, build_first_landing

REJECTED_FILE_AUDIT = {name: ("rejected", 0, 0, 0) for name, *_ in REJECTED_FILES}
# file -> (status, rows_read, rows_loaded, rows_rejected)
EXPECTED_AUDIT = {
    1: {
        PA: ("loaded", 11, 6, 5),  # rejected 5, 6, 10, 11, 12; the copy (8) counts as loaded
        PRA: ("loaded", 17, 11, 6),  # rejected 7, 9, 10, 14, 15, 16; row 18 is empty
        QA: ("loaded", 19, 11, 8),  # rejected 8, 9, 10, 14, 15, 16, 17, 18
        MA: ("loaded", 15, 5, 10),  # loaded 1, 3, 9, 10, 11
        PB1: ("loaded", 4, 4, 0),
        PRB: ("loaded", 7, 6, 1),  # the empty row is not counted
        QB: ("loaded", 13, 10, 3),
        MB: ("loaded", 3, 3, 0),
        "medications_beta_20261101.csv": ("superseded", 0, 0, 0),
        **REJECTED_FILE_AUDIT,
    },
    2: {
        PA: ("loaded", 11, 6, 5),
        PRA: ("loaded", 17, 11, 6),
        QA: ("loaded", 19, 11, 8),
        MA: ("loaded", 15, 5, 10),
        PB1: ("superseded", 0, 0, 0),
        PB2: ("loaded", 3, 3, 0),
        PRB: ("loaded", 7, 5, 2),
        QB: ("loaded", 13, 8, 5),
        MB: ("loaded", 3, 2, 1),
        "medications_beta_20261101.csv": ("superseded", 0, 0, 0),
        "medications_beta_20261101.xlsx": ("rejected", 1, 0, 1),
        **REJECTED_FILE_AUDIT,
        "questionnaires_alpha_20261126.csv": ("duplicate_file", 0, 0, 0),
        "procedures_alpha_20261001.csv": ("superseded", 0, 0, 0),
        "Medications_ALPHA_20261120.csv": ("rejected", 2, 0, 2),
        "procedures_beta_20261130.csv": ("rejected", 1, 0, 1),
        "Procedures_Beta_20261130.csv": ("rejected", 2, 0, 2),
    },
}
EXPECTED_AUDIT[3] = EXPECTED_AUDIT[2]

PUBLISHED = ["patients", "outcomes", "questionnaire_items", "group_summary", "change_summary",
             "responder_summary"]


@pytest.fixture(scope="module")
def loads(bad_input_loads) -> Loads:
    """The three loads the bad-input files share (tests/e2e/conftest.py)."""
    return bad_input_loads


# --- load_audit ----------------------------------------------------------------------------

def audit_rows(loads: Loads, load: int) -> dict[str, dict]:
    audit = loads.table("load_audit")
    rows = audit[audit["load_id"] == load].to_dict("records")
    assert len(rows) == len({r["file_name"] for r in rows}), "one row per file"
    return {r["file_name"]: r for r in rows}


@pytest.mark.parametrize("load, file_name", [
    pytest.param(load, name, id=f"{load}-{name}")
    for load in (1, 2, 3) for name in EXPECTED_AUDIT[load]])
def test_load_audit_row(loads, load, file_name):
    row = audit_rows(loads, load)[file_name]
    status, read, loaded, rejected = EXPECTED_AUDIT[load][file_name]
    assert (row["status"], row["rows_read"], row["rows_loaded"], row["rows_rejected"]) == (
        status, read, loaded, rejected)
    naming = FILES[file_name] or (None, None, None)
    export_date = value(row["export_date"])
    assert (value(row["source"]), value(row["site"]),
            None if export_date is None else str(export_date)[:10]) == naming
    if status == "loaded":
        assert row["rows_read"] == row["rows_loaded"] + row["rows_rejected"]


@pytest.mark.parametrize("load", [1, 2, 3])
def test_load_audit_lists_every_file_once_and_ignores_hidden_and_sub_folder(loads, load):
    assert set(audit_rows(loads, load)) == set(EXPECTED_AUDIT[load])


def test_sha256_of_every_regular_file_and_null_for_the_link(loads):
    rows = audit_rows(loads, 3)
    for name, row in rows.items():
        path = loads.landing / name
        if path.is_symlink():
            assert value(row["sha256"]) is None, name
        else:
            assert row["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest(), name
    assert value(rows["patients_alpha_20261121.csv"]["sha256"]) is None


def test_load_ids_rise_from_one(loads):
    assert sorted(loads.table("load_audit")["load_id"].unique().tolist()) == [1, 2, 3]


# --- the same folder twice, and the landing folder untouched --------------------------------


@pytest.mark.parametrize("table", PUBLISHED)
def test_loading_the_same_folder_again_gives_the_same_table(loads, table):
    pd.testing.assert_frame_equal(sort_rows(loads.table(table, 2)),
                                  sort_rows(loads.table(table, 3)))


def test_loading_the_same_folder_again_gives_the_same_audit_issues_and_quality(loads):
    def of_load(frame: pd.DataFrame, load: int, drop: list[str]) -> pd.DataFrame:
        return sort_rows(frame[frame["load_id"] == load].drop(columns=drop))

    audit = loads.table("load_audit")
    pd.testing.assert_frame_equal(of_load(audit, 2, ["load_id", "loaded_at"]),
                                  of_load(audit, 3, ["load_id", "loaded_at"]))
    quality = loads.table("data_quality")
    pd.testing.assert_frame_equal(of_load(quality, 2, ["load_id"]),
                                  of_load(quality, 3, ["load_id"]))
    issues = loads.issues()
    pd.testing.assert_frame_equal(of_load(issues, 2, ["load_id"]),
                                  of_load(issues, 3, ["load_id"]))


@pytest.mark.parametrize("before, after", [("before 1", "after 1"), ("before 2", "after 3")])
def test_landing_folder_bytes_and_mtimes_are_unchanged(loads, before, after):
    assert loads.states[after] == loads.states[before]


def test_loads_exit_zero_with_rejected_rows_and_files(loads):
    assert [o.returncode for o in loads.outputs] == [0, 0, 0]


# --- a configuration that is not valid -------------------------------------------------------

BAD_CONFIGS = {
    "unknown site key": (BETA_CONFIG.replace("encoding:", "encodings:"), "encodings"),
    "unknown top-level key": ("landing_folder: somewhere\n" + BETA_CONFIG, "landing_folder"),
    "unknown visit code in events": (
        BETA_CONFIG.replace('"Pre-treatment": BASELINE', '"Pre-treatment": PRE_OP'), "PRE_OP"),
    "bad YAML": (BETA_CONFIG.replace('"Record ID": mrn', '"Record ID: [mrn'), "yaml"),
}


@pytest.fixture(scope="module")
def bad_config_runs(tmp_path_factory) -> dict[str, tuple]:
    """Each invalid configuration tried once on a full landing folder, all at the same time."""

    def attempt(what: str) -> tuple:
        root = tmp_path_factory.mktemp("bad_config")
        landing, warehouse, config = root / "landing", root / "warehouse", root / "c.yaml"
        build_first_landing(landing, root / "elsewhere")
        config.write_text(BAD_CONFIGS[what][0], encoding="utf-8")
        before = landing_state(landing)
        result = run_pmps("load", "--config", str(config), "--landing", str(landing),
                          "--warehouse", str(warehouse), cwd=root, check=False)
        return result, warehouse, before, landing_state(landing)

    with ThreadPoolExecutor(max_workers=len(BAD_CONFIGS)) as pool:
        return dict(zip(BAD_CONFIGS, pool.map(attempt, BAD_CONFIGS), strict=True))


@pytest.mark.parametrize("what", list(BAD_CONFIGS))
def test_invalid_config_stops_the_load_before_anything_is_read(bad_config_runs, what):
    result, warehouse, before, after = bad_config_runs[what]
    assert result.returncode != 0, what
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert BAD_CONFIGS[what][1].lower() in lines[0].lower(), lines[0]
    assert not warehouse.exists() or list(warehouse.iterdir()) == [], what
    assert after == before
