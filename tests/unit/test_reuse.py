"""The check key of a file (pipelines/ingest/reuse.py): what a file's reuse depends on."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from pipelines.core.config import Config, Limits, SiteConfig
from pipelines.ingest.landing import ExportName, LandingFile
from pipelines.ingest.reuse import check_key

PROJECT = Path(__file__).resolve().parents[2]


def entry(sha256: str | None = "ab" * 32, name: str = "patients_x_20260101.csv") -> LandingFile:
    return LandingFile(name, Path(name), sha256, ExportName("patients", "x", dt.date(2026, 1, 1)))


def config(**site: object) -> Config:
    return Config(Path("landing"), Path("warehouse"), {"x": SiteConfig(**site)})


def test_the_key_follows_the_bytes_the_name_the_site_and_the_limits():
    base = check_key(entry(), config())
    assert base == check_key(entry(), config())
    assert check_key(entry(sha256="cd" * 32), config()) != base
    assert check_key(entry(name="patients_x_20260101.CSV"), config()) != base
    assert check_key(entry(), config(date_format="%d/%m/%Y")) != base
    assert check_key(entry(), config(missing_values=["-99"])) != base
    assert check_key(entry(), config(events={"baseline visit": "BASELINE"})) != base
    limited = dataclasses.replace(config(), limits=Limits(max_rows=10))
    assert check_key(entry(), limited) != base
    # another site's settings are not this file's
    other = Config(Path("landing"), Path("warehouse"), {"x": SiteConfig(),
                                                         "y": SiteConfig(encoding="latin-1")})
    assert check_key(entry(), other) == base


def test_a_file_that_is_never_read_has_no_key():
    assert check_key(entry(sha256=None), config()) is None
    assert check_key(LandingFile("notes.txt", Path("notes.txt"), "ab" * 32, None), config()) is None


def test_the_key_is_the_same_in_every_process():
    """Sets in the settings (missing values) are sorted: string hashing differs between
    processes, and a key that followed it would never be found again."""
    code = ("from tests.unit.test_reuse import config, entry; from pipelines.ingest.reuse "
            "import check_key; print(check_key(entry(), config(missing_values="
            "['-99', 'NA', 'N/A', 'unknown', '.'])))")
    keys = {subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True,
                           text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip()
            for seed in ("1", "2", "3")}
    assert len(keys) == 1 and len(keys.pop()) == 64
