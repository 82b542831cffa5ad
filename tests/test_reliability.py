"""The warehouse under attack (CONTRACT.md sections 1, 3 and 4), through the real `pmps load`
and the real Dagster job:

- privacy: planted names, an MRN, a date of birth and free text appear nowhere but in
  warehouse.duckdb and the landing folder, and files have the contract's modes;
- hostile files: each one gets its status, rule and counts, and the good files all arrive;
- one load at a time: loads started together share no load_id, their exit codes tell the
  truth, a reader never fails and never sees outputs of two loads;
- crashes: SIGKILL of the whole process group at 20 moments of ingestion, dbt and publishing
  leaves the outputs of one load, and the next load publishes what an uninterrupted one does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import openpyxl
import pytest

from benchmarks.bench import measure
from tests.conftest import PROJECT_ROOT, PSEUDONYM_KEY, read_table, run_pmps
from tests.regression import differences, snapshot

DEMO = "20261102"
# Distinctive identifiers planted into the demo cohort's first patient.
SECRETS = {"mrn": "MRNZQ48217", "first_name": "Zyqwuxia", "last_name": "Vrabkowitz",
           "date_of_birth": "1937-03-29", "note": "SECRETNOTE-8842"}


def pmps_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", *args]


def environment(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PMPS_PSEUDONYM_KEY": PSEUDONYM_KEY, **extra}
    for name in ("PMPS_CONFIG", "PMPS_LANDING_DIR", "PMPS_WAREHOUSE_DIR", "DAGSTER_HOME"):
        if name not in extra:
            env.pop(name, None)
    return env


def write_demo(landing: Path) -> None:
    run_pmps("demo", "--landing", str(landing), cwd=landing.parent)


def plant_secrets(landing: Path) -> None:
    """Patient D001 becomes the one with the distinctive identifiers."""
    for path in landing.glob(f"*_demo_{DEMO}.csv"):
        text = path.read_text(encoding="utf-8").replace("D001,", f"{SECRETS['mrn']},")
        if path.name.startswith("patients"):
            lines = text.splitlines()
            cells = lines[1].split(",")
            header = lines[0].split(",")
            for column in ("first_name", "last_name", "date_of_birth"):
                cells[header.index(column)] = SECRETS[column]
            lines[1] = ",".join(cells)
            text = "\n".join(lines) + "\n"
        if path.name.startswith("procedures"):
            lines = text.splitlines()
            lines[1] = ",".join(lines[1].split(",")[:3] + [f"{SECRETS['note']} trigger points"])
            text = "\n".join(lines) + "\n"
        if path.name.startswith("questionnaires"):  # one invalid answer: a data issue a load
            lines = text.splitlines()              # reports, so doubled counts would show
            cells = lines[2].split(",")
            cells[lines[0].split(",").index("nrs")] = "11"
            lines[2] = ",".join(cells)
            text = "\n".join(lines) + "\n"
        path.write_text(text, encoding="utf-8")


def landing_digest(landing: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(landing.iterdir()) if path.is_file()}


def published_load_ids(warehouse: Path) -> tuple[int | None, int | None]:
    """The load id of analytics.duckdb and of report.html, both read from one release (as a
    reader that resolves `current` once does)."""
    release = Path(os.path.realpath(warehouse / "current"))
    con = duckdb.connect(str(release / "analytics.duckdb"), read_only=True)
    try:
        database = con.execute("SELECT max(load_id) FROM load_audit").fetchone()[0]
    finally:
        con.close()
    page = (release / "published" / "report.html").read_text(encoding="utf-8")
    found = re.search(r"Load (\d+)", page)
    return database, int(found.group(1)) if found else None


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
        if path.is_symlink() or not path.is_file() or path.name.startswith("warehouse.duckdb"):
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


# ---- hostile files (CONTRACT.md section 1) --------------------------------------------------

HOSTILE_CONFIG = """\
limits: {max_cell_bytes: 500000, max_rows: 1000, max_xlsx_uncompressed_bytes: 200000}
sites:
  yy: {date_format: "%d/%m/%y"}
