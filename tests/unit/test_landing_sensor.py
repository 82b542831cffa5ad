"""The landing sensor and the nightly schedule, evaluated by Dagster on real folders: a run
when a file with new bytes arrives, its run key and cursor worked out here from the files'
sha256; nothing for an unchanged folder, a re-delivered copy, a hidden file or a sub-folder."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import dagster as dg
import pytest

from pipelines.defs.resources import PmpsSettings
from pipelines.defs.schedules import nightly_schedule
from pipelines.defs.sensors import landing_folder_sensor
from tests.e2e.landing_builders import add_second_delivery, build_first_landing

PATIENTS = b"mrn,first_name,last_name,sex,date_of_birth\nA101,Ann,Lee,F,1960-05-10\n"
NEWER_PATIENTS = PATIENTS + b"A102,Bea,Kim,F,1970-03-03\n"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def run_key(*contents: bytes) -> str:
    """The run key for files with these bytes: the first 32 hex digits of the sha256 of their
    sorted sha256s joined by commas."""
    joined = ",".join(sorted(sha(content) for content in contents))
    return hashlib.sha256(joined.encode()).hexdigest()[:32]


def evaluate(pmps: PmpsSettings, cursor: str | None = None):
    """One evaluation of the sensor as the daemon runs it: the result and the cursor after."""
    with dg.build_sensor_context(cursor=cursor, resources={"pmps": pmps}) as context:
        result = landing_folder_sensor(context)
        return result, context.cursor


@pytest.fixture
def landing(tmp_path) -> Path:
    folder = tmp_path / "landing"
    folder.mkdir()
    return folder


@pytest.fixture
def pmps(tmp_path, landing) -> PmpsSettings:
    """The settings as a deployment gives them: a configuration file naming the landing
    folder (the resource's fields left unset)."""
    config = tmp_path / "pmps.yaml"
    config.write_text(f"landing_dir: {landing}\nwarehouse_dir: {tmp_path / 'warehouse'}\n",
                      encoding="utf-8")
    return PmpsSettings(config_file=str(config))


def test_no_landing_folder_is_a_skip_that_names_it(tmp_path):
    missing = tmp_path / "not_there"
    result, cursor = evaluate(PmpsSettings(config_file=None, landing_dir=str(missing),
                                           warehouse_dir=str(tmp_path / "warehouse")))
    assert isinstance(result, dg.SkipReason)
    assert result.skip_message == f"landing folder {missing} does not exist"
    assert cursor is None


def test_an_empty_folder_is_a_skip(pmps):
    result, cursor = evaluate(pmps)
    assert isinstance(result, dg.SkipReason)
    assert result.skip_message == "no new or changed files"
    assert cursor is None


def test_a_new_export_is_a_run_keyed_by_its_bytes(pmps, landing):
    (landing / "patients_alpha_20261120.csv").write_bytes(PATIENTS)
    result, cursor = evaluate(pmps)
    assert isinstance(result, dg.RunRequest)
    assert result.run_key == run_key(PATIENTS)
    assert result.tags == {"pmps/new_files": "1"}
    assert json.loads(cursor) == [sha(PATIENTS)]


def test_a_cursor_that_saw_the_file_is_a_skip_and_stays(pmps, landing):
    (landing / "patients_alpha_20261120.csv").write_bytes(PATIENTS)
    seen = json.dumps([sha(PATIENTS)])
    result, cursor = evaluate(pmps, seen)
    assert isinstance(result, dg.SkipReason)
    assert result.skip_message == "no new or changed files"
    assert cursor == seen


def test_the_same_bytes_under_another_name_hidden_files_and_sub_folders_start_nothing(
        pmps, landing):
    (landing / "patients_alpha_20261120.csv").write_bytes(PATIENTS)
    (landing / "patients_alpha_20261126.csv").write_bytes(PATIENTS)  # re-delivered
    (landing / ".patients_alpha_20261127.csv").write_bytes(NEWER_PATIENTS)
    (landing / "archive").mkdir()
    (landing / "archive" / "patients_alpha_20261128.csv").write_bytes(NEWER_PATIENTS)
    result, _ = evaluate(pmps, json.dumps([sha(PATIENTS)]))
    assert isinstance(result, dg.SkipReason)


def test_a_re_export_with_new_bytes_is_a_run_for_those_bytes_only(pmps, landing):
    (landing / "patients_alpha_20261120.csv").write_bytes(PATIENTS)
    first, cursor = evaluate(pmps)
    (landing / "patients_alpha_20261121.csv").write_bytes(NEWER_PATIENTS)
    second, cursor = evaluate(pmps, cursor)
    assert isinstance(second, dg.RunRequest)
    assert second.run_key == run_key(NEWER_PATIENTS) != first.run_key
    assert second.tags == {"pmps/new_files": "1"}
    assert json.loads(cursor) == sorted([sha(PATIENTS), sha(NEWER_PATIENTS)])
    third, after = evaluate(pmps, cursor)  # the next tick: nothing new
    assert isinstance(third, dg.SkipReason)
    assert after == cursor


def test_the_run_key_does_not_depend_on_the_order_files_arrive_in(tmp_path):
    """Two folders with the same two exports, written in the opposite order and names."""
    keys = []
    for order, folder in ((("a", "b"), tmp_path / "one"), (("b", "a"), tmp_path / "two")):
        folder.mkdir()
        for number, which in enumerate(order):
            content = PATIENTS if which == "a" else NEWER_PATIENTS
            (folder / f"patients_site{number}_20261120.csv").write_bytes(content)
        result, _ = evaluate(PmpsSettings(landing_dir=str(folder),
                                          warehouse_dir=str(tmp_path / "warehouse")))
        keys.append(result.run_key)
    assert keys == [run_key(PATIENTS, NEWER_PATIENTS)] * 2


def test_two_deliveries_of_the_bad_input_folder(pmps, landing, tmp_path):
    """The first delivery's landing folder (tests/e2e/landing_builders.py) has 14 regular files
    at its top: the symbolic link, the hidden file and the archive folder's file are not
    counted. The second delivery adds 7 files, one a copy of a file already there: 6 new."""
    landing.rmdir()
    build_first_landing(landing, tmp_path / "elsewhere")
    first, cursor = evaluate(pmps)
    assert first.tags == {"pmps/new_files": "14"}
    assert len(json.loads(cursor)) == 14
    add_second_delivery(landing)
    second, cursor = evaluate(pmps, cursor)
    assert second.tags == {"pmps/new_files": "6"}
    assert len(json.loads(cursor)) == 20
    copy = (landing / "questionnaires_alpha_20261126.csv").read_bytes()
    assert sha(copy) in json.loads(cursor)


# ---- the nightly schedule -----------------------------------------------------------------


def test_the_schedule_runs_the_nightly_load_at_two_in_its_time_zone():
    schedule = nightly_schedule("Asia/Kolkata")
    assert (schedule.name, schedule.job_name) == ("nightly_load_schedule", "nightly_load")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 2 * * *", "Asia/Kolkata")
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    at = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))
    tick = schedule.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=at))
    assert len(tick.run_requests) == 1  # one run of the job it names, no run key


def test_the_schedule_is_utc_by_default():
    assert nightly_schedule().execution_timezone == "UTC"
