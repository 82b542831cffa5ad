"""Unit tests of the field parsers (schemas.fields), against docs/inputs.md#4-formats and
docs/scoring.md#2-parameters (valid values). Every expected value is written out by hand."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from schemas import fields

VISIT_CODES = {"BASELINE", "POST_NI", "POST_USGDN", "FU_3M", "FU_6M"}  # docs/scoring.md#8-visits
PROCEDURE_CODES = {"neuraxial_block", "intrathecal_pump", "pulsed_rf", "usgdn"}


def parse(expr_builder, values, *args):
    """The parser's expression evaluated on a one-column frame of text -> Python values."""
    frame = pl.DataFrame({"t": values}, schema={"t": pl.String})
    return frame.select(expr_builder(pl.col("t"), *args)).to_series().to_list()


def parse_one(expr_builder, text, *args):
    [value] = parse(expr_builder, [text], *args)
    return value

# ---- numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3", 3.0),
        ("3.0", 3.0),
        (" 7 ", 7.0),
        ("2.5", 2.5),
        ("-1", -1.0),
        ("+4", 4.0),
        (".5", 0.5),
        ("10.", 10.0),
        ("0", 0.0),
    ],
)
def test_parse_number_accepts_decimal_text_with_a_point(text, expected):
    assert parse_one(fields.number, text) == expected


@pytest.mark.parametrize(
    "text",
    ["7,5", "severe", "", "   ", "1.2.3", "3 4", "nan", "inf", "-", ".", "1_000", "five"],
)
def test_parse_number_rejects_what_is_not_a_decimal_number(text):
    # docs/inputs.md#4-formats: the decimal separator is '.', so '7,5' is not a number
    assert parse_one(fields.number, text) is None


@pytest.mark.parametrize(("text", "expected"), [("3", 3), ("3.0", 3), ("0", 0), ("10.00", 10),
                                                ("-0", 0)])
def test_parse_whole_number_reads_3_point_0_as_the_integer_3(text, expected):
    value = parse_one(fields.whole_number, text)
    assert value == expected
    assert isinstance(value, float)  # numbers come back as floats; a whole one
    assert value.is_integer()


@pytest.mark.parametrize("text", ["2.5", "0.1", "three", "7,0", ""])
def test_parse_whole_number_rejects_non_integers(text):
    assert parse_one(fields.whole_number, text) is None


@pytest.mark.parametrize(
    ("text", "low", "high", "whole", "expected"),
    [
        ("3.0", 0, 10, True, 3),  # nrs: '3.0' is the integer 3
        ("0", 0, 10, True, 0),  # both ends of the range are valid
        ("10", 0, 10, True, 10),
        ("11", 0, 10, True, None),  # nrs 0-10
        ("-1", 0, 10, True, None),
        ("2.5", 0, 5, True, None),  # an item: 2.5 is not an integer
        ("2.5", -1, 38, False, 2.5),  # a clinic total (pd_total): whole or not
        ("-1", -1, 38, False, -1.0),  # painDETECT total's lower bound
        ("38.5", -1, 38, False, None),
        ("62.5", 0, 100, False, 62.5),  # dash_score
        ("severe", 0, 27, False, None),  # text is invalid
        ("7,5", 0, 27, False, None),
        ("6", 1, 5, True, None),  # dash items are 1-5
        ("0", 1, 5, True, None),
    ],
)
def test_parse_in_range(text, low, high, whole, expected):
    assert parse_one(fields.in_range, text, low, high, whole) == expected


@pytest.mark.parametrize(("text", "expected"), [("0.5", 0.5), ("25", 25.0), ("1.0", 1.0)])
def test_parse_positive_accepts_numbers_above_zero(text, expected):
    assert parse_one(fields.positive, text) == expected


@pytest.mark.parametrize("text", ["0", "0.0", "-5", "abc", "7,5", ""])
def test_parse_positive_rejects_zero_negative_and_text(text):
    # bad_dose: dose or doses_per_day not a number > 0
    assert parse_one(fields.positive, text) is None


# ---- dates -------------------------------------------------------------------------------


def test_parse_date_iso_by_default():
    assert parse_one(fields.date, "2026-01-15", "%Y-%m-%d") == dt.date(2026, 1, 15)


def test_parse_date_trims_the_text():
    assert parse_one(fields.date, " 2026-01-15 ", "%Y-%m-%d") == dt.date(2026, 1, 15)


def test_parse_date_in_the_sites_format():
    assert parse_one(fields.date, "15/01/2026", "%d/%m/%Y") == dt.date(2026, 1, 15)
    # 03/04 is the 3rd of April in %d/%m/%Y, never guessed as March 4th
    assert parse_one(fields.date, "03/04/2026", "%d/%m/%Y") == dt.date(2026, 4, 3)