"""


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return path


def hostile_landing(landing: Path) -> dict[str, tuple[str, str | None]]:
    """The demo cohort plus hostile files: name -> (status, rule) a load must give each."""
    write_demo(landing)
    expected = {}

    def add(name: str, data: bytes, status: str, rule: str | None) -> None:
        (landing / os.fsdecode(name.encode("utf-8", "surrogateescape"))).write_bytes(data)
        expected[name] = (status, rule)

    patients = b"mrn,date_of_birth\nH1,1960-01-02\nH2,1961-02-03\n"
    add("patients_zero_20261102.csv", b"", "rejected", "missing_columns")
    add("patients_png_20261102.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20,
        "rejected", "unreadable_file")
    add("patients_wide_20261102.csv", "mrn,date_of_birth\nH1,1960-01-02\n".encode("utf-16"),
        "rejected", "unreadable_file")
    add("patients_cut_20261102.xlsx", (Path(write_xlsx(
        landing.parent / "whole.xlsx", [["mrn", "date_of_birth"], ["H1", "1960-01-02"]]))
        .read_bytes()[:300]), "rejected", "unreadable_file")
    add("patients_text_20261102.xlsx", patients, "rejected", "unreadable_file")
    expected["patients_\\xe9t\\xe9_20261102.csv"] = ("rejected", "bad_file_name")
    (landing / os.fsdecode(b"patients_\xe9t\xe9_20261102.csv")).write_bytes(patients)
    (landing / "patients_link_20261102.csv").symlink_to(landing / f"patients_demo_{DEMO}.csv")
    expected["patients_link_20261102.csv"] = ("rejected", "unreadable_file")
    add("procedures_quote_20261102.csv",
        b'mrn,procedure_date,procedure,notes\nH1,2025-01-01,usgdn,"never closed\n'
        b"H1,2025-01-08,usgdn,ok\n", "rejected", "unreadable_file")
    add("patients_rows_20261102.csv", b"mrn,date_of_birth\n" + b"".join(
        f"R{i},1960-01-02\n".encode() for i in range(1500)), "rejected", "unreadable_file")
    add("patients_cell_20261102.csv", b"mrn,date_of_birth,last_name\nH1,1960-01-02,"
        + b"x" * 600_000 + b"\n", "rejected", "unreadable_file")
    write_xlsx(landing / "patients_sheet_20261102.xlsx", [["mrn", "date_of_birth", "notes"]] + [
        [f"S{i}", "1960-01-02", "y" * 50] for i in range(4000)])
    expected["patients_sheet_20261102.xlsx"] = ("rejected", "unreadable_file")
    # accepted: a long note, records that do not fit the header, a payload, two-digit years
    add("patients_note_20261102.csv", patients, "loaded", None)
    add("procedures_note_20261102.csv", b"mrn,procedure_date,procedure,notes\n"
        b'H1,2025-01-01,usgdn,"' + b"n" * 200_000 + b'"\nH2,2025-01-02,usgdn,short\n',
        "loaded", None)
    add("patients_ragged_20261102.csv", b"mrn,date_of_birth,sex\nH1,1960-01-02,f\n"
        b"H2,1961-02-03\nH3,1962-03-04,m,,\nH4,1963-04-05,m,oops\n", "loaded", None)
    add("patients_sql_20261102.csv", b"mrn,date_of_birth,last_name\n"
        b"\"x'); DROP TABLE patients; --\",1960-01-02,\"Robert'); DROP TABLE raw;--\"\n",
        "loaded", None)
    write_xlsx(landing / "patients_yy_20261102.xlsx",
               [["mrn", "date_of_birth"], ["Y1", dt.date(1948, 5, 6)],
                ["Y2", "07/08/19"]])
    expected["patients_yy_20261102.xlsx"] = ("loaded", None)
    for name in ("procedures", "questionnaires", "medications", "patients"):
        expected[f"{name}_demo_{DEMO}.csv"] = ("loaded", None)
    (landing.parent / "whole.xlsx").unlink()
    return expected


@pytest.fixture(scope="module")
def hostile_load(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    landing, warehouse = root / "landing", root / "warehouse"
    landing.mkdir()
    expected = hostile_landing(landing)
    config = root / "config.yaml"
    config.write_text(HOSTILE_CONFIG, encoding="utf-8")
    before = landing_digest(landing)
    run = measure(pmps_command("load", "--config", str(config), "--landing", str(landing),
                               "--warehouse", str(warehouse)), environment(), root)
    assert landing_digest(landing) == before
    return warehouse, expected, run


def test_each_hostile_file_gets_its_status_and_rule(hostile_load):
    warehouse, expected, _ = hostile_load
    audit = read_table(warehouse / "analytics.duckdb", "SELECT * FROM load_audit")
    issues = read_table(warehouse / "warehouse.duckdb", "SELECT * FROM data_issues")
    rules = {row.file_name: row.rule for row in issues.itertuples()
             if row.severity == "rejected_file"}
    found = {row.file_name: (row.status, rules.get(row.file_name))
             for row in audit.itertuples()}
    assert found == expected
    messages = dict(zip(audit["file_name"], audit["message"], strict=True))
    assert "opened on line 2" in messages["procedures_quote_20261102.csv"]
    assert "limits.max_rows" in messages["patients_rows_20261102.csv"]
    assert "limits.max_cell_bytes" in messages["patients_cell_20261102.csv"]
    assert "limits.max_xlsx_uncompressed_bytes" in messages["patients_sheet_20261102.xlsx"]


def test_hostile_rows_are_counted_and_good_rows_all_arrive(hostile_load):
    warehouse, _, _ = hostile_load
    audit = read_table(warehouse / "analytics.duckdb", "SELECT * FROM load_audit")
    counts = {row.file_name: (row.rows_read, row.rows_loaded, row.rows_rejected)
              for row in audit.itertuples()}
    assert counts["patients_ragged_20261102.csv"] == (4, 2, 2)  # H2 short, H4 beyond
    assert counts["procedures_note_20261102.csv"] == (2, 2, 0)
    assert counts["patients_sql_20261102.csv"] == (1, 1, 0)
    assert counts["patients_rows_20261102.csv"] == (0, 0, 0)
    assert counts[f"patients_demo_{DEMO}.csv"] == (20, 20, 0)
    patients = read_table(warehouse / "analytics.duckdb", "SELECT * FROM patients")
    assert (patients["site"] == "demo").sum() == 20
    assert (patients["site"] == "sql").sum() == 1
    issues = read_table(warehouse / "warehouse.duckdb",
                        "SELECT * FROM data_issues WHERE rule = 'malformed_row'")
    assert sorted(issues["row_number"]) == [2, 4]
    tables = read_table(warehouse / "analytics.duckdb",
                        "SELECT count(*) AS n FROM information_schema.tables")
    assert tables["n"][0] == 8  # the payload dropped nothing


def test_xlsx_date_cells_keep_their_century(hostile_load):
    warehouse, _, _ = hostile_load
    births = read_table(warehouse / "warehouse.duckdb",
                        "SELECT mrn, date_of_birth FROM ingest.patients WHERE site = 'yy'")
    found = {row.mrn: str(row.date_of_birth)[:10] for row in births.itertuples()}
    assert found == {"Y1": "1948-05-06", "Y2": "2019-08-07"}  # a text date follows %y


def test_the_hostile_load_stays_within_time_and_memory(hostile_load):
    _, _, run = hostile_load
    assert run.wall_s < 300 and run.peak_mb < 2048


# ---- one load at a time, and readers during loads --------------------------------------------


def test_loads_started_together_share_no_load_id_and_readers_see_one_load(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    write_demo(landing)
    plant_secrets(landing)
    run_pmps("load", "--landing", str(landing), "--warehouse", str(warehouse), cwd=tmp_path)
    reads, failures, done = [0], [], threading.Event()

    def reader() -> None:
        while not done.is_set():
            try:
                database, page = published_load_ids(warehouse)
                if database != page:
                    failures.append(f"analytics.duckdb of load {database}, report of {page}")
                reads[0] += 1
            except Exception as error:  # noqa: BLE001 - every failure of a reader counts
                failures.append(repr(error))

    def load(delay: float) -> subprocess.CompletedProcess:
        time.sleep(delay)
        return subprocess.run(pmps_command("load", "--landing", str(landing), "--warehouse",
                                           str(warehouse)), cwd=tmp_path, env=environment(),
                              capture_output=True, text=True, timeout=600)

    watcher = threading.Thread(target=reader)
    watcher.start()
    try:
        with ThreadPoolExecutor(3) as pool:
            together = list(pool.map(load, [0, 0]))
            staggered = list(pool.map(load, [0, 3, 8]))
        sequential = [load(0), load(0)]
    finally:
        done.set()
        watcher.join()
    results = together + staggered + sequential
    published = [r for r in results if r.returncode == 0]
    refused = [r for r in results if r.returncode != 0]
    assert all("another load is running (pid" in r.stderr for r in refused)
    assert len(published) >= 4  # one of each concurrent group, and the two sequential ones
    audit = read_table(warehouse / "analytics.duckdb", "SELECT * FROM load_audit")
    assert sorted(audit["load_id"].unique()) == list(range(1, len(published) + 2))
    assert audit.groupby("load_id").size().tolist() == [4] * (len(published) + 1)
    quality = read_table(warehouse / "analytics.duckdb", "SELECT * FROM data_quality")
    assert quality.groupby("load_id")["n"].sum().tolist() == [1] * (len(published) + 1)
    assert failures == [] and reads[0] > 50


def test_dagster_runs_queue_one_at_a_time():
    """Runs launched from the UI, the schedule or the sensor go through the instance's queue,
    which runs one at a time (the load lock stops any other writer)."""
    settings = (PROJECT_ROOT / "config" / "dagster.yaml").read_text(encoding="utf-8")
    assert re.search(r"class: QueuedRunCoordinator\s+config:\s+max_concurrent_runs: 1",
                     settings)


# ---- crashes ---------------------------------------------------------------------------------

STEPS_TO_KILL_AFTER = ["ingest__landing_files", "ingest__patients", "ingest__questionnaires",
                       "ingest__load_issues", "ingest__load_issues", "ingest__load_issues",
                       "warehouse_models", "published__study_tables",
                       "published__study_tables_published_structure",
                       "published__study_tables_publish_guard"]


def kill_during(landing: Path, warehouse: Path, after_step: str, delay: float) -> None:
    """Start a load and SIGKILL its whole process group ``delay`` s after ``after_step``."""
    process = subprocess.Popen(
        pmps_command("load", "--landing", str(landing), "--warehouse", str(warehouse)),
        cwd=warehouse.parent, env=environment(), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True)
    for line in process.stdout:
        if line.strip() == f"done  {after_step}":
            time.sleep(delay)
            break
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # it had finished
    process.wait()


def check_published_state(warehouse: Path) -> None:
    """The outputs are one load's, complete, and open."""
    release = Path(os.path.realpath(warehouse / "current"))
    assert (release / ".complete").exists()
    database, page = published_load_ids(warehouse)
    assert database == page
    for path in (warehouse / "published").iterdir():
        assert path.stat().st_size > 0


