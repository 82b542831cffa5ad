"""Which dbt models a load rebuilds: those whose inputs changed since the last build.

A model's table is a function of the dbt project (its SQL, macros, seeds and tests), the
target it is built with and the ingest tables it reads. After every successful `dbt build` the
load records a digest of each (``<warehouse>/dbt_target/model_inputs.json``); the next load
compares: when the project or the target changed, or no build was recorded, it builds
everything; otherwise it builds the models downstream of the ingest tables whose content
changed, and none at all (dbt is not started) when none changed. The record is removed before
a build starts, so a build that fails or is interrupted leaves none and the next load builds
everything. Models not rebuilt keep the tables of the build that made them, which the same
inputs would make again.

No model holds the load's id (the publish step adds it to the data issues), and a table's
digest leaves out ``load_id``: the number of rows and the sum of the rows' hashes, so it does
not depend on the rows' order either.

The record also holds each dbt test's result (its asset check in Dagster), with the rows it
found and its description. A test of a model that was not rebuilt is not run again: it would
read the same table and give the same result, so the recorded one is reported again, marked
``rebuilt: false``. The report lists the recorded tests that warned (``warned``).
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from pipelines.core import digests

PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
PROJECT_PARTS = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests")
RECORD = "model_inputs.json"
TARGET_DIR = "dbt_target"  # dbt's artifacts and logs, in the warehouse folder
INGEST = "ingest"  # the dbt source of the ingest tables


def project_digest(project_dir: Path = PROJECT_DIR) -> str:
    """A digest of every file of the dbt project that shapes a model, and dbt's version."""
    return digests.digest(PROJECT_PARTS, ["dbt-core"], root=project_dir)


def table_digest(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """Rows and the sum of their hashes, ``load_id`` left out."""
    columns = [name for (name,) in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ?",
        [INGEST, table]).fetchall()]
    if not columns:
        return "absent"
    rows = (f"SELECT * EXCLUDE (load_id) FROM {INGEST}.{table}" if "load_id" in columns
            else f"SELECT * FROM {INGEST}.{table}")
    count, total = con.execute(
        f"SELECT count(*), coalesce(sum(hash(r)::HUGEINT), 0) FROM ({rows}) r").fetchall()[0]
    return f"{count}:{total}"


def model_inputs(con: duckdb.DuckDBPyConnection, tables: list[str], target: str) -> dict:
    """What this load's build would read: the project, the target and each ingest table."""
    return {"project": project_digest(), "target": target,
            "tables": {table: table_digest(con, table) for table in tables}}


def changed_tables(previous: dict | None, current: dict) -> list[str] | None:
    """The ingest tables whose content changed since the recorded build; None (build
    everything) when the project or the target changed or no build is recorded."""
    if (previous is None or previous.get("project") != current["project"]
            or previous.get("target") != current["target"]
            or set(previous.get("tables", {})) != set(current["tables"])):
        return None
    return [table for table, digest in current["tables"].items()
            if previous["tables"][table] != digest]


def unchanged_nodes(manifest: dict, changed: list[str] | None) -> list[str]:
    """The models and seeds (unique ids) a build may leave as they are, those not downstream
    of a changed ingest table, in an order that puts every node after its parents; none when
    ``changed`` is None (build everything)."""
    if changed is None:
        return []
    stack = [f"source.{source['package_name']}.{INGEST}.{source['name']}"
             for source in manifest["sources"].values()
             if source["source_name"] == INGEST and source["name"] in changed]
    rebuilt = set()
    while stack:
        uid = stack.pop()
        if uid not in rebuilt:
            rebuilt.add(uid)
            stack.extend(manifest["child_map"].get(uid, []))
    left = buildable(manifest) - rebuilt
    ordered: list[str] = []
    while left:  # parents first; a parent outside the set is upstream of it, never downstream
        ready = sorted(uid for uid in left
                       if not left.intersection(manifest["parent_map"].get(uid, [])))
        ordered += ready
        left -= set(ready)
    return ordered


def buildable(manifest: dict) -> set[str]:
    """The models and seeds of the project."""
    return {uid for uid, node in manifest["nodes"].items()
            if node["resource_type"] in ("model", "seed")}


def exclusion(manifest: dict, unchanged: list[str]) -> list[str]:
    """The `dbt build` arguments that leave out the unchanged nodes (and their tests)."""
    names = [manifest["nodes"][uid]["name"] for uid in unchanged]
    return ["--exclude", " ".join(names)] if names else []


def carried_over(previous: dict | None, ran: dict[str, dict],
                 selected: list[str]) -> dict[str, dict]:
    """The recorded results (``{"passed": bool, "severity": ...}``) of the selected checks this
    build did not run, each named as Dagster writes a check key (``asset:check``); none when
    no build is recorded or everything was built."""
    if previous is None:
        return {}
    results = previous.get("checks", {})
    return {check: results[check] for check in selected
            if check not in ran and check in results}


def target_dir(warehouse_dir: Path) -> Path:
    return (Path(warehouse_dir) / TARGET_DIR).resolve()


def warned(inputs: dict | None) -> list[tuple[str, str]]:
    """The dbt tests of the recorded build that warned, each as (test, what it found): its
    description and how many rows it found."""
    found = []
    for check, result in sorted(((inputs or {}).get("checks") or {}).items()):
        if not result["passed"] and result["severity"] == "WARN":
            said = (result.get("description") or "").rstrip(".")
            found.append((check.rpartition(":")[2], f"{said}: {result.get('failed_rows')} found"))
    return found


def recorded(target_path: Path) -> dict | None:
    """The inputs of the last successful build, if one is recorded."""
    try:
        return json.loads((Path(target_path) / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def forget(target_path: Path) -> None:
    (Path(target_path) / RECORD).unlink(missing_ok=True)


def record(target_path: Path, inputs: dict) -> None:
    path = Path(target_path) / RECORD
    path.write_text(json.dumps(inputs, indent=1, sort_keys=True), encoding="utf-8")
    path.chmod(0o600)
