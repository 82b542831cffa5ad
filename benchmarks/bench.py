"""The load at registry scale: `make bench` (not part of `make test`).

First the demo cohort (20 patients): a first load, then five loads of the same folder (their
median is the quick start's figure). Then, for each size (default 1 000, 10 000 and 100 000
patients over 4 sites) it writes a synthetic registry with `pmps demo --patients N`, then
runs, each in a fresh process:

- `pmps load` on it (a full load into a new warehouse),
- the same folder loaded again into the first warehouse (nothing changed),
- the nightly case: one site sends a newer questionnaires snapshot, and `pmps load` again,
- when ../shared/bench/floor.py is there, the floor (the core of a load done by DuckDB alone
  over the same files), timed alternately with the full load: `--repeat` rounds of
  (load, floor), so both see the same machine.

It prints, for every run: wall time, questionnaire rows per second, peak memory of the whole
process tree (dbt's subprocess included, sampled every 20 ms) and the time of each Dagster
step; for the full loads also the floor's time and the ratio load / floor; the ratios of the
unchanged and nightly loads to the full load; and how the full load grows from the smallest
size to the largest.

With `--engine spark` the models are built on Apache Spark (the `spark` extra and Java 17),
and each load also prints the dbt step beside the sum of its nodes' own times: the rest is
Spark's start, dbt's parse and the hooks.

    .venv/bin/python benchmarks/bench.py [--sizes 1000 10000 100000] [--repeat 2] [--work DIR]
                                         [--engine duckdb|spark] [--no-demo]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

PROJECT = Path(__file__).resolve().parents[1]
FLOOR = PROJECT.parent / "shared" / "bench" / "floor.py"
# "step seconds: a 0.1, b 2.3, ..." and its continuation lines (indented two spaces)
STEP_LINE = re.compile(r"^step seconds: (.*(?:\n  .*)*)$", re.MULTILINE)
SAMPLE_SECONDS = 0.02


@dataclass
class Run:
    """One command's wall time, peak memory of its process tree, and its output."""

    wall_s: float
    peak_mb: float
    output: str
    started_at: float  # the clock (time.time()) when it started
    steps: dict[str, float] = field(default_factory=dict)