@pytest.mark.parametrize(
    ("text", "date_format"),
    [
        ("2026-02-30", "%Y-%m-%d"),  # not a calendar date
        ("2027-02-29", "%Y-%m-%d"),  # 2027 is not a leap year
        ("2026-13-01", "%Y-%m-%d"),
        ("15/01/2026", "%Y-%m-%d"),  # another format is never guessed
        ("2026-01-15", "%d/%m/%Y"),
        ("30/02/2026", "%d/%m/%Y"),
        ("yesterday", "%Y-%m-%d"),
        ("", "%Y-%m-%d"),
    ],
)
def test_parse_date_rejects_invalid_or_other_formats(text, date_format):
    assert parse_one(fields.date, text, date_format) is None


def test_parse_date_accepts_a_leap_day():
    assert parse_one(fields.date, "2028-02-29", "%Y-%m-%d") == dt.date(2028, 2, 29)


# ---- events and procedures ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BASELINE", "BASELINE"),
        ("baseline", "BASELINE"),  # case-insensitive
        (" Post_NI ", "POST_NI"),  # trimmed
        ("baseline_arm_1", "BASELINE"),  # REDCap unique event name
        ("post_usgdn_arm_2", "POST_USGDN"),
        ("FU_3M_ARM_1", "FU_3M"),
        ("fu_6m_arm_12", "FU_6M"),
    ],
)
def test_map_event_codes_and_redcap_event_names(text, expected):
    assert parse_one(fields.event, text, {}, VISIT_CODES) == expected


@pytest.mark.parametrize(
    "text", ["week 2", "baseline_arm_", "baseline_arm_x", "arm_1", "screening_arm_1", "", "POST"])
def test_map_event_unknown_is_none(text):
    assert parse_one(fields.event, text, {}, VISIT_CODES) is None


def test_map_event_site_label_matches_case_insensitively():
    labels = {"1 week post block": "POST_NI"}  # as SiteConfig stores it: normalised label
    assert parse_one(fields.event, "1 Week Post Block", labels, VISIT_CODES) == "POST_NI"
    assert parse_one(fields.event, "  1 WEEK POST BLOCK ", labels, VISIT_CODES) == "POST_NI"
    # a label of another site is not known here
    assert parse_one(fields.event, "2 weeks post block", labels, VISIT_CODES) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("usgdn", "usgdn"), ("USGDN", "usgdn"), (" Neuraxial_Block ", "neuraxial_block"),
     ("PULSED_RF", "pulsed_rf"), ("Epidural", "neuraxial_block"), ("EPIDURAL", "neuraxial_block"),
     ("acupuncture", None), ("", None)],
)
def test_map_code_procedures_case_insensitive_with_site_labels(text, expected):
    labels = {"epidural": "neuraxial_block"}
    assert parse_one(fields.code, text, labels, PROCEDURE_CODES) == expected


# ---- sex, mastectomy side, treatment group -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("f", "female"), ("F", "female"), ("Female", "female"), ("m", "male"), (" MALE ", "male"),
     ("o", "other"), ("Other", "other"), ("x", "other"), ("X", "other"),
     ("w", None), ("fem", None), ("", None), ("1", None)],
)
def test_parse_sex(text, expected):
    assert parse_one(fields.sex, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("left", "left"), ("Right", "right"), (" BILATERAL ", "bilateral"), ("both", None),
     ("l", None), ("", None)],
)
def test_parse_mastectomy_side(text, expected):
    assert parse_one(fields.mastectomy_side, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", 1), ("2", 2), ("2.0", 2), ("3", None), ("0", None), ("1.5", None), ("one", None)],
)
def test_parse_treatment_group(text, expected):
    assert parse_one(fields.treatment_group, text) == expected


# ---- whole columns -----------------------------------------------------------------------


def test_parsers_work_cell_by_cell_over_a_whole_column():
    # repeated texts, missing cells and invalid texts keep their own places
    texts = ["3", None, "2.5", "3", "severe", "3.0", None, "2.5"]
    assert parse(fields.number, texts) == [3.0, None, 2.5, 3.0, None, 3.0, None, 2.5]
    assert parse(fields.whole_number, texts) == [3.0, None, None, 3.0, None, 3.0, None, None]
    assert parse(fields.date, ["2026-01-15", None, "2026-02-30", "2026-01-15"], "%Y-%m-%d") == [
        dt.date(2026, 1, 15), None, None, dt.date(2026, 1, 15)]
    assert parse(fields.sex, ["F", "m", None, "w", "F"]) == ["female", "male", None, None,
                                                             "female"]


def test_parser_dtypes():
    frame = pl.DataFrame({"t": ["1", "2", "x"]}, schema={"t": pl.String})
    schema = frame.select(
        fields.number(pl.col("t")).alias("number"),
        fields.whole_number(pl.col("t")).alias("whole"),
        fields.treatment_group(pl.col("t")).alias("group"),
        fields.date(pl.col("t"), "%Y-%m-%d").alias("date"),
        fields.sex(pl.col("t")).alias("sex"),
    ).schema
    assert dict(schema) == {"number": pl.Float64, "whole": pl.Float64, "group": pl.Int32,
                            "date": pl.Date, "sex": pl.String}


def test_an_empty_column_parses_to_an_empty_column():
    assert parse(fields.number, []) == []
    assert parse(fields.date, [], "%Y-%m-%d") == []
