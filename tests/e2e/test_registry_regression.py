"""A generated registry of 2 000 patients with planted faults, loaded twice through the real
`pmps load` (the second time after one site's questionnaires snapshot changed), must publish
what the pipeline published before its data path moved to Arrow and DuckDB, cell by cell
(tests/e2e/recorded/registry_2000, see its README). It also runs the scale path in CI."""

from __future__ import annotations

import pytest

from pipelines.demo.registry import write_changed_snapshot
from tests.e2e.harness import run_pmps
from tests.e2e.regression import PATIENTS, RECORDED, SEED, differences, load, snapshot


@pytest.fixture(scope="module")
def registry_loads(tmp_path_factory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("registry")
    landing, warehouse = root / "landing", root / "warehouse"
    run_pmps("demo", "--landing", str(landing), "--patients", str(PATIENTS), "--seed",
             str(SEED), "--faults", cwd=root)
    run_pmps("load", "--landing", str(landing), "--warehouse", str(warehouse), cwd=root)
    first = snapshot(warehouse)
    write_changed_snapshot(landing, PATIENTS, seed=SEED)
    run_pmps("load", "--landing", str(landing), "--warehouse", str(warehouse), cwd=root)
    return {"load_1": first, "load_2": snapshot(warehouse)}


# The report's tables whose layout is as recorded; the study flow, group summary, change,
# responder and data-quality tables were laid out anew for their readers (visits by their
# names, among others); their numbers are compared in the tables above.
REPORT_TABLES_AS_RECORDED = ["load-files"]


def report_cells(frame, table_ids):
    return frame[frame["table"].isin(table_ids)].reset_index(drop=True)


@pytest.mark.parametrize("load_name", ["load_1", "load_2"])
def test_every_published_table_is_as_recorded(registry_loads, load_name):
    found, recorded = registry_loads[load_name], load(RECORDED / load_name)
    assert set(recorded) <= set(found)  # tables may be added, never lost
    for tables in (found, recorded):
        tables["report_tables"] = report_cells(tables["report_tables"],
                                               REPORT_TABLES_AS_RECORDED)
    assert len(recorded["report_tables"]) > 10
    problems = [problem for name in recorded
                for problem in differences(found[name], recorded[name], name)]
    assert problems == []


def test_the_recording_covers_every_rule_planted(registry_loads):
    """The comparison is only as good as the problems the registry holds."""
    rules = set(registry_loads["load_2"]["data_quality"]["rule"])
    assert rules >= {
        "bad_file_name", "missing_columns", "empty_snapshot", "missing_key", "bad_date",
        "date_in_future", "unknown_event", "unknown_procedure", "bad_dose", "end_before_start",
        "no_conversion_factor", "duplicate_conflict", "unknown_patient", "out_of_range",
        "bad_value", "duplicate_identical", "total_mismatch", "group_mismatch",
        "unknown_column"}
    statuses = set(registry_loads["load_2"]["load_audit"]["status"])
    assert statuses == {"loaded", "superseded", "duplicate_file", "rejected"}
