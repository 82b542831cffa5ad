"""Spark needs Java 17 and the `spark` extra: without them these tests say in one line what is
missing and skip, except in CI (CI=true), where they must run."""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest


def spark_missing() -> str | None:
    """What this machine lacks to build the models on Spark, in one line, or None."""
    if shutil.which("java") is None:
        return "Java is not installed (Java 17: apt-get install openjdk-17-jre-headless)"
    for module in ("pyspark", "dbt.adapters.spark"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (make test-spark installs the spark extra)"
    return None


@pytest.fixture(scope="session", autouse=True)
def spark_available() -> None:
    missing = spark_missing()
    if missing and os.environ.get("CI"):
        pytest.fail(f"the Spark tests must run in CI: {missing}")
    if missing:
        pytest.skip(missing)
