"""The end-to-end tests' harness: the real `pmps` command run in a subprocess, tables read
back from the DuckDB files it writes, and the sample folders copied into temporary landings."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
# A four-site cohort with problems planted on purpose and the tables a load must publish from
# it (tests/fixtures/multisite/README.md).
MULTISITE = FIXTURES / "multisite"
# The output side's shape check (tables, columns, files, no dates), independent of the code.
CONTRACT_CHECK = FIXTURES / "check_contract.py"
PSEUDONYM_KEY = "test-pseudonym-key"


def run_pmps(*args: str, cwd: Path, env: dict[str, str] | None = None,
             check: bool = True) -> subprocess.CompletedProcess:
    """Run the real `pmps` command in a subprocess, as a user would."""
    environment = {**os.environ, "PMPS_PSEUDONYM_KEY": PSEUDONYM_KEY, **(env or {})}
    for name in ("PMPS_CONFIG", "PMPS_LANDING_DIR", "PMPS_WAREHOUSE_DIR"):
        if env is None or name not in env:
            environment.pop(name, None)
    result = subprocess.run([sys.executable, "-m", "pipelines.cli", *args], cwd=cwd,
                            env=environment, capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"pmps {' '.join(args)} exited {result.returncode}\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def read_table(database: Path, query: str) -> pd.DataFrame:
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute(query).df()
    finally:
        con.close()


@dataclass
class LoadedWarehouse:
    root: Path
    landing: Path
    warehouse: Path
    outputs: list[subprocess.CompletedProcess]

    @property
    def analytics(self) -> Path:
        return self.warehouse / "analytics.duckdb"

    def table(self, name: str) -> pd.DataFrame:
        return read_table(self.analytics, f"SELECT * FROM {name}")


def copy_sample_folder(source: Path, target: Path) -> None:
    """Copy a sample folder, turning the manifest's symbolic links back into links (a copy of
    the fixtures may have flattened them into small text files holding the target)."""
    manifest = json.loads((MULTISITE / "manifest.json").read_text())
    links = {f["name"]: f["target"] for f in manifest["files"]
             if f["kind"] == "symlink" and f["folder"] == source.name}
    target.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        destination = target / path.name
        if path.name in links:
            destination.symlink_to(links[path.name])
        elif path.is_dir():
            shutil.copytree(path, destination)
        else:
            shutil.copy2(path, destination)
        if destination.exists() and not destination.is_symlink():
            destination.chmod(0o644 if destination.is_file() else 0o755)
