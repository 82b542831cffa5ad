"""Stata's 80-character variable labels (pipelines/publish/exports.py)."""

from __future__ import annotations

import pandas as pd
import pyreadstat
import pytest

from pipelines.publish.exports import ANALYSIS_TABLES, stata_label, variable_labels

LONG = ("Why the patient is outside the analysis (null when in it): no_usgdn (procedures "
        "without a USGDN session)")


def test_a_short_label_is_kept_whole():
    assert stata_label("NRS pain 0-10") == "NRS pain 0-10"
    assert stata_label("x" * 80) == "x" * 80


def test_a_long_label_is_cut_after_a_whole_word():
    cut = stata_label(LONG)
    assert cut == "Why the patient is outside the analysis (null when in it): no_usgdn ..."
    assert len(cut) <= 80


def test_a_single_word_longer_than_80_is_cut_where_it_must_be():
    assert stata_label("y" * 100) == "y" * 80


@pytest.mark.parametrize("table", ANALYSIS_TABLES)
def test_every_published_label_fits_and_ends_at_a_word(table):
    for column, label in variable_labels(table).items():
        cut = stata_label(label)
        assert len(cut) <= 80, column
        if cut != label:
            kept = cut.removesuffix(" ...")
            assert label.startswith(kept) and label[len(kept)] == " ", (column, cut)


def test_stata_takes_the_cut_label(tmp_path):
    path = tmp_path / "t.dta"
    pyreadstat.write_dta(pd.DataFrame({"exclusion_reason": ["no_usgdn"]}), str(path),
                         column_labels=[stata_label(LONG)])
    _, meta = pyreadstat.read_dta(str(path), metadataonly=True)
    assert meta.column_labels == [stata_label(LONG)]
