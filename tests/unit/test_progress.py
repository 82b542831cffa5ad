"""The load's progress lines (pipelines.defs.progress): every step of the nightly job has a
readable name, the steps that build assets apart from the checks, and dbt's step counts the
models, seeds and tests of dbt's own manifest."""

from __future__ import annotations

import json

from pipelines.definitions import ASSETS, defs
from pipelines.defs import progress
from pipelines.defs.checks import load_checks
from pipelines.defs.project import dbt_project


def test_every_step_of_the_job_has_a_kind_and_a_readable_name() -> None:
    names = progress.step_names(ASSETS, load_checks)
    job = defs().resolve_job_def("nightly_load")
    steps = {node.name for node in job.graph.node_defs}
    assert steps == set(names)
    kinds = {kind for kind, _ in names.values()}
    assert kinds == {"step", "check"}
    assert all("__" not in name and "_" not in name.split(": ")[-1]
               for _, name in names.values())
    assert names["ingest__landing_files"] == ("step", "ingest: landing files")
    assert names["ingest__load_issues_accounting_identity"] == (
        "check", "ingest: load issues, accounting identity")
    assert names["ingest__load_issues_rejected_files_and_rows"] == (
        "check", "ingest: load issues, rejected files and rows")


def test_dbts_step_counts_the_manifests_models_seeds_and_tests() -> None:
    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    kinds = [node["resource_type"] for node in manifest["nodes"].values()]
    built = kinds.count("model") + kinds.count("seed")
    tests = kinds.count("test")  # data tests; dbt's unit tests are kept apart, in unit_tests
    (name,) = [name for kind, name in progress.step_names(ASSETS, load_checks).values()
               if name.startswith("dbt build")]
    assert name == f"dbt build: {built} models and seeds, {tests} tests"


def test_a_line_says_the_kind_then_the_name_and_a_failure_after_it() -> None:
    assert progress.line("step", "ingest: patients") == "  step   ingest: patients"
    assert progress.line("check", "outcomes, publish guard", failed=True) == (
        "  check  outcomes, publish guard  FAILED")
