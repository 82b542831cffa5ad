"""Reading one clinic export (CSV or XLSX) into a frame of text (docs/inputs.md#4-formats).

The file's suffix picks the reader: ``csv_reader`` (polars' reader, or Python's csv module
where a quote scan finds quoting polars would read differently) or ``xlsx_reader``
(fastexcel). What both return, and the header and record steps they share, are in
``export_table``; the names the rest of the pipeline imports are all here.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.core.config import Limits, SiteConfig
from pipelines.ingest.csv_reader import read_csv
from pipelines.ingest.export_table import (
    DEFAULT_LIMITS,
    HEADER_SEARCH_ROWS,
    ExportTable,
    MissingColumns,
    UnreadableFile,
    build_table,
)
from pipelines.ingest.xlsx_reader import read_xlsx
from schemas.source import ROW_NUMBER

__all__ = ["HEADER_SEARCH_ROWS", "ROW_NUMBER", "ExportTable", "MissingColumns",
           "UnreadableFile", "build_table", "read_csv", "read_export", "read_xlsx"]


def read_export(path: Path, source: str, site: SiteConfig, limits: Limits = DEFAULT_LIMITS
                ) -> ExportTable:
    """Read a CSV or XLSX export of ``source`` as text records."""
    if path.suffix.lower() == ".xlsx":
        return read_xlsx(path, source, site, limits)
    return read_csv(path, source, site, limits)
