"""Reading one clinic export (CSV or XLSX) into a frame of text (CONTRACT.md section 1, Formats).

Every cell is read as text; typing is the validation step's job. The header row is the first
row, within the first 10, that holds all of the source's required columns after renaming.

Rows go straight into a polars frame: polars' CSV reader, fastexcel (calamine) for XLSX. The
few CSVs that polars' strict reader refuses (a record longer than the header, a stray quote,
lone CR line ends) are read by Python's csv module instead, whose reading is the reference.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.config import SiteConfig, normalise_label
from schemas import REQUIRED_COLUMNS

HEADER_SEARCH_ROWS = 10
SNIFFED_DELIMITERS = (",", ";", "\t")
ROW_NUMBER = "row_number"
UTF8 = "utf-8-sig"


class UnreadableFile(Exception):
    """Not a readable CSV/XLSX export."""


class MissingColumns(Exception):
    """No row within the first rows holds every required column."""


@dataclass
class ExportTable:
    """The records of one export as trimmed text under canonical column names.

    ``rows`` has ``row_number`` (the record's position below the header row) and one text
    column per named header cell (the first, when two cells name the same column); blank
    rows are left out but keep their number.
    """

    header_row: int  # 1-based position of the header row in the file
    columns: list[str]  # canonical names of the header cells, in file order
    rows: pl.DataFrame

    @property
    def rows_read(self) -> int:
        return self.rows.height

    @property
    def names(self) -> list[str]:
        """The named columns of ``rows``, in file order."""
        return [name for name in self.rows.columns if name != ROW_NUMBER]

    @property
    def records(self) -> list[tuple[int, dict[str, str]]]:
        """(row_number, {column: text}) per record; for small files and tests."""
        return [(row.pop(ROW_NUMBER), row) for row in self.rows.to_dicts()]


def canonical_header(cells: list[str], site: SiteConfig) -> list[str]:
    """Header cells after trimming, case-folding and the site's renaming."""
    names = []
    for cell in cells:
        label = normalise_label(cell)
        names.append(site.columns.get(label, label))
    return names


def is_header(cells: list[str], source: str, site: SiteConfig) -> bool:
    return set(REQUIRED_COLUMNS[source]) <= set(canonical_header(cells, site))


def missing_columns(source: str) -> MissingColumns:
    return MissingColumns(f"no row among the first {HEADER_SEARCH_ROWS} holds all of: "
                          + ", ".join(sorted(REQUIRED_COLUMNS[source])))


def records_frame(cells: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """Text cells by position (``cells``, one column per header cell) -> the records frame.

    Cells are trimmed; a row whose cells are all empty is no record but keeps its number.
    """
    first: dict[str, str] = {}
    for position, name in enumerate(names):
        if name and name not in first:
            first[name] = cells.columns[position]
    trimmed = [pl.col(column).fill_null("").str.strip_chars().alias(name)
               for name, column in first.items()]
    everything = [pl.col(c).fill_null("").str.strip_chars() for c in cells.columns]
    blank = pl.all_horizontal([c == "" for c in everything]) if everything else pl.lit(True)
    return (cells.with_row_index(ROW_NUMBER, offset=1)
            .filter(~blank)
            .select(pl.col(ROW_NUMBER).cast(pl.Int32), *trimmed))


def build_table(rows: list[list[str]], source: str, site: SiteConfig) -> ExportTable:
    """Find the header row among Python rows of text and turn the rows below it into records."""
    header = next((index for index, row in enumerate(rows[:HEADER_SEARCH_ROWS])
                   if is_header(row, source, site)), None)
    if header is None:
        raise missing_columns(source)
    names = canonical_header(rows[header], site)
    body = rows[header + 1:]
    columns = {f"c{position}": [row[position] if position < len(row) else "" for row in body]
               for position in range(len(names))}
    cells = pl.DataFrame(columns, schema={c: pl.String for c in columns})
    return ExportTable(header + 1, names, records_frame(cells, names))


# ---- CSV ---------------------------------------------------------------------------------


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
    """The body's cells by position with polars' reader, or None when it refuses the text."""
    schema = {f"c{position}": pl.String for position in range(width)}
    try:
        return pl.read_csv(body, has_header=False, schema=schema, separator=delimiter,
                           quote_char='"', empty_string_is_null=False, raise_if_empty=False,
                           truncate_ragged_lines=False)
    except pl.exceptions.PolarsError:
        return None


def read_csv(path: Path, source: str, site: SiteConfig) -> ExportTable:
    """Read a CSV export; the delimiter is the site's, or the one that reveals the header."""
    try:
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
    if cells is None:  # the reference reading, record by record
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=header.delimiter))
        return build_table(rows, source, site)
    return ExportTable(header.index + 1, names, records_frame(cells, names))


# ---- XLSX --------------------------------------------------------------------------------


def xlsx_cells(path: Path, date_format: str) -> pl.DataFrame:
    """The first sheet's cells as text: numbers as written (whole numbers without '.0'),
    date cells in the site's date format, booleans as TRUE/FALSE."""
    import fastexcel

    try:
        workbook = fastexcel.read_excel(path)
        text = workbook.load_sheet(0, header_row=None, dtypes="string").to_polars()
        numbers = workbook.load_sheet(0, header_row=None, dtypes="float").to_polars()
        stamps = workbook.load_sheet(0, header_row=None, dtypes="datetime").to_polars()
    except Exception as error:  # the reader raises many kinds for a broken archive
        raise UnreadableFile(f"not a readable XLSX: {type(error).__name__}") from error
    columns = []
    for position, name in enumerate(text.columns):
        cell, number, stamp = text[name], numbers[numbers.columns[position]], stamps[
            stamps.columns[position]]
        is_date = stamp.is_not_null() & number.is_null()
        is_boolean = cell.is_in(["true", "false"]) & number.is_not_null()
        columns.append(
            pl.select(pl.when(is_date).then(stamp.dt.strftime(date_format))
                      .when(is_boolean).then(cell.str.to_uppercase())
                      .otherwise(cell)).to_series().alias(f"c{position}"))
    return pl.DataFrame(columns)


def read_xlsx(path: Path, source: str, site: SiteConfig) -> ExportTable:
    """Read the first sheet of an XLSX export."""
    cells = xlsx_cells(path, site.date_format)
    head = [[("" if value is None else str(value)) for value in row]
            for row in cells.head(HEADER_SEARCH_ROWS).iter_rows()]
    header = next((index for index, row in enumerate(head) if is_header(row, source, site)),
                  None)
    if header is None:
        raise missing_columns(source)
    names = canonical_header(head[header], site)
    return ExportTable(header + 1, names, records_frame(cells.slice(header + 1), names))


def read_export(path: Path, source: str, site: SiteConfig) -> ExportTable:
    """Read a CSV or XLSX export of ``source`` as text records."""
    if path.suffix.lower() == ".xlsx":
        return read_xlsx(path, source, site)
    return read_csv(path, source, site)
