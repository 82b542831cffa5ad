"""Fixtures of the end-to-end tests: real loads through the `pmps` command into temporary
warehouses, made once per test worker."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess

import pytest

from tests.e2e.bad_input import Loads, shared_loads
from tests.e2e.harness import MULTISITE, LoadedWarehouse, copy_sample_folder, run_pmps


@pytest.fixture(scope="session")
def demo_load(tmp_path_factory) -> LoadedWarehouse:
    """The bundled demo cohort written and loaded once for the whole run, in a folder the test
    workers share: the first worker to ask loads it while holding a lock, the others wait for
    it and read the same warehouse (no test writes into it)."""
    # one folder per run: above each worker's own under pytest-xdist, else the run's own
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    root = shared / "demo"
    landing, warehouse = root / "landing", root / "warehouse"
    with (shared / "demo.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        done = root / "outputs.json"
        if not done.exists():
            root.mkdir(exist_ok=True)
            outputs = [run_pmps("demo", "--landing", str(landing), cwd=root),
                       run_pmps("load", "--landing", str(landing), "--warehouse",
                                str(warehouse), cwd=root)]
            done.write_text(json.dumps([[o.args, o.returncode, o.stdout, o.stderr]
                                        for o in outputs]), encoding="utf-8")
    outputs = [subprocess.CompletedProcess(*output)
               for output in json.loads(done.read_text(encoding="utf-8"))]
    return LoadedWarehouse(root, landing, warehouse, outputs)


@pytest.fixture(scope="session")
def bad_input_loads(tmp_path_factory) -> Loads:
    """The bad-input landing folder's three loads (tests/e2e/bad_input.py), made once for the
    whole run in a folder the test workers share, as the demo load is."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    return shared_loads(shared)


@pytest.fixture(scope="session")
def multisite_loads(tmp_path_factory) -> LoadedWarehouse:
    """The four-site sample: landing/ loaded, then late/ copied in and loaded again."""
    root = tmp_path_factory.mktemp("multisite")
    landing, warehouse = root / "landing", root / "warehouse"
    copy_sample_folder(MULTISITE / "landing", landing)
    shutil.copytree(MULTISITE / "extra", root / "extra")
    args = ("load", "--config", str(MULTISITE / "config.yaml"), "--landing", str(landing),
            "--warehouse", str(warehouse))
    outputs = [run_pmps(*args, cwd=root)]
    copy_sample_folder(MULTISITE / "late", landing)
    outputs.append(run_pmps(*args, cwd=root))
    return LoadedWarehouse(root, landing, warehouse, outputs)
