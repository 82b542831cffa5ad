"""Reusing what unchanged inputs made changes nothing that is published.

The same sequence of landing folders is loaded into two warehouses through the real
`pmps load`: one reuses the checks of files it has seen, the models whose inputs did not
change and the published rows and files that did not change (the default), the other has
`reuse: false` and reads and checks every file from its bytes, builds every model and
publishes everything afresh on every load. After each
load every table of analytics.duckdb, the warehouse's data issues and the summary CSVs are
compared cell by cell, in their published order. The sequence is the four-site sample with its
planted problems, then nothing changed, then its late delivery together with a newer patients
snapshot of site D that drops a patient whose questionnaires are unchanged (their rows become
`unknown_patient`, a check across files that is never reused).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.compare import differences, published_tables
from tests.e2e.harness import MULTISITE, copy_sample_folder, read_table, run_pmps

MODES = ("reused", "rechecked")
DROPPED = "D4001"  # a site D patient with questionnaire rows


def drop_patient(landing: Path) -> str:
    """A newer site D patients snapshot without DROPPED; returns its file name."""
    lines = (landing / "patients_sited_20261121.csv").read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not line.startswith(f"{DROPPED},")]
    assert len(kept) == len(lines) - 1
    name = "patients_sited_20261126.csv"
    (landing / name).write_text("\n".join(kept) + "\n", encoding="utf-8")
    return name


STATES = {
    "the sample": lambda root: copy_sample_folder(MULTISITE / "landing", root / "landing"),
    "nothing changed": lambda root: None,
    "the late delivery, a patient dropped": lambda root: (
        copy_sample_folder(MULTISITE / "late", root / "landing"), drop_patient(root / "landing")),
}


def staged_loaded_files(warehouse: Path) -> dict[str, bool]:
    """For each current file of the warehouse's last load: were its rows read and staged?"""
    files = read_table(warehouse / "warehouse.duckdb",
                       "SELECT file_name, staged_as IS NOT NULL AS staged "
                       "FROM ingest.landing_files WHERE status = 'loaded'")
    return dict(zip(files["file_name"], files["staged"], strict=True))


def published_links(warehouse: Path) -> dict[str, int]:
    """The hard links of each published export file (2: shared with the release before)."""
    published = warehouse / "published"
    return {path.relative_to(published).as_posix(): path.stat().st_nlink
            for path in published.rglob("*") if path.is_file() and path.parent != published}


@pytest.fixture(scope="module")
def loads(tmp_path_factory) -> dict[str, list]:
    root = tmp_path_factory.mktemp("reuse")
    shutil.copytree(MULTISITE / "extra", root / "extra")
    configs = {"reused": MULTISITE / "config.yaml", "rechecked": root / "recheck.yaml"}
    configs["rechecked"].write_text((MULTISITE / "config.yaml").read_text(encoding="utf-8")
                                    + "\nreuse: false\n", encoding="utf-8")
    results: dict[str, list] = {mode: [] for mode in MODES}
    for change in STATES.values():
        change(root)
        for mode in MODES:
            warehouse = root / mode
            run_pmps("load", "--config", str(configs[mode]), "--landing", str(root / "landing"),
                     "--warehouse", str(warehouse), cwd=root)
            results[mode].append((published_tables(warehouse), staged_loaded_files(warehouse),
                                  published_links(warehouse)))
    return results


@pytest.mark.parametrize("number", range(len(STATES)), ids=list(STATES))
def test_reused_checks_publish_what_fresh_checks_publish(loads, number):
    reused, rechecked = loads["reused"][number][0], loads["rechecked"][number][0]
    assert set(reused["load_audit"]["load_id"]) == set(range(1, number + 2))
    assert differences(reused, rechecked) == []


def test_unchanged_files_are_not_read_again(loads):
    """With reuse, the second load (nothing changed) reads no current file; without it,
    every current file is read on every load."""
    assert all(loads["rechecked"][1][1].values())
    first, second = loads["reused"][0][1], loads["reused"][1][1]
    assert all(first.values()) and len(first) > 10
    assert not any(second.values()) and set(second) == set(first)


def test_the_dropped_patient_becomes_unknown_in_an_unchanged_file(loads):
    """The last load's questionnaires of site D are the same bytes as before (their checks
    reused), yet the rows of the patient who left the patients snapshot are now
    unknown_patient."""
    issues = loads["reused"][2][0]["data_issues"]
    assert not loads["reused"][2][1]["questionnaires_sited_20261121.csv"]  # its checks reused

    def unknown(load_id):
        return issues[(issues["load_id"] == load_id) & (issues["rule"] == "unknown_patient")
                      & (issues["value"] == DROPPED)]
    assert unknown(2).empty
    rows = unknown(3)
    assert set(rows["file_name"]) >= {"questionnaires_sited_20261121.csv"}
    assert len(rows) >= 2


def test_unchanged_exports_are_the_files_published_before(loads):
    """Nothing changed: every export of a patients' table is the previous release's file (a
    hard link); the files' accounting (load_audit, its load id) is written anew. Without
    reuse every file is new."""
    links = loads["reused"][1][2]
    for table in ("patients", "outcomes", "questionnaire_items"):
        assert links[f"parquet/{table}.parquet"] == 2
    assert links["spss/outcomes.sav"] == links["stata/outcomes.dta"] == 2
    assert links["parquet/load_audit.parquet"] == 1
    assert set(loads["rechecked"][1][2].values()) == {1}
    # the late delivery changed outcomes: written anew
    assert loads["reused"][2][2]["parquet/outcomes.parquet"] == 1
