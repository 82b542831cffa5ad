"""Privacy (docs/tables.md#3-privacy): planted names, an MRN, a date of birth and free text appear
nowhere but in warehouse.duckdb after a load by `pmps load` and one by `dagster job execute`,
and every file and folder has the contract's mode."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.e2e.attack import SECRETS, environment, plant_secrets, pmps_command, write_demo
from tests.e2e.harness import PROJECT_ROOT, read_table

# ---- privacy -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def privacy_loads(tmp_path_factory):
    root = tmp_path_factory.mktemp("privacy")
    landing, warehouse = root / "landing", root / "warehouse"
    write_demo(landing)
    plant_secrets(landing)
    env = environment()
    env.pop("PMPS_PSEUDONYM_KEY")  # the key file, written by the load, is checked too
    outputs = []
    first = subprocess.run(pmps_command("load", "--landing", str(landing), "--warehouse",
                                        str(warehouse)), cwd=root, env=env,
                           capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stdout + first.stderr
    outputs.append(first.stdout + first.stderr)
    dagster = Path(sys.executable).parent / "dagster"
    second = subprocess.run(  # with the umask `pmps` sets itself (README, Running it nightly)
        ["sh", "-c", f"umask 077 && exec {dagster} job execute -m pipelines.definitions "
                     "-j nightly_load"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600,
        env={**env, "PMPS_LANDING_DIR": str(landing), "PMPS_WAREHOUSE_DIR": str(warehouse),
             "DAGSTER_HOME": str(warehouse / "dagster_home")})
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    outputs.append(second.stdout + second.stderr)
    return warehouse, outputs


def test_planted_identifiers_stay_in_warehouse_duckdb(privacy_loads):
    warehouse, outputs = privacy_loads
    assert read_table(warehouse / "analytics.duckdb",
                      "SELECT max(load_id) AS n FROM load_audit")["n"][0] == 2
    leaks = []
    for path in warehouse.rglob("*"):
        if path.is_symlink() or not path.is_file() or path.name.startswith(
                ("warehouse.duckdb", "data_issues.duckdb")):  # identifiable by design, 0600
            continue
        data = path.read_bytes()
        leaks += [f"{path.relative_to(warehouse)}: {name}" for name, secret in SECRETS.items()
                  if secret.encode() in data]
    for number, output in enumerate(outputs):
        leaks += [f"console of load {number + 1}: {name}" for name, secret in SECRETS.items()
                  if secret in output]
    assert leaks == []
    # analytics.duckdb compresses its strings: ask it too
    con = duckdb.connect(str(warehouse / "analytics.duckdb"), read_only=True)
    try:
        for table, column in con.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE data_type = 'VARCHAR'").fetchall():
            for secret in SECRETS.values():
                assert not con.execute(f'SELECT count(*) FROM {table} WHERE "{column}" '
                                       "LIKE ?", [f"%{secret}%"]).fetchone()[0], (table, column)
    finally:
        con.close()
    # while warehouse.duckdb keeps them (raw history): the search above could find them
    raw = read_table(warehouse / "warehouse.duckdb", "SELECT * FROM raw.patients_rows")
    assert SECRETS["last_name"] in set(raw["last_name"])


def test_files_and_folders_have_the_contracts_modes(privacy_loads):
    warehouse, _ = privacy_loads
    wrong = []
    for path in [warehouse, *warehouse.rglob("*")]:
        if path.is_symlink():
            continue
        relative = path.relative_to(warehouse)
        mode = path.stat().st_mode & 0o777
        if path == warehouse:
            wanted = 0o755  # readers of the published outputs reach them through it
        elif relative.parts[0] == "releases":  # the published, de-identified outputs
            wanted = 0o755 if path.is_dir() else 0o644
        else:
            wanted = 0o700 if path.is_dir() else 0o600
        if mode & ~wanted:
            wrong.append(f"{relative}: {oct(mode)}, at most {oct(wanted)}")
    assert wrong == []
    assert (warehouse / "pseudonym.key").stat().st_mode & 0o777 == 0o600
