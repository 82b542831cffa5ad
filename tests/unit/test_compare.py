"""The cell-by-cell comparison of two engines' published tables (tests/spark) finds what it
must: a changed value, a changed order, a null against a value, a lost column or row."""

from __future__ import annotations

import pandas as pd

from tests.e2e.compare import differences, same_cell


def tables(**frames: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return frames


BASE = pd.DataFrame({"patient_key": ["a", "b"], "value": [1.0, 2.5], "n": [3, 4]})


def test_the_same_tables_have_no_differences():
    assert differences(tables(outcomes=BASE.copy()), tables(outcomes=BASE)) == []


def test_numbers_agree_to_one_part_in_a_billion():
    near = BASE.assign(value=[1.0 + 1e-12, 2.5])
    far = BASE.assign(value=[1.0 + 1e-6, 2.5])
    assert differences(tables(outcomes=near), tables(outcomes=BASE)) == []
    assert differences(tables(outcomes=far), tables(outcomes=BASE)) == [
        "outcomes.value row 0: 1.000001 != 1.0"]


def test_order_nulls_columns_and_rows_count():
    swapped = BASE.iloc[::-1].reset_index(drop=True)
    assert "outcomes.patient_key row 0: 'b' != 'a'" in differences(
        tables(outcomes=swapped), tables(outcomes=BASE))
    assert differences(tables(outcomes=BASE.assign(value=[None, 2.5])),
                       tables(outcomes=BASE)) == ["outcomes.value row 0: nan != 1.0"]
    assert differences(tables(outcomes=BASE.drop(columns="n")), tables(outcomes=BASE)) == [
        "outcomes: columns ['patient_key', 'value'] != ['patient_key', 'value', 'n']"]
    assert differences(tables(outcomes=BASE.head(1)), tables(outcomes=BASE)) == [
        "outcomes: 1 rows != 2"]
    assert differences(tables(), tables(outcomes=BASE)) == ["tables differ: ['outcomes']"]


def test_missing_values_match_each_other_only():
    assert same_cell(None, float("nan")) and same_cell(pd.NA, None)
    assert not same_cell(None, 0) and not same_cell("", None)
