"""Unit tests of reading one clinic export as text records (docs/inputs.md#4-formats)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from pipelines.core.config import Limits, SiteConfig, parse_site
from pipelines.ingest.readers import (
    ROW_NUMBER,
    MissingColumns,
    UnreadableFile,
    build_table,
    read_export,
    read_xlsx,
)
from schemas.fields import date_cell_column

DEFAULT = SiteConfig()


def write_csv(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(folder: Path, name: str, rows: list[list[object]],
               other_sheets: dict[str, list[list[object]]] | None = None,
               active: int = 0) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "export"
    for row in rows:
        sheet.append(row)
    for title, sheet_rows in (other_sheets or {}).items():
        extra = workbook.create_sheet(title)
        for row in sheet_rows:
            extra.append(row)
    workbook.active = active
    path = folder / name
    workbook.save(path)
    return path


# ---- CSV ---------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_delimiter_is_sniffed(tmp_path, delimiter):
    d = delimiter
    path = write_csv(tmp_path, "patients_pune_20261124.csv",
                     f"mrn{d}date_of_birth{d}sex\nA1001{d}1960-01-02{d}f\nA1002{d}1971-12-31{d}m\n")
    table = read_export(path, "patients", DEFAULT)
    assert table.header_row == 1
    assert table.columns == ["mrn", "date_of_birth", "sex"]
    assert table.records == [
        (1, {"mrn": "A1001", "date_of_birth": "1960-01-02", "sex": "f"}),
        (2, {"mrn": "A1002", "date_of_birth": "1971-12-31", "sex": "m"}),
    ]
    assert table.rows_read == 2


def test_semicolon_csv_with_commas_in_values(tmp_path):
    path = write_csv(tmp_path, "procedures_pune_20261124.csv",
                     "mrn;procedure_date;procedure;notes\nA1;2026-01-05;usgdn;left, upper arm\n")
    table = read_export(path, "procedures", DEFAULT)
    assert table.records == [(1, {"mrn": "A1", "procedure_date": "2026-01-05",
                                  "procedure": "usgdn", "notes": "left, upper arm"})]


def test_configured_delimiter_is_used_instead_of_sniffing(tmp_path):
    text = "mrn;date_of_birth\nA1;1960-01-02\n"
    path = write_csv(tmp_path, "patients_pune_20261124.csv", text)
    assert read_export(path, "patients", SiteConfig(delimiter=";")).records == [
        (1, {"mrn": "A1", "date_of_birth": "1960-01-02"})]
    # a site configured for commas does not get its semicolon file sniffed
    with pytest.raises(MissingColumns):
        read_export(path, "patients", SiteConfig(delimiter=","))


def test_utf8_with_byte_order_mark(tmp_path):
    path = write_csv(tmp_path, "patients_pune_20261124.csv",
                     "mrn,date_of_birth,last_name\nA1,1960-01-02,Müller\n", encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    table = read_export(path, "patients", DEFAULT)
    assert table.columns == ["mrn", "date_of_birth", "last_name"]  # not '\ufeffmrn'
    assert table.records[0][1]["last_name"] == "Müller"


def test_utf8_without_byte_order_mark(tmp_path):
    path = write_csv(tmp_path, "patients_pune_20261124.csv",
                     "mrn,date_of_birth,last_name\nA1,1960-01-02,Gaikwād\n")
    assert read_export(path, "patients", DEFAULT).records[0][1]["last_name"] == "Gaikwād"


def test_crlf_line_endings(tmp_path):
    path = write_csv(tmp_path, "patients_pune_20261124.csv",
                     "mrn,date_of_birth\r\nA1,1960-01-02\r\nA2,1961-03-04\r\n")
    table = read_export(path, "patients", DEFAULT)
    assert table.records == [(1, {"mrn": "A1", "date_of_birth": "1960-01-02"}),
                             (2, {"mrn": "A2", "date_of_birth": "1961-03-04"})]


def test_site_encoding_latin_1(tmp_path):
    path = write_csv(tmp_path, "patients_pune_20261124.csv",
                     "mrn,date_of_birth,last_name\nA1,1960-01-02,Müller\n", encoding="latin-1")
    table = read_export(path, "patients", SiteConfig(encoding="latin-1"))
    assert table.records[0][1]["last_name"] == "Müller"
    # the same bytes are not UTF-8 (0xFC alone): unreadable for a site left at the default
    with pytest.raises(UnreadableFile):
        read_export(path, "patients", DEFAULT)


def test_header_is_found_below_title_rows(tmp_path):
    path = write_csv(tmp_path, "patients_pune_20261124.csv",
                     "Clinic export\nPune, 24 Nov 2026\n\nmrn,date_of_birth\nA1,1960-01-02\n")
    table = read_export(path, "patients", DEFAULT)
    assert table.header_row == 4  # the header is the file's 4th row
    assert table.records == [(1, {"mrn": "A1", "date_of_birth": "1960-01-02"})]


def test_header_on_row_10_is_found_and_on_row_11_is_not(tmp_path):
    body = "mrn,date_of_birth\nA1,1960-01-02\n"
    found = write_csv(tmp_path, "patients_a_20261124.csv", "title\n" * 9 + body)
    assert read_export(found, "patients", DEFAULT).header_row == 10
    too_low = write_csv(tmp_path, "patients_b_20261124.csv", "title\n" * 10 + body)
    with pytest.raises(MissingColumns):
        read_export(too_low, "patients", DEFAULT)


def test_header_cells_are_trimmed_and_case_insensitive(tmp_path):
    path = write_csv(tmp_path, "patients_pune_20261124.csv",
                     " MRN , Date_Of_Birth ,Sex\n A1 , 1960-01-02 , F \n")
    table = read_export(path, "patients", DEFAULT)
    assert table.columns == ["mrn", "date_of_birth", "sex"]
    assert table.records == [(1, {"mrn": "A1", "date_of_birth": "1960-01-02", "sex": "F"})]


def test_site_renaming_makes_the_header(tmp_path):
    site = parse_site("pune", {"columns": {"Record ID": "mrn", "Event Name": "event"}})
    path = write_csv(tmp_path, "questionnaires_pune_20261124.csv",
                     "record id,EVENT NAME,assessment_date,nrs\nA1,baseline_arm_1,2026-01-05,7\n")
    table = read_export(path, "questionnaires", site)
    assert table.columns == ["mrn", "event", "assessment_date", "nrs"]
    assert table.records == [(1, {"mrn": "A1", "event": "baseline_arm_1",
                                  "assessment_date": "2026-01-05", "nrs": "7"})]
    # without the renaming the required columns are not there
    with pytest.raises(MissingColumns):
        read_export(path, "questionnaires", DEFAULT)


def test_missing_required_column(tmp_path):
    # medications without doses_per_day
    path = write_csv(tmp_path, "medications_pune_20261124.csv",
                     "mrn,drug,dose,unit,start_date\nA1,morphine,10,mg,2026-01-01\n")
    with pytest.raises(MissingColumns):
        read_export(path, "medications", DEFAULT)


def test_blank_rows_are_no_records_but_keep_their_row_number(tmp_path):
    path = write_csv(tmp_path, "patients_pune_20261124.csv",
                     "mrn,date_of_birth\nA1,1960-01-02\n\n , \nA2,1961-03-04\n,\n")
    table = read_export(path, "patients", DEFAULT)
    # row 2 is an empty line, row 3 only blanks, row 5 only a delimiter
    assert [number for number, _ in table.records] == [1, 4]
    assert table.rows_read == 2


def test_multi_line_quoted_cell_is_one_record(tmp_path):
    path = write_csv(tmp_path, "procedures_pune_20261124.csv",
                     'mrn,procedure_date,procedure,notes\n'
                     'A1,2026-01-05,usgdn,"first line\nsecond line"\n'
                     'A2,2026-01-06,pulsed_rf,plain\n')
    table = read_export(path, "procedures", DEFAULT)
    assert table.rows_read == 2
    (first_number, first), (second_number, second) = table.records
    assert (first_number, second_number) == (1, 2)
    assert first["notes"] == "first line\nsecond line"
    assert second["mrn"] == "A2"


def test_cells_stay_text_and_mrn_case_is_kept(tmp_path):
    path = write_csv(tmp_path, "questionnaires_pune_20261124.csv",
                     "mrn,event,assessment_date,nrs,dash_score\n"
                     "a1001,BASELINE,2026-01-05,3.0,007\n"
                     "A1001,BASELINE,05/01/2026,7,1e3\n")
    table = read_export(path, "questionnaires", DEFAULT)
    assert table.records[0][1] == {"mrn": "a1001", "event": "BASELINE",
                                   "assessment_date": "2026-01-05", "nrs": "3.0",
                                   "dash_score": "007"}
    assert table.records[1][1]["mrn"] == "A1001"
    assert table.records[1][1]["assessment_date"] == "05/01/2026"  # never reinterpreted here
    assert table.records[1][1]["dash_score"] == "1e3"


def test_short_rows_are_padded_and_unknown_columns_kept(tmp_path):
    path = write_csv(tmp_path, "patients_pune_20261124.csv",
                     "mrn,date_of_birth,clinician,sex\nA1,1960-01-02\n")
    table = read_export(path, "patients", DEFAULT)
    assert table.columns == ["mrn", "date_of_birth", "clinician", "sex"]
    assert table.records == [(1, {"mrn": "A1", "date_of_birth": "1960-01-02", "clinician": "",
                                  "sex": ""})]


def test_header_only_file_has_no_records(tmp_path):
    path = write_csv(tmp_path, "patients_pune_20261124.csv", "mrn,date_of_birth\n\n\n")
    table = read_export(path, "patients", DEFAULT)
    assert table.records == []
    assert table.rows_read == 0


def test_empty_file_has_no_header(tmp_path):
    path = write_csv(tmp_path, "patients_pune_20261124.csv", "")
    with pytest.raises(MissingColumns):
        read_export(path, "patients", DEFAULT)


def test_binary_content_in_a_csv_is_unreadable(tmp_path):
    path = tmp_path / "patients_pune_20261124.csv"
    path.write_bytes(b"mrn,date_of_birth\x00\x00\x01\x02\nA1,1960\x00\n")
    with pytest.raises(UnreadableFile):
        read_export(path, "patients", DEFAULT)


def test_invalid_utf8_is_unreadable(tmp_path):
    path = tmp_path / "patients_pune_20261124.csv"
    path.write_bytes(b"mrn,date_of_birth\nA1,\xff\xfe1960-01-02\n")
    with pytest.raises(UnreadableFile):
        read_export(path, "patients", DEFAULT)


# ---- XLSX --------------------------------------------------------------------------------


def test_xlsx_title_row_date_cell_and_numeric_mrn(tmp_path):
    path = write_xlsx(tmp_path, "patients_pune_20261124.xlsx", [
        ["Pune clinic export"],
        ["mrn", "date_of_birth", "sex", "treatment_group"],
        [3001.0, dt.datetime(1960, 5, 1), " F ", 2.0],
        ["A3002", "1971-12-31", "m", 1],
    ])
    table = read_export(path, "patients", DEFAULT)
    assert table.header_row == 2
    assert table.records == [
        (1, {"mrn": "3001", "date_of_birth": "1960-05-01", "sex": "F", "treatment_group": "2"}),
        (2, {"mrn": "A3002", "date_of_birth": "1971-12-31", "sex": "m", "treatment_group": "1"}),
    ]


def test_xlsx_date_cells_are_dates_whatever_the_sites_format(tmp_path):
    """docs/rules.md#6-dates: XLSX date cells are dates. A site whose text dates have two-digit
    years (%d/%m/%y) keeps the century of a 1948 date cell; a text cell is still text."""
    path = write_xlsx(tmp_path, "procedures_pune_20261124.xlsx", [
        ["mrn", "procedure_date", "procedure"],
        ["A1", dt.datetime(2026, 1, 5, 13, 45), "usgdn"],
        ["A2", dt.date(1948, 2, 28), "usgdn"],
        ["A3", "03/04/26", "usgdn"],
    ])
    table = read_export(path, "procedures", SiteConfig(date_format="%d/%m/%y"))
    assert [record["procedure_date"] for _, record in table.records] == [
        "2026-01-05", "1948-02-28", "03/04/26"]
    assert table.rows[date_cell_column("procedure_date")].to_list() == [
        dt.date(2026, 1, 5), dt.date(1948, 2, 28), None]


def test_xlsx_non_whole_numbers_keep_their_decimals(tmp_path):
    path = write_xlsx(tmp_path, "questionnaires_pune_20261124.xlsx", [
        ["mrn", "event", "assessment_date", "nrs", "dash_score", "pd_total"],
        [1008, "BASELINE", dt.datetime(2026, 1, 5), 2.5, 62.5, 7],
    ])
    [(number, record)] = read_export(path, "questionnaires", DEFAULT).records
    assert number == 1
    assert record == {"mrn": "1008", "event": "BASELINE", "assessment_date": "2026-01-05",
                      "nrs": "2.5", "dash_score": "62.5", "pd_total": "7"}


def test_xlsx_blank_rows_keep_their_row_number(tmp_path):
    path = write_xlsx(tmp_path, "patients_pune_20261124.xlsx", [
        ["export"],
        [],
        ["mrn", "date_of_birth"],
        ["A1", "1960-01-02"],
        [],
        [None, None],
        ["A2", "1961-03-04"],
    ])
    table = read_export(path, "patients", DEFAULT)
    assert table.header_row == 3
    assert [number for number, _ in table.records] == [1, 4]


def test_xlsx_reads_the_first_sheet_even_when_another_is_active(tmp_path):
    path = write_xlsx(
        tmp_path, "patients_pune_20261124.XLSX",
        [["mrn", "date_of_birth"], ["FIRST", "1960-01-02"]],
        other_sheets={"second": [["mrn", "date_of_birth"], ["SECOND", "1960-01-02"]]},
        active=1)
    table = read_export(path, "patients", DEFAULT)
    assert [record["mrn"] for _, record in table.records] == ["FIRST"]


def test_xlsx_header_below_row_10_is_missing_columns(tmp_path):
    path = write_xlsx(tmp_path, "patients_pune_20261124.xlsx",
                      [["title"]] * 10 + [["mrn", "date_of_birth"], ["A1", "1960-01-02"]])
    with pytest.raises(MissingColumns):
        read_export(path, "patients", DEFAULT)


def test_broken_xlsx_is_unreadable(tmp_path):
    path = tmp_path / "patients_pune_20261124.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    with pytest.raises(UnreadableFile):
        read_export(path, "patients", DEFAULT)


def test_csv_text_named_xlsx_is_unreadable(tmp_path):
    path = write_csv(tmp_path, "patients_pune_20261124.xlsx", "mrn,date_of_birth\nA1,1960-01-02\n")
    with pytest.raises(UnreadableFile):
        read_export(path, "patients", DEFAULT)


# ---- building blocks ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "date_format", "expected"),
    [
        (None, "%Y-%m-%d", ""),
        (3001.0, "%Y-%m-%d", "3001"),
        (3.0, "%Y-%m-%d", "3"),
        (2.5, "%Y-%m-%d", "2.5"),
        (7, "%Y-%m-%d", "7"),
        ("  a1001 ", "%Y-%m-%d", "a1001"),
        (dt.datetime(2026, 1, 15, 0, 0), "%Y-%m-%d", "2026-01-15"),
        (dt.date(2026, 1, 15), "%d/%m/%Y", "2026-01-15"),  # a date cell: kept as a date
        (True, "%Y-%m-%d", "TRUE"),
        (False, "%Y-%m-%d", "FALSE"),
    ],
)
def test_xlsx_cell_text(tmp_path, value, date_format, expected):
    """One XLSX cell as text: whole numbers without '.0', non-whole numbers with their
    decimals, date cells as ISO text beside their date (whatever the site's format), booleans
    as TRUE/FALSE, text trimmed."""
    path = write_xlsx(tmp_path, "patients_pune_20261124.xlsx", [
        ["mrn", "date_of_birth", "last_name"],
        ["A1", "1960-01-02", value],
    ])
    site = SiteConfig(date_format=date_format)
    for table in (read_export(path, "patients", site), read_xlsx(path, "patients", site)):
        assert table.records == [(1, {"mrn": "A1", "date_of_birth": "1960-01-02",
                                      "last_name": expected})]


def test_build_table_finds_the_header_and_numbers_records():
    rows = [["Export"], ["mrn", "procedure_date", "procedure"], ["A1", "2026-01-05", "usgdn"],
            ["", "", ""], ["A2", "2026-01-06", "pulsed_rf"]]
    table = build_table(rows, "procedures", DEFAULT)
    assert table.header_row == 2
    assert table.records == [
        (1, {"mrn": "A1", "procedure_date": "2026-01-05", "procedure": "usgdn"}),
        (3, {"mrn": "A2", "procedure_date": "2026-01-06", "procedure": "pulsed_rf"}),
    ]


def test_build_table_first_row_holding_every_required_column_wins():
    rows = [["mrn", "event"],  # not all of questionnaires' required columns
            ["mrn", "event", "assessment_date"],
            ["mrn", "event", "assessment_date", "nrs"],
            ["A1", "BASELINE", "2026-01-05", "4"]]
    table = build_table(rows, "questionnaires", DEFAULT)
    assert table.header_row == 2
    # the later header-like row is a record (and will fail its checks later)
    assert table.records[0] == (1, {"mrn": "mrn", "event": "event",
                                    "assessment_date": "assessment_date"})


def test_xlsx_with_a_wrong_recorded_sheet_size_reads_every_row(tmp_path):
    import re
    import zipfile

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["mrn", "date_of_birth"])
    sheet.append(["A1", "1970-01-01"])
    sheet.append(["A2", "1971-01-01"])
    good = tmp_path / "good.xlsx"
    workbook.save(good)
    # some writers record the sheet as one cell: <dimension ref="A1"/>
    bad = tmp_path / "patients_a_20261101.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(bad, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1"/>', data)
                assert b'<dimension ref="A1"/>' in data
            target.writestr(item, data)
    table = read_export(bad, "patients", SiteConfig())
    assert [record["mrn"] for _, record in table.records] == ["A1", "A2"]


# ---- malformed text and limits (docs/inputs.md#5-malformed-text, docs/inputs.md#6-limits)


def test_an_unclosed_quote_makes_the_file_unreadable_naming_its_line(tmp_path):
    text = ("mrn,procedure_date,procedure,notes\n" + "A1,2026-01-05,usgdn,ok\n" * 4
            + 'A2,2026-01-06,usgdn,"unclosed note\n' + "A3,2026-01-07,usgdn,ok\n" * 3)
    path = write_csv(tmp_path, "procedures_pune_20261124.csv", text)
    with pytest.raises(UnreadableFile, match="opened on line 6 is still open"):
        read_export(path, "procedures", DEFAULT)


@pytest.mark.parametrize("row, message", [
    ("A2,1960-01-02", "has 2 cells; the header names 3"),
    ("A2,1960-01-02,f,extra", "one after the header's 3 named columns is not empty"),
])
def test_records_that_do_not_fit_the_header_are_malformed(tmp_path, row, message):
    text = f"mrn,date_of_birth,sex\nA1,1960-01-02,f\n{row}\nA3,1960-01-03,m,,\n"
    path = write_csv(tmp_path, "patients_pune_20261124.csv", text)
    table = read_export(path, "patients", DEFAULT)
    assert table.rows[ROW_NUMBER].to_list() == [1, 2, 3]  # kept, to be rejected as rows
    assert table.malformed[ROW_NUMBER].to_list() == [2]
    assert message in table.malformed["message"][0]


def test_a_truncated_last_line_is_malformed_and_a_blank_line_is_no_record(tmp_path):
    text = ("mrn,event,assessment_date,nrs,dash_1\nA1,BASELINE,2026-01-05,7,3\n\n"
            "A1,POST_USGDN,2026-02-05,3")
    path = write_csv(tmp_path, "questionnaires_pune_20261124.csv", text)
    table = read_export(path, "questionnaires", DEFAULT)
    assert table.rows[ROW_NUMBER].to_list() == [1, 3]
    assert table.malformed[ROW_NUMBER].to_list() == [3]


def test_a_quoted_field_may_hold_line_breaks_and_a_long_note(tmp_path):
    note = "x" * 200_000  # beyond Python csv's default field limit of 128 KiB
    text = f'mrn,procedure_date,procedure,notes\nA1,2026-01-05,usgdn,"{note}\nsecond line"\n'
    path = write_csv(tmp_path, "procedures_pune_20261124.csv", text)
    [(number, record)] = read_export(path, "procedures", DEFAULT).records
    assert number == 1 and record["notes"] == note + "\nsecond line"


def test_limits_reject_a_long_cell_and_too_many_rows(tmp_path):
    text = "mrn,date_of_birth\n" + "".join(f"A{i},1960-01-02\n" for i in range(30))
    path = write_csv(tmp_path, "patients_pune_20261124.csv", text)
    with pytest.raises(UnreadableFile, match="more than 20 data rows"):
        read_export(path, "patients", DEFAULT, Limits(max_rows=20))
    with pytest.raises(UnreadableFile, match="longer than the limit of 4"):
        read_export(path, "patients", DEFAULT, Limits(max_cell_bytes=4))
    assert read_export(path, "patients", DEFAULT, Limits(max_rows=30)).rows_read == 30


def test_an_xlsx_expanding_past_the_limit_is_rejected_unread(tmp_path):
    path = write_xlsx(tmp_path, "patients_pune_20261124.xlsx",
                      [["mrn", "date_of_birth"]] + [[f"A{i}", "1960-01-02"] for i in range(50)])
    with pytest.raises(UnreadableFile, match="max_xlsx_uncompressed_bytes"):
        read_export(path, "patients", DEFAULT, Limits(max_xlsx_uncompressed_bytes=1000))
