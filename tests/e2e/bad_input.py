"""The bad-input loads (docs/inputs.md and docs/rules.md) that tests/e2e/test_bad_input_*.py read: a
small two-site landing folder with every rule of section 3 planted at a known file, row and column
(tests/e2e/landing_builders.py), loaded three times through the real `pmps load`:

1. the first delivery;
2. after a second delivery: a newer beta patients snapshot without patient 3004, a re-delivered
   alpha questionnaires file, an older alpha procedures snapshot, a conflicting alpha
   medications file, a different beta medications file for a date load 1 superseded, and two
   different new beta procedures files for one date;
3. the same folder again, unchanged.

The loads run once per test run, in a folder the test workers share (the `bad_input_loads`
fixture in tests/e2e/conftest.py); no test writes into it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tests.e2e.harness import read_table, run_pmps
from tests.e2e.landing_builders import BETA_CONFIG, add_second_delivery, build_first_landing

PA, PRA, QA, MA = ("patients_alpha_20261120.csv", "procedures_alpha_20261120.csv",
                   "questionnaires_alpha_20261120.csv", "medications_alpha_20261120.csv")
PB1, PB2, PRB, QB, MB = ("patients_beta_20261118.csv", "patients_beta_20261124.csv",
                         "procedures_beta_20261118.xlsx", "questionnaires_beta_20261118.csv",
                         "medications_beta_20261118.csv")

REJECTED_FILES = [
    ("README.txt", None, None, "bad_file_name"),
    ("questionnaires_alpha_20261131.csv", None, None, "bad_file_name"),
    ("patients_alpha_20261121.csv", None, None, "unreadable_file"),  # a symbolic link
    ("procedures_alpha_20261119.xlsx", None, None, "unreadable_file"),
    ("questionnaires_beta_20261119.csv", None, None, "missing_columns"),
    ("medications_beta_20261120.csv", None, None, "empty_snapshot"),
]
# file -> (source, site, export date) as the load must store them; None for bad names
FILES = {
    PA: ("patients", "alpha", "2026-11-20"), PRA: ("procedures", "alpha", "2026-11-20"),
    QA: ("questionnaires", "alpha", "2026-11-20"), MA: ("medications", "alpha", "2026-11-20"),
    PB1: ("patients", "beta", "2026-11-18"), PB2: ("patients", "beta", "2026-11-24"),
    PRB: ("procedures", "beta", "2026-11-18"), QB: ("questionnaires", "beta", "2026-11-18"),
    MB: ("medications", "beta", "2026-11-18"),
    "README.txt": None, "questionnaires_alpha_20261131.csv": None,
    "patients_alpha_20261121.csv": ("patients", "alpha", "2026-11-21"),
    "procedures_alpha_20261119.xlsx": ("procedures", "alpha", "2026-11-19"),
    "questionnaires_beta_20261119.csv": ("questionnaires", "beta", "2026-11-19"),
    "medications_beta_20261120.csv": ("medications", "beta", "2026-11-20"),
    "questionnaires_alpha_20261126.csv": ("questionnaires", "alpha", "2026-11-26"),
    "procedures_alpha_20261001.csv": ("procedures", "alpha", "2026-10-01"),
    "Medications_ALPHA_20261120.csv": ("medications", "alpha", "2026-11-20"),
    "procedures_beta_20261130.csv": ("procedures", "beta", "2026-11-30"),
    "Procedures_Beta_20261130.csv": ("procedures", "beta", "2026-11-30"),
    "medications_beta_20261101.csv": ("medications", "beta", "2026-11-01"),
    "medications_beta_20261101.xlsx": ("medications", "beta", "2026-11-01"),
}


def landing_state(landing: Path) -> dict[str, tuple]:
    """Every entry under the landing folder, links not followed: kind, content and mtime."""
    state = {}
    for path in sorted(landing.rglob("*")):
        info = path.lstat()
        if path.is_symlink():
            content = ("link", os.readlink(path))
        elif path.is_dir():
            content = ("dir", None)
        else:
            content = ("file", hashlib.sha256(path.read_bytes()).hexdigest())
        state[str(path.relative_to(landing))] = (*content, info.st_mtime_ns, info.st_mode)
    return state


@dataclass
class Loads:
    root: Path
    landing: Path
    warehouse: Path
    config: Path
    states: dict[str, dict]
    outputs: list

    def snapshot(self, load: int) -> Path:
        """analytics.duckdb as it was published by that load."""
        return self.root / f"analytics_load{load}.duckdb"

    def table(self, name: str, load: int = 3) -> pd.DataFrame:
        return read_table(self.snapshot(load), f"SELECT * FROM {name}")

    def issues(self, load: int | None = None) -> pd.DataFrame:
        where = "" if load is None else f" WHERE load_id = {load}"
        return read_table(self.warehouse / "warehouse.duckdb", f"SELECT * FROM data_issues{where}")


def load_three_times(root: Path) -> Loads:
    """The three loads into ``root``, each published analytics.duckdb copied beside them."""
    landing, warehouse, config = root / "landing", root / "warehouse", root / "pmps.yaml"
    config.write_text(BETA_CONFIG, encoding="utf-8")
    build_first_landing(landing, root / "elsewhere")
    args = ("load", "--config", str(config), "--landing", str(landing),
            "--warehouse", str(warehouse))
    states = {"before 1": landing_state(landing)}
    outputs = [run_pmps(*args, cwd=root)]
    states["after 1"] = landing_state(landing)
    shutil.copy2(warehouse / "analytics.duckdb", root / "analytics_load1.duckdb")
    add_second_delivery(landing)
    states["before 2"] = landing_state(landing)
    outputs.append(run_pmps(*args, cwd=root))
    shutil.copy2(warehouse / "analytics.duckdb", root / "analytics_load2.duckdb")
    outputs.append(run_pmps(*args, cwd=root))
    states["after 3"] = landing_state(landing)
    shutil.copy2(warehouse / "analytics.duckdb", root / "analytics_load3.duckdb")
    return Loads(root, landing, warehouse, config, states, outputs)


def shared_loads(shared: Path) -> Loads:
    """The three loads made once in ``shared/bad_input``: the first caller makes them while
    holding a lock, the others (other test workers) wait for it and read the same folder."""
    root = shared / "bad_input"
    done = root / "loads.json"
    with (shared / "bad_input.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not done.exists():
            shutil.rmtree(root, ignore_errors=True)  # what a failed attempt left
            root.mkdir()
            loads = load_three_times(root)
            done.write_text(json.dumps({
                "states": loads.states,
                "outputs": [[o.args, o.returncode, o.stdout, o.stderr] for o in loads.outputs],
            }), encoding="utf-8")
    recorded = json.loads(done.read_text(encoding="utf-8"))
    states = {moment: {name: tuple(entry) for name, entry in state.items()}
              for moment, state in recorded["states"].items()}
    outputs = [subprocess.CompletedProcess(*output) for output in recorded["outputs"]]
    return Loads(root, root / "landing", root / "warehouse", root / "pmps.yaml", states, outputs)


def value(cell):
    return None if cell is None or pd.isna(cell) else cell


def sort_rows(frame: pd.DataFrame) -> pd.DataFrame:
    texts = [tuple(map(str, row)) for row in frame.itertuples(index=False)]
    order = sorted(range(len(texts)), key=texts.__getitem__)
    return frame.iloc[order].reset_index(drop=True)

