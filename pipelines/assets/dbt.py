"""dbt models as assets: staging -> intermediate -> marts, with dbt tests as asset checks."""


import json

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from pipelines import warehouse
from pipelines.project import dbt_project
from pipelines.resources import PmpsSettings


def dbt_build_args(warehouse_dir) -> list[str]:
    """`dbt build` against this load's warehouse file."""
    db = warehouse.warehouse_path(warehouse_dir).resolve()
    return ["build", "--vars", json.dumps({"warehouse_db": str(db)})]


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project)
def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource,
                     pmps: PmpsSettings):
    yield from dbt.cli(dbt_build_args(pmps.load().warehouse_dir), context=context).stream()