def crash_series(root: Path, moments: list[tuple[str, float]]) -> Path:
    landing, warehouse = root / "landing", root / "warehouse"
    write_demo(landing)
    plant_secrets(landing)
    before = landing_digest(landing)
    run_pmps("load", "--landing", str(landing), "--warehouse", str(warehouse), cwd=root)
    for after_step, delay in moments:
        kill_during(landing, warehouse, after_step, delay)
        check_published_state(warehouse)
        assert landing_digest(landing) == before
    run_pmps("load", "--landing", str(landing), "--warehouse", str(warehouse), cwd=root)
    return warehouse


def test_sigkill_at_20_moments_leaves_one_loads_outputs_and_the_next_load_finishes(tmp_path):
    rng = random.Random(20261129)
    moments = [(step, rng.uniform(0, 1.5)) for step in STEPS_TO_KILL_AFTER * 2]
    reference_root = tmp_path / "reference"
    reference_root.mkdir()
    reference_landing = reference_root / "landing"
    write_demo(reference_landing)
    plant_secrets(reference_landing)
    run_pmps("load", "--landing", str(reference_landing), "--warehouse",
             str(reference_root / "warehouse"), cwd=reference_root)
    roots = [tmp_path / "a", tmp_path / "b"]
    for root in roots:
        root.mkdir()
    with ThreadPoolExecutor(2) as pool:  # two series side by side: ten kills each
        warehouses = list(pool.map(crash_series, roots, [moments[0::2], moments[1::2]]))
    wanted = snapshot(reference_root / "warehouse")
    for warehouse in warehouses:
        check_published_state(warehouse)
        assert not (warehouse / ".work").exists()
        assert not list(warehouse.glob(".*.link"))
        assert len(list((warehouse / "releases").iterdir())) <= 2
        found = snapshot(warehouse)
        for name in ("patients", "outcomes", "questionnaire_items", "group_summary",
                     "change_summary", "responder_summary", "csv_group_summary"):
            assert differences(found[name], wanted[name], name) == []
        load_ids = sorted(found["load_audit"]["load_id"].unique())
        assert load_ids == list(range(1, len(load_ids) + 1))  # no load id used twice
        per_load = found["load_audit"].groupby("load_id").size()
        assert set(per_load) == {4}
