"""The group summary laid out as the paper's table: a row per parameter and group, a column
per visit, cells `mean (SD) n`."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.core.exit_codes import EXIT_FAILED, EXIT_OK
from pipelines.publish.release import ANALYTICS_DB
from pipelines.publish.summaries import GROUP_ORDER, PARAM_ORDER

EXPLANATION = ("Each cell: mean (SD) of the patients in the analysis with a value, then n, the "
               "number of those patients;\nSD is NA for a single patient. Groups: NI_USGDN "
               "(neural intervention then USGDN), USGDN_ONLY, ALL (both).")


def paper_table(group_summary: pd.DataFrame) -> pd.DataFrame:
    """Pivot the group summary: index (param, group), columns visits by visit_order, cells
    ``mean (SD) n=N``."""
    visits = (group_summary[["visit_code", "visit_order"]].drop_duplicates()
              .sort_values("visit_order")["visit_code"].tolist())
    cells = group_summary.assign(cell=group_summary["mean_sd"] + " n=" +
                                 group_summary["n"].astype(str))
    table = cells.pivot_table(index=["param_code", "group_code"], columns="visit_code",
                              values="cell", aggfunc="first")
    table = table.reindex(columns=visits).fillna("")
    order = sorted(table.index, key=lambda k: (PARAM_ORDER.get(k[0], 99),
                                               GROUP_ORDER.get(k[1], 99)))
    return table.loc[order]


def format_paper_table(table: pd.DataFrame) -> str:
    """Fixed-width text: one line per parameter and group."""
    header = ["param", "group", *table.columns]
    rows = [[param, group, *values] for (param, group), values in
            zip(table.index, table.itertuples(index=False), strict=True)]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in [header, *rows]]
    return "\n".join(lines)


def print_summary(warehouse_dir: Path) -> int:
    path = Path(warehouse_dir) / ANALYTICS_DB
    if not path.is_file():
        print(f"pmps: {path} does not exist; run `pmps load` first", file=sys.stderr)
        return EXIT_FAILED
    con = duckdb.connect(str(path), read_only=True)
    try:
        summary = con.execute("SELECT * FROM group_summary").df()
    finally:
        con.close()
    if summary.empty:
        print("The group summary is empty: no patient is in the analysis.")
        return EXIT_OK
    print(format_paper_table(paper_table(summary)))
    print(EXPLANATION)
    return EXIT_OK
