"""After a publish: `pmps issues` shows the published load by default, a clean load
included, and a dashboard holding the published analytics.duckdb open read-write (DuckDB's
default) blocks no later load, while the publish guard still holds back a big drop."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import duckdb
import pytest

from tests.e2e.harness import LoadedWarehouse, run_pmps

DEMO = "20261102"
# One procedure of a patient no site has: exactly one issue, unknown_patient, at row 1.
STRAY = f"procedures_elsewhere_{DEMO}.csv"
STRAY_TEXT = "mrn,procedure_date,procedure\nX001,2025-01-13,usgdn\n"
# A later patients export of the demo site that lost half of its patients.
SHRUNK = "patients_demo_20261103.csv"


def load_args(warehouse: LoadedWarehouse) -> tuple[str, ...]:
    return ("load", "--landing", str(warehouse.landing), "--warehouse", str(warehouse.warehouse))


def published_release(warehouse: Path) -> Path:
    """The release folder a reader opening the outputs now reaches."""
    return Path(os.path.realpath(warehouse / "current"))


def usgdn_patients(landing: Path, mrns: list[str]) -> int:
    """Patients among ``mrns`` with a USGDN session in the demo procedures: the analysis
    population (docs/scoring.md#9-treatment-groups: no USGDN, outside the analysis), worked out
    from the files."""
    with (landing / f"procedures_demo_{DEMO}.csv").open(newline="") as file:
        treated = {row["mrn"] for row in csv.DictReader(file) if row["procedure"] == "usgdn"}
    return len(set(mrns) & treated)


@pytest.fixture(scope="module")
def issues_then_clean(tmp_path_factory) -> LoadedWarehouse:
    """The demo cohort with one stray bad row (load 1), then without it (load 2, clean)."""
    root = tmp_path_factory.mktemp("published")
    landing, warehouse = root / "landing", root / "warehouse"
    run_pmps("demo", "--landing", str(landing), cwd=root)
    (landing / STRAY).write_text(STRAY_TEXT, encoding="utf-8")
    loaded = LoadedWarehouse(root, landing, warehouse, [])
    loaded.outputs.append(run_pmps(*load_args(loaded), cwd=root))
    (landing / STRAY).unlink()
    loaded.outputs.append(run_pmps(*load_args(loaded), cwd=root))
    return loaded


def test_issues_before_any_load_say_none_has_published(tmp_path):
    result = run_pmps("issues", "--warehouse", str(tmp_path / "warehouse"), cwd=tmp_path,
                      check=False)
    assert result.returncode == 1
    assert "no load has published" in result.stderr
    assert result.stdout == ""


def test_issues_after_a_clean_first_load(demo_load):
    result = run_pmps("issues", "--warehouse", str(demo_load.warehouse), cwd=demo_load.root)
    assert result.stdout == "load 1: 0 issue(s)\n"
    assert (demo_load.warehouse / "data_issues.duckdb").is_file()


def test_issues_show_the_published_clean_load_not_the_last_with_issues(issues_then_clean):
    warehouse, root = str(issues_then_clean.warehouse), issues_then_clean.root
    with_issue, clean = (output.stdout for output in issues_then_clean.outputs)
    assert "issues by rule: unknown_patient 1" in with_issue
    assert "load 2: 4 loaded" in clean and "issues by rule" not in clean
    latest = run_pmps("issues", "--warehouse", warehouse, cwd=root)
    assert latest.returncode == 0
    assert latest.stdout == "load 2: 0 issue(s)\n"
    first = run_pmps("issues", "--warehouse", warehouse, "--load", "1", cwd=root).stdout
    lines = first.splitlines()
    assert lines[0] == "load 1: 1 issue(s)"
    assert lines[1].startswith(f"{STRAY} row 1 ") and ": unknown_patient value 'X001'" in lines[1]


def test_a_reader_holding_analytics_read_write_blocks_no_load(issues_then_clean):
    """A dashboard opens analytics.duckdb as DuckDB does by default, read-write, and keeps
    it: the next load publishes, and the guard, comparing with the published population,
    still holds back a load that loses half of the patients."""
    loaded = issues_then_clean
    args = load_args(loaded)
    dashboard = duckdb.connect(str(loaded.analytics))  # read-write: it holds the file's lock
    second = None
    try:
        assert dashboard.execute("SELECT max(load_id) FROM load_audit").fetchone()[0] == 2
        third = run_pmps(*args, cwd=loaded.root, check=False)
        assert third.returncode == 0, third.stderr
        assert "load 3: 4 loaded" in third.stdout  # its closing summary, read all the same
        assert published_release(loaded.warehouse).name == "3"
        # a reader that opens analytics.duckdb now reaches load 3's release, and keeps it
        second = duckdb.connect(str(published_release(loaded.warehouse) / "analytics.duckdb"))
        assert second.execute("SELECT max(load_id) FROM load_audit").fetchone()[0] == 3

        patients = (loaded.landing / f"patients_demo_{DEMO}.csv").read_text(
            encoding="utf-8").splitlines()
        all_mrns = [line.split(",")[0] for line in patients[1:]]
        kept = len(all_mrns) // 2
        (loaded.landing / SHRUNK).write_text("\n".join(patients[:1 + kept]) + "\n",
                                             encoding="utf-8")
        before = usgdn_patients(loaded.landing, all_mrns)
        after = usgdn_patients(loaded.landing, all_mrns[:kept])
        assert before == 20 and after == 10  # more than the default 20% lost
        held = run_pmps(*args, cwd=loaded.root, check=False)
        assert held.returncode == 1
        assert f"from {before} to {after} patients" in held.stderr
        assert "IO Error" not in held.stderr + held.stdout
        assert published_release(loaded.warehouse).name == "3"  # nothing published
        assert second.execute("SELECT count(*) FROM patients WHERE in_analysis"
                              ).fetchone()[0] == before
    finally:
        dashboard.close()
        if second is not None:
            second.close()
