"""Run history under dagster_home is kept for the newest runs only (docs/tables.md#3-privacy);
a failed load names the dbt nodes that failed."""

from __future__ import annotations

import json

import dagster as dg

from pipelines.operations.history import keep_recent_runs
from pipelines.operations.outcome import dbt_failures


@dg.op
def nothing() -> None:
    pass


@dg.job
def small_job() -> None:
    nothing()


def test_only_the_newest_runs_are_kept(tmp_path):
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        runs = [small_job.execute_in_process(instance=instance).run_id for _ in range(4)]
        assert keep_recent_runs(instance, kept=2) == 2
        kept = [record.dagster_run.run_id for record in instance.get_run_records()]
        assert kept == runs[:1:-1]  # the two newest, newest first
        assert not instance.all_logs(runs[0])  # their events went with them
        assert keep_recent_runs(instance, kept=2) == 0


def test_a_failed_dbt_build_is_told_from_its_run_results(tmp_path):
    (tmp_path / "run_results.json").write_text(json.dumps({"results": [
        {"unique_id": "model.pmps.scores", "status": "success", "message": "OK"},
        {"unique_id": "test.pmps.not_null_scores_value", "status": "fail",
         "message": "Got 3 results,\n configured to fail if != 0"},
        {"unique_id": "model.pmps.changes", "status": "error", "message": None},
        {"unique_id": "model.pmps.baselines", "status": "skipped", "message": ""},
    ]}), encoding="utf-8")
    assert dbt_failures(tmp_path) == [
        "test.pmps.not_null_scores_value: fail: Got 3 results, configured to fail if != 0",
        "model.pmps.changes: error: "]
    assert dbt_failures(tmp_path / "missing") == []
