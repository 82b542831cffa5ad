"""The dbt project, as Dagster sees it. The manifest is prepared once: by `dagster dev`
(prepare_if_dev), by `make` (`dbt parse`), or by `pmps load` when it is missing."""

from __future__ import annotations

from pathlib import Path

from dagster_dbt import DbtProject

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()
