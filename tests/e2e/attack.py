"""Helpers of the reliability tests (privacy, hostile files, concurrent loads, crashes):
the real `pmps` command in a subprocess, a demo cohort with planted identifiers, and what a
reader of the published outputs sees."""

from __future__ import annotations

import hashlib
import os
import re
import sys
from pathlib import Path

import duckdb

from tests.e2e.harness import PSEUDONYM_KEY, run_pmps

DEMO = "20261102"
# Distinctive identifiers planted into the demo cohort's first patient.
SECRETS = {"mrn": "MRNZQ48217", "first_name": "Zyqwuxia", "last_name": "Vrabkowitz",
           "date_of_birth": "1937-03-29", "note": "SECRETNOTE-8842"}


def pmps_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", *args]


def environment(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PMPS_PSEUDONYM_KEY": PSEUDONYM_KEY, **extra}
    for name in ("PMPS_CONFIG", "PMPS_LANDING_DIR", "PMPS_WAREHOUSE_DIR", "DAGSTER_HOME"):
        if name not in extra:
            env.pop(name, None)
    return env


def write_demo(landing: Path) -> None:
    run_pmps("demo", "--landing", str(landing), cwd=landing.parent)


def plant_secrets(landing: Path) -> None:
    """Patient D001 becomes the one with the distinctive identifiers."""
    for path in landing.glob(f"*_demo_{DEMO}.csv"):
        text = path.read_text(encoding="utf-8").replace("D001,", f"{SECRETS['mrn']},")
        if path.name.startswith("patients"):
            lines = text.splitlines()
            cells = lines[1].split(",")
            header = lines[0].split(",")
            for column in ("first_name", "last_name", "date_of_birth"):
                cells[header.index(column)] = SECRETS[column]
            lines[1] = ",".join(cells)
            text = "\n".join(lines) + "\n"
        if path.name.startswith("procedures"):
            lines = text.splitlines()
            lines[1] = ",".join(lines[1].split(",")[:3] + [f"{SECRETS['note']} trigger points"])
            text = "\n".join(lines) + "\n"
        if path.name.startswith("questionnaires"):  # one invalid answer: a data issue a load
            lines = text.splitlines()              # reports, so doubled counts would show
            cells = lines[2].split(",")
            cells[lines[0].split(",").index("nrs")] = "11"
            lines[2] = ",".join(cells)
            text = "\n".join(lines) + "\n"
        path.write_text(text, encoding="utf-8")


def landing_digest(landing: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(landing.iterdir()) if path.is_file()}


def published_load_ids(warehouse: Path) -> tuple[int | None, int | None]:
    """The load id of analytics.duckdb and of report.html, both read from one release (as a
    reader that resolves `current` once does)."""
    release = Path(os.path.realpath(warehouse / "current"))
    con = duckdb.connect(str(release / "analytics.duckdb"), read_only=True)
    try:
        database = con.execute("SELECT max(load_id) FROM load_audit").fetchone()[0]
    finally:
        con.close()
    page = (release / "published" / "report.html").read_text(encoding="utf-8")
    found = re.search(r"Load (\d+)", page)
    return database, int(found.group(1)) if found else None


