"""Loads of one landing folder into two warehouses side by side, one per engine, through the
real `pmps load`; Spark starts once per load."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import run_pmps

ENGINES = ("duckdb", "spark")


def load(root: Path, engine: str, *args: str) -> None:
    """`pmps load` of ``root``/landing into ``root``/<engine>, with that engine."""
    run_pmps("load", "--landing", str(root / "landing"), "--warehouse",
             str(root / engine), *args, cwd=root, env={"PMPS_ENGINE": engine})