def tree_rss(process: psutil.Process) -> int:
    """Resident memory of a process and all of its descendants, in bytes."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            pass  # it ended between the listing and the reading
    return total


def measure(command: list[str], env: dict[str, str], cwd: Path) -> Run:
    """Run ``command``, sampling the memory of its process tree until it ends."""
    started, started_at = time.perf_counter(), time.time()
    child = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    process = psutil.Process(child.pid)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            try:
                peak = max(peak, tree_rss(process))
            except psutil.Error:
                return
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = child.communicate()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {child.returncode}:\n{output[-3000:]}")
    run = Run(wall, peak / 2**20, output, started_at)
    found = STEP_LINE.search(output)
    if found:
        for part in " ".join(found.group(1).split()).split(", "):
            step, seconds = part.rsplit(" ", 1)
            run.steps[step] = float(seconds)
    return run


def pmps(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", *args]


def questionnaire_rows(landing: Path) -> int:
    """Data rows of the newest questionnaires snapshot of each site."""
    newest: dict[str, Path] = {}
    for path in sorted(landing.glob("questionnaires_*.csv")):
        newest[path.name.split("_")[1]] = path
    return sum(max(sum(1 for _ in path.open(encoding="utf-8")) - 1, 0)
               for path in newest.values())


def dbt_node_seconds(warehouse: Path, run: Run) -> float | None:
    """The sum of the dbt nodes' own times in ``run`` (None when it started no dbt: a load
    that changed nothing builds no model)."""
    path = warehouse / "dbt_target" / "run_results.json"
    if not path.exists() or path.stat().st_mtime < run.started_at:
        return None
    return sum(result["execution_time"] for result in json.loads(path.read_text())["results"])


def describe(label: str, run: Run, rows: int, floor: float | None = None,
             nodes_s: float | None = None) -> str:
    line = (f"  {label:<9} wall {run.wall_s:7.1f} s   {rows / run.wall_s:9.0f} questionnaire "
            f"rows/s   peak {run.peak_mb:6.0f} MB")
    if floor:
        line += f"   floor {floor:5.1f} s   load/floor {run.wall_s / floor:4.1f}"
    steps = ", ".join(f"{step.replace('ingest__', '').replace('published__', '')} "
                      f"{seconds:.1f}" for step, seconds in run.steps.items()
                      if not step.endswith(("_identity", "_rows", "_baseline", "_order",
                                            "_structure")))
    dbt = run.steps.get("warehouse_models")
    if nodes_s is not None and dbt:
        steps += (f"\n            dbt step {dbt:.1f} s, its nodes' own times summed "
                  f"{nodes_s:.1f} s (two threads)")
    return line + (f"\n            steps: {steps}" if steps else "")


def bench_size(patients: int, repeat: int, work: Path, env: dict[str, str]) -> list[str]:
    from pipelines.demo.registry import write_changed_snapshot

    folder = work / f"registry_{patients}"
    shutil.rmtree(folder, ignore_errors=True)
    landing = folder / "landing"
    subprocess.run(pmps("demo", "--landing", str(landing), "--patients", str(patients)),
                   env=env, cwd=PROJECT, check=True, capture_output=True)
    rows = questionnaire_rows(landing)
    lines = [f"{patients} patients, {rows} questionnaire rows"]
    floor_input = folder / "floor"  # the floor writes floor.duckdb beside the files it reads
    floor_input.mkdir()
    for path in landing.iterdir():
        os.link(path, floor_input / path.name)
    loads, floors, nodes = [], [], []
    for round_number in range(repeat):
        warehouse = folder / f"warehouse_{round_number}"
        loads.append(measure(pmps("load", "--landing", str(landing), "--warehouse",
                                  str(warehouse)), env, PROJECT))
        nodes.append(dbt_node_seconds(warehouse, loads[-1]))
        if FLOOR.exists():
            floors.append(measure([sys.executable, str(FLOOR), str(floor_input)], env,
                                  PROJECT))
    floor = statistics.median(run.wall_s for run in floors) if floors else None
    for number, run in enumerate(loads, start=1):
        lines.append(describe(f"full #{number}", run, rows,
                              floors[number - 1].wall_s if floors else None,
                              nodes[number - 1]))
    full = statistics.median(run.wall_s for run in loads)
    if floor:
        lines.append(f"  median: load {full:.1f} s, floor {floor:.1f} s, "
                     f"load/floor {full / floor:.1f}")
    load_again = pmps("load", "--landing", str(landing), "--warehouse",
                      str(folder / "warehouse_0"))
    unchanged = measure(load_again, env, PROJECT)
    lines.append(describe("unchanged", unchanged, rows,
                          nodes_s=dbt_node_seconds(folder / "warehouse_0", unchanged)))
    write_changed_snapshot(landing, patients)
    nightly = measure(load_again, env, PROJECT)
    lines.append(describe("nightly", nightly, questionnaire_rows(landing),
                          nodes_s=dbt_node_seconds(folder / "warehouse_0", nightly)))
    lines.append(f"  nothing changed / full: {unchanged.wall_s / full:.2f}   "
                 f"one site's questionnaires changed / full: {nightly.wall_s / full:.2f}")
    FULL_LOADS[patients] = full
    FIGURES[patients] = {"load/floor": full / floor if floor else None,
                         "peak GB": max(run.peak_mb for run in loads) / 1024,
                         "unchanged/full": unchanged.wall_s / full,
                         "nightly/full": nightly.wall_s / full}
    return lines


FULL_LOADS: dict[int, float] = {}  # patients -> median full load, for the growth line
FIGURES: dict[int | str, dict[str, float | None]] = {}  # for the targets


def target_lines() -> list[str]:
    """Each target of a nightly load beside its figure, for the largest registry benched."""
    lines = []
    demo = FIGURES.get("demo", {}).get("median s")
    if demo is not None:
        lines.append(f"  demo load after a first load, median of 5: {demo:.1f} s (target < 8 s)")
    if FULL_LOADS:
        size = max(FULL_LOADS)
        figures = FIGURES[size]
        for name, target in (("load/floor", "<= 3"), ("peak GB", "< 2"),
                             ("unchanged/full", "< 0.10"), ("nightly/full", "< 0.40")):
            if figures[name] is not None:
                lines.append(f"  {size} patients, {name}: {figures[name]:.2f} (target {target})")
    growth = growth_line()
    if growth:
        lines.append(f"  {growth} (target: no faster than linear)")
    return ["targets:", *lines] if lines else []


def bench_demo(work: Path, env: dict[str, str], loads: int = 5) -> list[str]:
    """The demo cohort (20 patients): a first load, then ``loads`` more of the same folder."""
    folder = work / "demo"
    shutil.rmtree(folder, ignore_errors=True)
    landing, warehouse = folder / "landing", folder / "warehouse"
    subprocess.run(pmps("demo", "--landing", str(landing)), env=env, cwd=PROJECT, check=True,
                   capture_output=True)
    command = pmps("load", "--landing", str(landing), "--warehouse", str(warehouse))
    first = measure(command, env, PROJECT)
    again = [measure(command, env, PROJECT) for _ in range(loads)]
    walls = ", ".join(f"{run.wall_s:.1f}" for run in again)
    FIGURES["demo"] = {"median s": statistics.median(r.wall_s for r in again)}
    return ["demo cohort, 20 patients",
            describe("first", first, questionnaire_rows(landing)),
            describe("again", sorted(again, key=lambda run: run.wall_s)[loads // 2],
                     questionnaire_rows(landing)),
            f"  after the first load: median {statistics.median(r.wall_s for r in again):.1f} s"
            f" of {loads} ({walls})"]


def growth_line() -> str | None:
    """How the full load grows between the smallest and the largest size benched."""
    if len(FULL_LOADS) < 2:
        return None
    small, large = min(FULL_LOADS), max(FULL_LOADS)
    return (f"growth {small} -> {large} patients ({large / small:.0f}x): full load "
            f"{FULL_LOADS[small]:.1f} s -> {FULL_LOADS[large]:.1f} s "
            f"({FULL_LOADS[large] / FULL_LOADS[small]:.1f}x)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--repeat", type=int, default=2,
                        help="full loads (each followed by the floor) per size")
    parser.add_argument("--work", type=Path, help="folder for the cohorts (default: a "
                        "temporary folder, removed afterwards)")
    parser.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb",
                        help="where the models are built (default duckdb)")
    parser.add_argument("--no-demo", action="store_true",
                        help="leave out the demo cohort's loads")
    args = parser.parse_args(argv)
    env = {**os.environ, "PMPS_PSEUDONYM_KEY": "benchmark", "PMPS_ENGINE": args.engine}
    work = args.work or Path(tempfile.mkdtemp(prefix="pmps-bench-"))
    print(f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB; "
          f"engine: {args.engine}; "
          f"floor: {FLOOR if FLOOR.exists() else 'not found, not timed'}", flush=True)
    try:
        if not args.no_demo:
            for line in bench_demo(work, env):
                print(line, flush=True)
        for patients in args.sizes:
            for line in bench_size(patients, args.repeat, work, env):
                print(line, flush=True)
        for line in target_lines():
            print(line, flush=True)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
