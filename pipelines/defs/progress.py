"""One progress line per step of the load, on the `pmps.progress` logger (shown by `pmps load`):
whether it built assets or ran a check, and its readable name (``ingest: landing files``;
``ingest: load issues, accounting identity``), so that a data engineer reads the load's
steps and its checks apart."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

import dagster as dg

PROGRESS_LOGGER = "pmps.progress"
STEP, CHECK = "step", "check"


def asset_name(key: dg.AssetKey) -> str:
    """``ingest: landing files`` for the asset ``ingest/landing_files``."""
    *prefix, name = key.path
    return ("/".join(prefix) + ": " if prefix else "") + name.replace("_", " ")


def check_name(key: dg.AssetCheckKey) -> str:
    """``ingest: load issues, accounting identity``: the asset, then the check."""
    return f"{asset_name(key.asset_key)}, {key.name.replace('_', ' ')}"


def step_names(assets: Iterable[dg.AssetsDefinition],
               checks: Iterable[dg.AssetChecksDefinition]) -> dict[str, tuple[str, str]]:
    """Each step (op) of the assets and checks: its kind and readable name. A step that
    builds many assets (dbt's build) says how many assets and checks it holds."""
    names: dict[str, tuple[str, str]] = {}
    for asset in assets:
        keys, inner_checks = list(asset.keys), list(asset.check_keys)
        if len(keys) == 1:
            name = asset_name(keys[0])
        elif any("dbt" in spec.kinds for spec in asset.specs):
            name = f"dbt build: {len(keys)} models and seeds, {len(inner_checks)} tests"
        else:
            name = (f"{asset.node_def.name.replace('_', ' ')}: {len(keys)} assets and "
                    f"{len(inner_checks)} checks")
        names[asset.node_def.name] = (STEP, name)
    for checks_def in checks:
        (key, *more) = list(checks_def.check_keys)
        names[checks_def.node_def.name] = (CHECK, check_name(key) + (
            f" (+{len(more)} more)" if more else ""))
    return names


def line(kind: str, name: str, failed: bool = False) -> str:
    """A progress line: ``  step   ingest: landing files`` (``FAILED`` after a failed one)."""
    return f"  {kind:<6} {name}" + ("  FAILED" if failed else "")


def progress_hooks(names: Mapping[str, tuple[str, str]]) -> set[dg.HookDefinition]:
    """The hooks that log a line as each step of a job ends (a step not in ``names`` is
    shown by its key)."""
    def say(context: dg.HookContext, failed: bool) -> None:
        kind, name = names.get(context.step_key, (STEP, context.step_key))
        logging.getLogger(PROGRESS_LOGGER).info(line(kind, name, failed))

    @dg.success_hook(name="report_step_done")
    def report_step_done(context: dg.HookContext) -> None:
        say(context, failed=False)

    @dg.failure_hook(name="report_step_failed")
    def report_step_failed(context: dg.HookContext) -> None:
        say(context, failed=True)

    return {report_step_done, report_step_failed}
