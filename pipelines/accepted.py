"""Typing the accepted rows of each export for the warehouse's ``ingest`` schema.

The rows have passed the checks, so every parser here succeeds on a present value; the same
parsers (schemas.fields) decided validity, so typing and checking cannot disagree.
"""

from __future__ import annotations

import pandas as pd

from pipelines.config import normalise_label
from pipelines.reference import questionnaire_codebook
from schemas import fields
from schemas.checks import SchemaContext
from schemas.medications import default_route, to_drug
from schemas.procedures import to_procedure_code
from schemas.questionnaires import parse_item, to_visit_code


def _map(series: pd.Series, parse) -> list:
    return [None if text is None or pd.isna(text) else parse(text) for text in series]


def _column(rows: pd.DataFrame, name: str) -> pd.Series:
    return rows[name] if name in rows else pd.Series([None] * len(rows), index=rows.index,
                                                     dtype=object)


def _lineage(rows: pd.DataFrame, site: str, file_name: str) -> dict:
    return {"site": site, "file_name": file_name, "row_number": list(rows.index),
            "mrn": list(rows["mrn"])}


def typed_patients(rows: pd.DataFrame, ctx: SchemaContext, site: str,
                   file_name: str) -> pd.DataFrame:
    date = lambda text: fields.parse_date(text, ctx.site.date_format)  # noqa: E731
    return pd.DataFrame({
        **_lineage(rows, site, file_name),
        "first_name": _column(rows, "first_name").tolist(),
        "last_name": _column(rows, "last_name").tolist(),
        "date_of_birth": _map(rows["date_of_birth"], date),
        "sex": _map(_column(rows, "sex"), fields.parse_sex),
        "mastectomy_date": _map(_column(rows, "mastectomy_date"), date),
        "mastectomy_side": _map(_column(rows, "mastectomy_side"), fields.parse_mastectomy_side),
        "treatment_group": pd.array(_map(_column(rows, "treatment_group"),
                                         fields.parse_treatment_group), dtype="Int64"),
    })


def typed_procedures(rows: pd.DataFrame, ctx: SchemaContext, site: str,
                     file_name: str) -> pd.DataFrame:
    return pd.DataFrame({
        **_lineage(rows, site, file_name),
        "procedure_date": _map(rows["procedure_date"],
                               lambda t: fields.parse_date(t, ctx.site.date_format)),
        "procedure_code": _map(rows["procedure"], lambda t: to_procedure_code(t, ctx)),
        "notes": _column(rows, "notes").tolist(),
    })


def typed_questionnaires(rows: pd.DataFrame, ctx: SchemaContext, site: str,
                         file_name: str) -> pd.DataFrame:
    frame = {
        **_lineage(rows, site, file_name),
        "visit_code": _map(rows["event"], lambda t: to_visit_code(t, ctx)),
        "assessment_date": _map(rows["assessment_date"],
                                lambda t: fields.parse_date(t, ctx.site.date_format)),
    }
    for item in questionnaire_codebook():
        values = _map(_column(rows, item.item), lambda t, item=item: parse_item(t, item))
        frame[item.item] = pd.array(values, dtype="Int64" if item.whole_numbers_only
                                    else "Float64")
        if not item.whole_numbers_only:
            # the clinic's total as written, for a total_mismatch issue's raw value
            frame[f"{item.item}_text"] = [None if v is None else t for v, t in zip(
                values, _column(rows, item.item), strict=True)]
    return pd.DataFrame(frame)


def typed_medications(rows: pd.DataFrame, ctx: SchemaContext, site: str, file_name: str,
                      convertible: bool = True) -> pd.DataFrame:
    drugs = _map(rows["drug"], lambda t: to_drug(t, ctx))
    routes = [normalise_label(route) if route is not None and not pd.isna(route)
              else default_route(drug) for route, drug in zip(_column(rows, "route"), drugs,
                                                              strict=True)]
    date = lambda text: fields.parse_date(text, ctx.site.date_format)  # noqa: E731
    return pd.DataFrame({
        **_lineage(rows, site, file_name),
        "drug": drugs,
        "dose": pd.array(_map(rows["dose"], fields.parse_number), dtype="Float64"),
        "unit": _map(rows["unit"], normalise_label),
        "doses_per_day": pd.array(_map(rows["doses_per_day"], fields.parse_number),
                                  dtype="Float64"),
        "start_date": _map(rows["start_date"], date),
        "end_date": _map(_column(rows, "end_date"), date),
        "route": routes,
        "is_convertible": [convertible] * len(rows),
    })


TYPERS = {
    "patients": typed_patients,
    "procedures": typed_procedures,
    "questionnaires": typed_questionnaires,
    "medications": typed_medications,
}
