"""dbt models as assets: staging -> intermediate -> marts, with dbt tests as asset checks."""

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from pipelines.core import builds, engine, warehouse
from pipelines.defs.assets.retry import retry_when_busy
from pipelines.defs.project import dbt_project
from pipelines.defs.resources import PmpsSettings


def dbt_build_args(target: str) -> list[str]:
    """`dbt build` for a load with ``target`` (profiles.yml): unit tests are for development
    (`make test` runs them).

    Seeds are loaded every time (half a second): skipping unchanged ones would also skip the
    tests that join them (dbt leaves out the tests of an excluded node).
    """
    return ["build", "--exclude", "resource_type:unit_test", "--target", target]


@contextmanager
def environment_for_dbt(variables: dict[str, str]) -> Iterator[None]:
    """Set the variables dbt's profile reads for the duration of the call."""
    previous = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def dbt_target_path(warehouse_dir: Path) -> Path:
    """dbt's artifacts and logs per warehouse, private to the owner like the rest of it. The
    project's parse is copied in once (dagster-dbt would copy it keeping its mode, 0644)."""
    target = builds.target_dir(warehouse_dir)
    target.mkdir(mode=0o700, exist_ok=True)
    parsed = dbt_project.project_dir / dbt_project.target_path / "partial_parse.msgpack"
    copy = target / parsed.name
    if parsed.exists() and not copy.exists():
        copy.write_bytes(parsed.read_bytes())
        copy.chmod(0o600)
    return target


def check_record(result: dg.AssetCheckResult, described: dict[str, str | None]) -> dict:
    """What the build records of a dbt test's result: passed, severity, the rows it found and
    its description."""
    key = dg.AssetCheckKey(result.asset_key, result.check_name).to_user_string()
    rows = result.metadata.get("dagster_dbt/failed_row_count")
    return {"passed": result.passed, "severity": result.severity.value,
            "failed_rows": getattr(rows, "value", rows), "description": described.get(key)}


class LayeredTranslator(DagsterDbtTranslator):
    """dbt's nodes in Dagster: grouped by layer (seeds, staging, intermediate, marts), with
    their dbt descriptions."""

    def get_group_name(self, dbt_resource_props) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "seeds"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else super().get_group_name(dbt_resource_props)

    def get_description(self, dbt_resource_props) -> str:
        return (dbt_resource_props.get("description") or "").strip() or \
            super().get_description(dbt_resource_props)


TRANSLATOR = LayeredTranslator()
MARTS = "marts"  # the group of the models the publish step reads


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project,
            dagster_dbt_translator=TRANSLATOR)
def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource,
                     pmps: PmpsSettings):
    config = pmps.load()
    warehouse_dir = config.warehouse_dir
    target_path = dbt_target_path(warehouse_dir)
    with retry_when_busy(pmps):  # dbt would fail on a warehouse someone holds open
        warehouse.check_writable(warehouse_dir)
        with warehouse.connect(warehouse_dir, read_only=True) as con:
            inputs = builds.model_inputs(con, engine.ingest_tables(), config.target)
    manifest = json.loads(dbt_project.manifest_path.read_bytes())
    previous = builds.recorded(target_path) if config.reuse else None
    changed = builds.changed_tables(previous, inputs)  # None: build everything
    unchanged = builds.unchanged_nodes(manifest, changed)
    builds.forget(target_path)
    # The models whose inputs did not change keep the tables the last build made. The marts
    # among them (what the publish step and the checks read) are reported as current, parents
    # first as Dagster wants a multi-asset's outputs; the others are simply not built.
    for uid in unchanged:
        node = manifest["nodes"][uid]
        key = TRANSLATOR.get_asset_key(node)
        if TRANSLATOR.get_group_name(node) == MARTS and key in context.selected_asset_keys:
            yield dg.MaterializeResult(asset_key=key, metadata={"rebuilt": False})
    ran: dict[str, dict] = {}
    described = {spec.key.to_user_string(): spec.description
                 for spec in context.assets_def.check_specs}
    if set(unchanged) != builds.buildable(manifest):  # else nothing to build: dbt not started
        engine.clear_model_folders(config, None if changed is None else [
            node["name"] for uid, node in manifest["nodes"].items()
            if node["resource_type"] == "model" and uid not in unchanged])
        variables = engine.dbt_environment(config)
        try:
            with environment_for_dbt(variables):
                for event in dbt.cli([*dbt_build_args(config.target),
                                      *builds.exclusion(manifest, unchanged)],
                                     context=context, target_path=target_path).stream():
                    if isinstance(event, dg.AssetCheckResult):
                        key = dg.AssetCheckKey(event.asset_key, event.check_name)
                        ran[key.to_user_string()] = check_record(event, described)
                    yield event
        finally:
            engine.protect_spark_folders(config)
    engine.attach_built_models(config)
    # The tests of the models not rebuilt were not run: their recorded results stand.
    selected = {key.to_user_string(): key for key in context.selected_asset_check_keys}
    carried = builds.carried_over(previous if changed is not None else None, ran,
                                  list(selected))
    for check, result in carried.items():
        key = selected[check]
        yield dg.AssetCheckResult(asset_key=key.asset_key, check_name=key.name,
                                  passed=result["passed"],
                                  severity=dg.AssetCheckSeverity(result["severity"]),
                                  metadata={"rebuilt": False})
    if context.selected_asset_keys == set(context.assets_def.keys):  # not a subset from the UI
        builds.record(target_path, {**inputs, "checks": {**carried, **ran}})
