"""Run history under dagster_home is kept for the newest runs only (CONTRACT.md section 4)."""

from __future__ import annotations

import dagster as dg

from pipelines.defs.runs import keep_recent_runs


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
