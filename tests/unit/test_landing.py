"""Unit tests of the landing folder: file names, what a scan sees, and each file's status
(docs/inputs.md#2-file-names and docs/rules.md#2-snapshots)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import pytest

from pipelines.ingest.landing import (
    ExportName,
    LandingFile,
    assign_statuses,
    parse_file_name,
    scan_landing,
)

D = dt.date


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def export_file(name: str, source: str, site: str, date: dt.date, content: bytes,
                rows_read: int = 1) -> LandingFile:
    """A well-named file that was read (not rejected), built by hand."""
    return LandingFile(name, Path("/landing") / name, sha(content), ExportName(source, site, date),
                       rows_read=rows_read)


def by_name(files: list[LandingFile]) -> dict[str, LandingFile]:
    return {f.file_name: f for f in files}


# ---- file names --------------------------------------------------------------------------


def test_parse_file_name_example_from_the_contract():
    assert parse_file_name("questionnaires_pune_20261124.csv") == ExportName(
        "questionnaires", "pune", D(2026, 11, 24))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("PATIENTS_Pune_20261124.CSV", ExportName("patients", "pune", D(2026, 11, 24))),
        ("Procedures_SITE2_20260101.Xlsx", ExportName("procedures", "site2", D(2026, 1, 1))),
        ("medications_a1_20280229.xlsx", ExportName("medications", "a1", D(2028, 2, 29))),
    ],
)
def test_parse_file_name_is_case_insensitive_and_lower_cases(name, expected):
    assert parse_file_name(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "patients_pune_20261340.csv",  # month 13: eight digits but not a date
        "patients_pune_20260230.csv",  # 30 February
        "patients_pune_20270229.csv",  # 2027 is not a leap year
        "patients_pune_20261124_v2.csv",  # a suffix after the date
        "labs_pune_20261124.csv",  # not one of the four sources
        "patient_pune_20261124.csv",
        "patients_pune_20261124.txt",
        "patients_pune_20261124.csv.bak",
        "patients_pune_2026112.csv",  # seven digits
        "patients_pune_202611240.csv",
        "patients_pune-east_20261124.csv",  # site is [a-z0-9]+
        "patients_20261124.csv",
        "patients__20261124.csv",
        "patients_pune_2026-11-24.csv",
        "patients_pune_20261124",
        " patients_pune_20261124.csv",
    ],
)
def test_parse_file_name_rejects(name):
    assert parse_file_name(name) is None


def test_parse_file_name_site_is_ascii_only():
    assert parse_file_name("patients_\u0131stanbul_20261124.csv") is None


# ---- scanning ----------------------------------------------------------------------------


def test_scan_ignores_hidden_files_and_sub_folders(tmp_path):
    (tmp_path / "patients_pune_20261124.csv").write_text("mrn,date_of_birth\n")
    (tmp_path / ".patients_pune_20261125.csv").write_text("hidden\n")
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x01")
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "patients_pune_20261101.csv").write_text("old\n")
    (tmp_path / "procedures_pune_20261124.csv").mkdir()  # a folder, even with an export's name
    files = scan_landing(tmp_path)
    assert [f.file_name for f in files] == ["patients_pune_20261124.csv"]
    assert files[0].status is None  # not decided yet: it still has to be read


def test_scan_hashes_a_well_named_file(tmp_path):
    content = b"mrn,date_of_birth\nA1,1960-01-02\n"
    (tmp_path / "Patients_Pune_20261124.csv").write_bytes(content)
    [entry] = scan_landing(tmp_path)
    assert entry.sha256 == sha(content)
    assert entry.export == ExportName("patients", "pune", D(2026, 11, 24))
    assert (entry.source, entry.site, entry.export_date) == ("patients", "pune", D(2026, 11, 24))


def test_scan_rejects_a_badly_named_file_and_still_hashes_it(tmp_path):
    content = b"mrn,date_of_birth\nA1,1960-01-02\n"
    (tmp_path / "patients_pune_20261124_v2.csv").write_bytes(content)
    [entry] = scan_landing(tmp_path)
    assert (entry.status, entry.rule) == ("rejected", "bad_file_name")
    assert entry.sha256 == sha(content)
    assert entry.export is None
    assert (entry.source, entry.site, entry.export_date) == (None, None, None)
    assert entry.rows_read == 0


def test_scan_rejects_a_symbolic_link_without_following_it(tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "real.csv").write_bytes(b"mrn,date_of_birth\nA1,1960-01-02\n")
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "patients_pune_20261124.csv").symlink_to(target / "real.csv")
    [entry] = scan_landing(landing)
    assert (entry.status, entry.rule) == ("rejected", "unreadable_file")
    assert entry.sha256 is None  # never followed, so never hashed
    assert entry.rows_read == 0


def test_scan_rejects_a_dangling_link_and_a_link_to_a_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "patients_pune_20261124.csv").symlink_to(tmp_path / "missing.csv")
    (tmp_path / "procedures_pune_20261124.csv").symlink_to(tmp_path / "sub")
    files = by_name(scan_landing(tmp_path))
    assert set(files) == {"patients_pune_20261124.csv", "procedures_pune_20261124.csv"}
    for entry in files.values():
        assert (entry.status, entry.rule, entry.sha256) == ("rejected", "unreadable_file", None)


def test_scan_badly_named_link_is_rejected_for_its_name_first(tmp_path):
    (tmp_path / "real.txt").write_text("x")
    (tmp_path / "latest.csv").symlink_to(tmp_path / "real.txt")
    files = by_name(scan_landing(tmp_path))
    assert (files["latest.csv"].rule, files["latest.csv"].sha256) == ("bad_file_name", None)
    assert files["real.txt"].rule == "bad_file_name"
    assert files["real.txt"].sha256 == sha(b"x")


def test_scan_ignores_a_hidden_link(tmp_path):
    (tmp_path / "patients_pune_20261124.csv").write_text("mrn,date_of_birth\n")
    (tmp_path / ".patients_pune_20261125.csv").symlink_to(tmp_path / "patients_pune_20261124.csv")
    assert [f.file_name for f in scan_landing(tmp_path)] == ["patients_pune_20261124.csv"]


def test_scan_and_statuses_never_touch_the_landing_folder(tmp_path):
    (tmp_path / "patients_pune_20261101.csv").write_bytes(b"a\n")
    (tmp_path / "patients_pune_20261124.csv").write_bytes(b"b\n")
    (tmp_path / "notes.txt").write_bytes(b"c\n")
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.iterdir()}
    assign_statuses(scan_landing(tmp_path), {})
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.iterdir()}
    assert after == before


# ---- statuses ----------------------------------------------------------------------------


def test_newest_export_date_is_loaded_and_older_ones_superseded():
    files = [
        export_file("patients_pune_20261101.csv", "patients", "pune", D(2026, 11, 1), b"1", 5),
        export_file("patients_pune_20261124.csv", "patients", "pune", D(2026, 11, 24), b"2", 6),
        export_file("patients_pune_20261110.csv", "patients", "pune", D(2026, 11, 10), b"3", 7),
    ]
    result = by_name(assign_statuses(files, {}))
    assert result["patients_pune_20261124.csv"].status == "loaded"
    assert result["patients_pune_20261124.csv"].rows_read == 6
    for name in ("patients_pune_20261101.csv", "patients_pune_20261110.csv"):
        assert result[name].status == "superseded"
        assert result[name].rows_read == 0


def test_each_source_and_site_has_its_own_current_file():
    files = [
        export_file("patients_pune_20261101.csv", "patients", "pune", D(2026, 11, 1), b"1"),
        export_file("patients_mumbai_20261020.csv", "patients", "mumbai", D(2026, 10, 20), b"2"),
        export_file("procedures_pune_20261005.csv", "procedures", "pune", D(2026, 10, 5), b"3"),
    ]
    statuses = {f.file_name: f.status for f in assign_statuses(files, {})}
    assert statuses == dict.fromkeys(statuses, "loaded")


def test_statuses_keep_the_input_order():
    files = [
        export_file("patients_pune_20261124.csv", "patients", "pune", D(2026, 11, 24), b"2"),
        export_file("patients_pune_20261101.csv", "patients", "pune", D(2026, 11, 1), b"1"),
    ]
    assert [f.file_name for f in assign_statuses(files, {})] == [f.file_name for f in files]


def test_a_rejected_newer_file_leaves_the_older_one_loaded():
    newer = export_file("patients_pune_20261124.csv", "patients", "pune", D(2026, 11, 24), b"",
                        0).rejected("empty_snapshot", "no data rows")
    older = export_file("patients_pune_20261101.csv", "patients", "pune", D(2026, 11, 1), b"1")
    bad_name = LandingFile("patients.csv", Path("/landing/patients.csv"), sha(b"x"), None
                           ).rejected("bad_file_name", "bad name")
    result = by_name(assign_statuses([newer, older, bad_name], {}))
    assert (result["patients_pune_20261124.csv"].status,
            result["patients_pune_20261124.csv"].rule) == ("rejected", "empty_snapshot")
    assert result["patients_pune_20261101.csv"].status == "loaded"
    assert (result["patients.csv"].status, result["patients.csv"].rule) == (
        "rejected", "bad_file_name")


def test_duplicate_bytes_under_another_name_first_by_export_date_wins():
    # same bytes: 20261101 comes first by export date although its name sorts after "pune"
    files = [
        export_file("patients_pune_20261124.csv", "patients", "pune", D(2026, 11, 24), b"same"),
        export_file("patients_zzz_20261101.csv", "patients", "zzz", D(2026, 11, 1), b"same"),
    ]
    result = by_name(assign_statuses(files, {}))
    assert result["patients_zzz_20261101.csv"].status == "loaded"
    duplicate = result["patients_pune_20261124.csv"]
    assert duplicate.status == "duplicate_file"
    assert duplicate.rows_read == 0
    assert "patients_zzz_20261101.csv" in duplicate.message


def test_duplicate_bytes_same_date_first_by_file_name_wins():
    # same date and bytes, two spellings: "P" (0x50) sorts before "p" (0x70)
    files = [
        export_file("patients_pune_20261124.csv", "patients", "pune", D(2026, 11, 24), b"same"),
        export_file("Patients_pune_20261124.csv", "patients", "pune", D(2026, 11, 24), b"same"),
    ]
    result = by_name(assign_statuses(files, {}))
    assert result["Patients_pune_20261124.csv"].status == "loaded"
    assert result["patients_pune_20261124.csv"].status == "duplicate_file"


def test_a_redelivered_older_file_changes_nothing():
    # the 20261101 bytes arrive again under a later date: still the 20261101 file is used, and
    # the redelivery is a duplicate, not a newer snapshot
    files = [
        export_file("patients_pune_20261101.csv", "patients", "pune", D(2026, 11, 1), b"v1"),
        export_file("patients_pune_20261110.csv", "patients", "pune", D(2026, 11, 10), b"v2"),
        export_file("patients_pune_20261124.csv", "patients", "pune", D(2026, 11, 24), b"v1"),
    ]
    result = by_name(assign_statuses(files, {}))
    assert result["patients_pune_20261124.csv"].status == "duplicate_file"
    assert result["patients_pune_20261110.csv"].status == "loaded"
    assert result["patients_pune_20261101.csv"].status == "superseded"


def test_two_different_new_files_for_one_date_are_both_rejected():
    files = [
        export_file("patients_pune_20261124.csv", "patients", "pune", D(2026, 11, 24), b"a", 3),
        export_file("PATIENTS_PUNE_20261124.xlsx", "patients", "pune", D(2026, 11, 24), b"b", 4),
        export_file("patients_pune_20261101.csv", "patients", "pune", D(2026, 11, 1), b"c", 2),
    ]
    result = by_name(assign_statuses(files, {}))
    for name, rows in (("patients_pune_20261124.csv", 3), ("PATIENTS_PUNE_20261124.xlsx", 4)):
        assert (result[name].status, result[name].rule) == ("rejected", "conflicting_snapshot")
        assert result[name].rows_read == rows  # a rejected file's rows_read is its data rows
    # the remaining file is now the newest one not rejected
    assert result["patients_pune_20261101.csv"].status == "loaded"


def test_a_file_differing_from_the_one_an_earlier_load_used_is_rejected():
    used_before = {("patients", "pune", D(2026, 11, 24)): {
        sha(b"first delivery"): {"patients_pune_20261124.csv"}}}
    files = [export_file("patients_pune_20261124.csv", "patients", "pune", D(2026, 11, 24),
                         b"corrected in place")]
    [entry] = assign_statuses(files, used_before)
    assert (entry.status, entry.rule) == ("rejected", "conflicting_snapshot")


def test_the_file_an_earlier_load_used_is_still_loaded():
    used_before = {("patients", "pune", D(2026, 11, 24)): {
        sha(b"first delivery"): {"patients_pune_20261124.csv"}}}
    files = [
        export_file("patients_pune_20261124.csv", "patients", "pune", D(2026, 11, 24),
                    b"first delivery"),
        export_file("patients_pune_20261124.xlsx", "patients", "pune", D(2026, 11, 24),
                    b"something else"),
    ]
    result = by_name(assign_statuses(files, used_before))
    assert result["patients_pune_20261124.csv"].status == "loaded"
    assert result["patients_pune_20261124.xlsx"].rule == "conflicting_snapshot"


def test_an_earlier_load_of_another_date_does_not_conflict():
    used_before = {("patients", "pune", D(2026, 11, 1)): {
        sha(b"old"): {"patients_pune_20261101.csv"}}}
    files = [export_file("patients_pune_20261124.csv", "patients", "pune", D(2026, 11, 24),
                         b"new")]
    [entry] = assign_statuses(files, used_before)
    assert entry.status == "loaded"


def test_new_files_for_a_date_conflict_with_their_copies_and_without_rejected_ones():
    # one date, new files A, A' (a byte copy of A) and B: all three conflict; a companion
    # rejected for an earlier reason (empty) takes no part, so C alone is loaded
    files = [
        export_file("patients_pune_20261124.csv", "patients", "pune", D(2026, 11, 24), b"a"),
        export_file("PATIENTS_PUNE_20261124.csv", "patients", "pune", D(2026, 11, 24), b"a"),
        export_file("patients_pune_20261124.xlsx", "patients", "pune", D(2026, 11, 24), b"b"),
        export_file("procedures_pune_20261124.csv", "procedures", "pune", D(2026, 11, 24),
                    b"c"),
        export_file("procedures_pune_20261124.xlsx", "procedures", "pune", D(2026, 11, 24),
                    b"", 0).rejected("empty_snapshot", "no data rows"),
    ]
    result = by_name(assign_statuses(files, {}))
    for name in ("patients_pune_20261124.csv", "PATIENTS_PUNE_20261124.csv",
                 "patients_pune_20261124.xlsx"):
        assert (result[name].status, result[name].rule) == ("rejected", "conflicting_snapshot")
    assert result["procedures_pune_20261124.csv"].status == "loaded"
    assert result["procedures_pune_20261124.xlsx"].rule == "empty_snapshot"


def test_a_byte_copy_of_the_file_used_before_is_a_duplicate_whatever_its_name():
    # "Patients..." sorts before "patients...", yet the file an earlier load used stays the
    # one used; its copy is not new (duplicate_file) and a third, different file conflicts
    used_before = {("patients", "pune", D(2026, 11, 24)): {
        sha(b"first"): {"patients_pune_20261124.csv"}}}
    files = [
        export_file("patients_pune_20261124.csv", "patients", "pune", D(2026, 11, 24), b"first"),
        export_file("Patients_pune_20261124.csv", "patients", "pune", D(2026, 11, 24), b"first"),
        export_file("patients_pune_20261124.xlsx", "patients", "pune", D(2026, 11, 24), b"new"),
    ]
    result = by_name(assign_statuses(files, used_before))
    assert result["patients_pune_20261124.csv"].status == "loaded"
    assert result["Patients_pune_20261124.csv"].status == "duplicate_file"
    assert "patients_pune_20261124.csv" in result["Patients_pune_20261124.csv"].message
    assert result["patients_pune_20261124.xlsx"].rule == "conflicting_snapshot"


def test_full_scan_and_statuses_of_a_landing_folder(tmp_path):
    def write(name: str, content: bytes) -> None:
        (tmp_path / name).write_bytes(content)

    write("patients_pune_20261101.csv", b"p-old")
    write("patients_pune_20261124.csv", b"p-new")
    write("patients_pune_20261124_v2.csv", b"p-v2")
    write("procedures_pune_20261124.csv", b"proc")
    write("procedures_rural_20261124.csv", b"proc")  # same bytes and date, later name
    write("questionnaires_pune_20261124.csv", b"q-a")
    write("questionnaires_pune_20261124.xlsx", b"q-b")
    os.symlink(tmp_path / "patients_pune_20261124.csv", tmp_path / "medications_pune_20261124.csv")
    (tmp_path / ".hidden.csv").write_bytes(b"h")
    (tmp_path / "old").mkdir()

    result = by_name(assign_statuses(scan_landing(tmp_path), {}))
    got = {name: (f.status, f.rule) for name, f in result.items()}
    assert got == {
        "patients_pune_20261101.csv": ("superseded", None),
        "patients_pune_20261124.csv": ("loaded", None),
        "patients_pune_20261124_v2.csv": ("rejected", "bad_file_name"),
        "procedures_pune_20261124.csv": ("loaded", None),
        "procedures_rural_20261124.csv": ("duplicate_file", None),
        "questionnaires_pune_20261124.csv": ("rejected", "conflicting_snapshot"),
        "questionnaires_pune_20261124.xlsx": ("rejected", "conflicting_snapshot"),
        "medications_pune_20261124.csv": ("rejected", "unreadable_file"),
    }
    assert result["medications_pune_20261124.csv"].sha256 is None
    assert result["patients_pune_20261124_v2.csv"].sha256 == sha(b"p-v2")
