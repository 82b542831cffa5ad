"""Reading a CSV export (docs/inputs.md#4-formats).

Rows go straight into a polars frame through polars' CSV reader when a numpy scan finds the
quoting clean. The few CSVs that polars' strict reader refuses (a record longer than the
header, a stray quote, lone CR line ends) are read by Python's csv module instead, whose
reading is the reference.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.core.config import Limits, SiteConfig
from pipelines.ingest.export_table import (
    DEFAULT_LIMITS,
    HEADER_SEARCH_ROWS,
    ExportTable,
    UnreadableFile,
    build_table,
    canonical_header,
    check_cells,
    is_header,
    missing_columns,
    records_frame,
)

SNIFFED_DELIMITERS = (",", ";", "\t")
UTF8 = "utf-8-sig"


def decode(data: bytes, encoding: str) -> str:
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        raise UnreadableFile(f"cannot decode as {encoding}: {error}") from error
    if "\x00" in text:
        raise UnreadableFile("binary content, not a CSV export")
    return text


@dataclass(frozen=True)
class CsvHeader:
    delimiter: str
    index: int  # 0-based record index of the header
    cells: list[str]
    lines: int  # physical lines up to and including the header record


def find_csv_header(text: str, source: str, site: SiteConfig) -> CsvHeader:
    """The delimiter (the site's, or the one that reveals the header) and the header record."""
    last_error: Exception = missing_columns(source)
    for delimiter in (site.delimiter,) if site.delimiter else SNIFFED_DELIMITERS:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            for index in range(HEADER_SEARCH_ROWS):
                cells = next(reader, None)
                if cells is None:
                    break
                if is_header(cells, source, site):
                    return CsvHeader(delimiter, index, cells, reader.line_num)
        except csv.Error as error:
            last_error = UnreadableFile(f"not a readable CSV: {error}")
    raise last_error


def _body_offset(data: bytes, lines: int) -> int | None:
    """The byte offset after ``lines`` LF-terminated lines, or None when there are fewer."""
    offset = 0
    for _ in range(lines):
        found = data.find(b"\n", offset)
        if found < 0:
            return None
        offset = found + 1
    return offset


def clean_quoting(body: bytes, delimiter: str) -> bool:
    """Whether every quote in ``body`` is RFC 4180 quoting: a quoted field opens right after a
    delimiter or line break, holds only doubled quotes, and closes right before one.

    On such text polars' reader and Python's csv module read the same cells; anything else
    (a stray quote, text after a closing quote, a field still open at the end) goes to the
    reference reader. Vectorised over the runs of quote characters.
    """
    if b'"' not in body:
        return True
    data = np.frombuffer(body, dtype=np.uint8)
    quote = data == ord('"')
    if int(quote.sum()) % 2:
        return False  # a quoted field is still open at the end
    edges = np.diff(np.concatenate(([0], quote.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    boundary = np.zeros(256, dtype=bool)
    boundary[[ord(delimiter), ord("\n"), ord("\r")]] = True
    before = np.concatenate(([True], boundary[data[starts[1:] - 1]])) if starts[0] == 0 \
        else boundary[data[starts - 1]]
    after = np.ones(len(ends), dtype=bool)
    inside = ends < len(data)
    after[inside] = boundary[data[ends[inside]]]
    count_before = np.cumsum(ends - starts) - (ends - starts)
    opens_outside = count_before % 2 == 0
    closes = (count_before + ends - starts) % 2 == 0
    return bool(np.all(before | ~opens_outside) and np.all(after | ~closes))


def fast_csv_cells(body: bytes, width: int, delimiter: str) -> pl.DataFrame | None:
    """The body's cells by position with polars' reader, or None when it refuses the text
    (a record longer than the header, among others)."""
    schema = {f"c{position}": pl.String for position in range(width)}
    try:
        return pl.read_csv(body, has_header=False, schema=schema, separator=delimiter,
                           quote_char='"', empty_string_is_null=False, raise_if_empty=False,
                           truncate_ragged_lines=False)
    except pl.exceptions.PolarsError:
        return None


def record_cells(body: bytes, delimiter: str) -> np.ndarray:
    """Cells per record of a cleanly quoted CSV body: delimiters outside quotes plus one, per
    line break outside quotes (a quoted field may hold both)."""
    data = np.frombuffer(body, dtype=np.uint8)
    line_breaks = np.flatnonzero(data == ord("\n"))
    delimiters = np.flatnonzero(data == ord(delimiter))
    if b'"' in body:  # outside quotes: an even number of quote characters before it
        quotes = np.flatnonzero(data == ord('"'))
        line_breaks = line_breaks[np.searchsorted(quotes, line_breaks) % 2 == 0]
        delimiters = delimiters[np.searchsorted(quotes, delimiters) % 2 == 0]
    records = len(line_breaks) + (1 if len(data) and data[-1] != ord("\n") else 0)
    return np.bincount(np.searchsorted(line_breaks, delimiters), minlength=records) + 1


def count_lines(path: Path, stop_after: int) -> int:
    """Line breaks in the file, reading it in chunks; stops counting past ``stop_after``."""
    lines = 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            lines += chunk.count(b"\n")
            if lines > stop_after:
                break
    return lines


def python_csv_rows(text: str, delimiter: str, limits: Limits) -> list[list[str]]:
    """The reference reading, record by record (Python's csv module).

    A quoted field still open at the end of the file makes the file unreadable: the message
    names the line where that record began.
    """
    previous_limit = csv.field_size_limit(limits.max_cell_bytes)
    try:
        strict = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        rows, line = [], 0
        try:
            for row in strict:
                rows.append(row)
                line = strict.line_num
            return rows
        except csv.Error as error:
            if "unexpected end of data" in str(error):
                raise UnreadableFile(f"a quoted field opened on line {line + 1} is still open "
                                     "at the end of the file") from error
            if "field larger than field limit" in str(error):
                raise UnreadableFile(f"a cell is longer than the limit of "
                                     f"{limits.max_cell_bytes} bytes (limits.max_cell_bytes)"
                                     ) from error
        # other quoting faults (text after a closing quote): read as Python reads them
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    finally:
        csv.field_size_limit(previous_limit)


def read_csv(path: Path, source: str, site: SiteConfig,
             limits: Limits = DEFAULT_LIMITS) -> ExportTable:
    """Read a CSV export; the delimiter is the site's, or the one that reveals the header."""
    try:
        if count_lines(path, limits.max_rows + HEADER_SEARCH_ROWS) > (
                limits.max_rows + HEADER_SEARCH_ROWS):
            raise UnreadableFile(f"more than {limits.max_rows} data rows (limits.max_rows)")
        data = path.read_bytes()
    except OSError as error:
        raise UnreadableFile(f"cannot read the file: {error.strerror}") from error
    text = decode(data, site.encoding)
    header = find_csv_header(text, source, site)
    names = canonical_header(header.cells, site)
    if site.encoding == UTF8:
        utf8 = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    else:
        utf8 = text.encode("utf-8")
    lone_cr = utf8.count(b"\r") != utf8.count(b"\r\n")
    offset = None if lone_cr else _body_offset(utf8, header.lines)
    body = b"" if offset is None else utf8[offset:]
    cells = None
    if offset is not None and clean_quoting(body, header.delimiter):
        cells = fast_csv_cells(body, len(names), header.delimiter)
    if cells is None:
        table = build_table(python_csv_rows(text, header.delimiter, limits), source, site)
    else:
        rows, malformed = records_frame(cells, names, record_cells(body, header.delimiter))
        table = ExportTable(header.index + 1, names, rows, malformed)
    return check_cells(table, limits)
