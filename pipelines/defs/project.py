"""The dbt project, as Dagster sees it. The manifest is prepared once: by `dagster dev`
(prepare_if_dev), by `make` (`dbt parse`), or by `pmps load` when it is missing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"

# The manifest is parsed for the target a load builds with by default (the Makefile's
# `dbt parse --target warehouse` too): dbt keeps its partial parse only for the same target, so a
# first build in a new warehouse does not parse the whole project again.
PARSE_ARGS = ["parse", "--quiet", "--target", "warehouse"]

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR,
                         prepare_project_cli_args=PARSE_ARGS)
dbt_project.prepare_if_dev()


def dbt_executable() -> str:
    """The dbt installed beside this Python, so a load works without an activated venv."""
    for folder in (Path(sys.prefix) / "bin", Path(sys.executable).parent):
        if (folder / "dbt").exists():
            return str(folder / "dbt")
    return shutil.which("dbt") or "dbt"


def ensure_manifest() -> None:
    """Parse the dbt project when no manifest is there yet (a checkout without `make`)."""
    if not dbt_project.manifest_path.exists():
        subprocess.run([dbt_executable(), *PARSE_ARGS], cwd=DBT_PROJECT_DIR, check=True)
