"""Fixtures of the end-to-end tests: real loads through the `pmps` command into temporary
warehouses, made once per test worker."""

from __future__ import annotations

import shutil

import pytest

from tests.e2e.harness import MULTISITE, LoadedWarehouse, copy_sample_folder, run_pmps


@pytest.fixture(scope="session")
def demo_load(tmp_path_factory) -> LoadedWarehouse:
    """The bundled demo cohort written and loaded once, in its own temporary folder."""
    root = tmp_path_factory.mktemp("demo")
    landing, warehouse = root / "landing", root / "warehouse"
    outputs = [run_pmps("demo", "--landing", str(landing), cwd=root),
               run_pmps("load", "--landing", str(landing), "--warehouse", str(warehouse),
                        cwd=root)]
    return LoadedWarehouse(root, landing, warehouse, outputs)


@pytest.fixture(scope="session")
def multisite_loads(tmp_path_factory) -> LoadedWarehouse:
    """The four-site sample: landing/ loaded, then late/ copied in and loaded again."""
    if not MULTISITE.is_dir():
        pytest.skip(f"the multi-site sample is not at {MULTISITE}")
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
