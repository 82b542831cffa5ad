"""pandera schema of the patients export."""

from __future__ import annotations

import pandera.polars as pa

from schemas import fields
from schemas.checks import (
    SchemaContext,
    optional,
    optional_date,
    required,
    required_date,
    rule_check,
)

REQUIRED = ("mrn", "date_of_birth")
COLUMNS = ("mrn", "date_of_birth", "first_name", "last_name", "sex", "mastectomy_date",
           "mastectomy_side", "treatment_group")
DATE_COLUMNS = ("date_of_birth", "mastectomy_date")


def schema(ctx: SchemaContext) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "mrn": required(),
            "date_of_birth": required_date(ctx),
            "first_name": optional(),
            "last_name": optional(),
            "sex": optional(rule_check("bad_value", fields.sex,
                                       "sex is not f/female, m/male or o/other/x")),
            "mastectomy_date": optional_date(ctx),
            "mastectomy_side": optional(rule_check("bad_value", fields.mastectomy_side,
                                                   "not left, right or bilateral")),
            "treatment_group": optional(rule_check("bad_value", fields.treatment_group,
                                                   "treatment_group is not 1 or 2")),
        },
        name="patients",
    )
