"""The environment variables pmps reads, read in one place (pipelines/core/environment.py)."""

from __future__ import annotations

from pipelines.core.environment import VARIABLES, read_environment


def test_only_the_variables_pmps_reads_and_only_when_set():
    environ = {"PMPS_CONFIG": "a.yaml", "PMPS_ENGINE": "", "HOME": "/root",
               "DAGSTER_HOME": "/srv/dagster"}
    assert read_environment(environ) == {"PMPS_CONFIG": "a.yaml", "DAGSTER_HOME": "/srv/dagster"}


def test_the_process_environment_by_default(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PMPS_LANDING_DIR", "/srv/landing")
    assert read_environment() == {"PMPS_LANDING_DIR": "/srv/landing"}
