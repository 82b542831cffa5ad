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
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.core.config import Limits, SiteConfig, normalise_label
from schemas import SOURCE_SPECS
from schemas.fields import DATE_CELL, date_cell_column
from schemas.source import ROW_NUMBER

HEADER_SEARCH_ROWS = 10
SNIFFED_DELIMITERS = (",", ";", "\t")
UTF8 = "utf-8-sig"
DEFAULT_LIMITS = Limits()


class UnreadableFile(Exception):
    """Not a readable CSV/XLSX export."""


class MissingColumns(Exception):
    """No row within the first rows holds every required column."""


@dataclass
class ExportTable:
    """The records of one export as trimmed text under canonical column names.

    ``rows`` has ``row_number`` (the record's position below the header row) and one text
    column per named header cell (the first, when two cells name the same column); blank
    rows are left out but keep their number. An XLSX column that holds date cells also has
    ``date cell: <name>`` (a Date where the cell was a date). ``malformed`` lists the records
    that do not fit the header (row_number, message); they are in ``rows`` too.
    """

    header_row: int  # 1-based position of the header row in the file
    columns: list[str]  # canonical names of the header cells, in file order
    rows: pl.DataFrame
    malformed: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(
        schema={ROW_NUMBER: pl.Int32, "message": pl.String}))

    @property
    def rows_read(self) -> int:
        return self.rows.height

    @property
    def names(self) -> list[str]:
        """The named text columns of ``rows``, in file order."""
        return [name for name in self.rows.columns
                if name != ROW_NUMBER and not name.startswith(DATE_CELL)]

    @property
    def records(self) -> list[tuple[int, dict[str, str]]]:
        """(row_number, {column: text}) per record; for small files and tests."""
        return [(row.pop(ROW_NUMBER), row) for row in self.rows.select(
            ROW_NUMBER, *self.names).to_dicts()]


def canonical_header(cells: list[str], site: SiteConfig) -> list[str]:
    """Header cells after trimming, case-folding and the site's renaming."""
    names = []
    for cell in cells:
        label = normalise_label(cell)
        names.append(site.columns.get(label, label))
    return names


def is_header(cells: list[str], source: str, site: SiteConfig) -> bool:
    return set(SOURCE_SPECS[source].required) <= set(canonical_header(cells, site))


def missing_columns(source: str) -> MissingColumns:
    return MissingColumns(f"no row among the first {HEADER_SEARCH_ROWS} holds all of: "
                          + ", ".join(sorted(SOURCE_SPECS[source].required)))


def last_named(names: list[str]) -> int:
    """How many header cells there are up to the last named one."""
    return max((position + 1 for position, name in enumerate(names) if name), default=0)


def records_frame(cells: pl.DataFrame, names: list[str],
                  cell_counts: np.ndarray | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Text cells by position (``cells``, one column per header cell) -> the records frame and
    the malformed records.

    Cells are trimmed; a row whose cells are all empty is no record but keeps its number. With
    ``cell_counts`` (cells per record, CSV), a record with fewer cells than the header's last
    named column is malformed; so is a record with a non-empty cell after that column.
    """
    first: dict[str, str] = {}
    for position, name in enumerate(names):
        if name and name not in first and name != ROW_NUMBER:
            first[name] = cells.columns[position]
    trimmed = [pl.col(column).fill_null("").str.strip_chars().alias(name)
               for name, column in first.items()]
    everything = [pl.col(c).fill_null("").str.strip_chars() for c in cells.columns]
    blank = pl.all_horizontal([c == "" for c in everything]) if everything else pl.lit(True)
    named = last_named(names)
    beyond = [pl.col(c).fill_null("").str.strip_chars() != "" for c in cells.columns[named:]]
    counted = cells.with_row_index(ROW_NUMBER, offset=1).with_columns(
        pl.col(ROW_NUMBER).cast(pl.Int32),
        (pl.Series("_cells", cell_counts, dtype=pl.Int64) if cell_counts is not None
         else pl.lit(len(names), pl.Int64).alias("_cells")),
        (pl.any_horizontal(beyond) if beyond else pl.lit(False)).alias("_beyond"),
    ).filter(~blank)
    short = counted.filter(pl.col("_cells") < named).select(
        ROW_NUMBER, pl.format("the record has {} cells; the header names {} columns",
                              pl.col("_cells"), pl.lit(named)).alias("message"))
    long = counted.filter((pl.col("_cells") >= named) & pl.col("_beyond")).select(
        ROW_NUMBER, pl.format("the record has {} cells and one after the header's {} named "
                              "columns is not empty", pl.col("_cells"),
                              pl.lit(named)).alias("message"))
    return counted.select(ROW_NUMBER, *trimmed), pl.concat([short, long]).sort(ROW_NUMBER)


def build_table(rows: list[list[str]], source: str, site: SiteConfig) -> ExportTable:
    """Find the header row among Python rows of text and turn the rows below it into records
    (every cell of a record kept, those beyond the header too, for the malformed check)."""
    header = next((index for index, row in enumerate(rows[:HEADER_SEARCH_ROWS])
                   if is_header(row, source, site)), None)
    if header is None:
        raise missing_columns(source)
    names = canonical_header(rows[header], site)
    body = rows[header + 1:]
    width = max([len(names), *(len(row) for row in body)])
    columns = {f"c{position}": [row[position] if position < len(row) else "" for row in body]
               for position in range(width)}
    cells = pl.DataFrame(columns, schema={c: pl.String for c in columns})
    counts = np.array([len(row) for row in body], dtype=np.int64)
    names = names + [""] * (width - len(names))
    rows_frame, malformed = records_frame(cells, names, counts)
    return ExportTable(header + 1, names[:len(canonical_header(rows[header], site))],
                       rows_frame, malformed)


def check_cells(table: ExportTable, limits: Limits) -> ExportTable:
    """Reject a file with too many rows or a cell longer than the limits allow."""
    if table.rows_read > limits.max_rows:
        raise UnreadableFile(f"more than {limits.max_rows} data rows (limits.max_rows)")
    text = [pl.col(name).str.len_bytes().max() for name in table.names]
    longest = max((v or 0 for v in table.rows.select(text).row(0)), default=0) if text else 0
    if longest > limits.max_cell_bytes:
        raise UnreadableFile(f"a cell of {longest} bytes is longer than the limit of "
                             f"{limits.max_cell_bytes} (limits.max_cell_bytes)")
    return table


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


# ---- XLSX --------------------------------------------------------------------------------


def check_xlsx_size(path: Path, limits: Limits) -> None:
    """Reject an XLSX whose worksheets expand past the limit, before reading them."""
    try:
        with zipfile.ZipFile(path) as archive:
            sheets = [info for info in archive.infolist()
                      if info.filename.startswith("xl/worksheets/")]
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise UnreadableFile(f"not a readable XLSX: {type(error).__name__}") from error
    largest = max((info.file_size for info in sheets), default=0)
    if largest > limits.max_xlsx_uncompressed_bytes:
        raise UnreadableFile(
            f"a sheet expands to {largest} bytes, over the limit of "
            f"{limits.max_xlsx_uncompressed_bytes} (limits.max_xlsx_uncompressed_bytes)")


def xlsx_cells(path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The first sheet's cells by position: as text (numbers as written, whole numbers without
    '.0', date cells as ISO dates, booleans as TRUE/FALSE), and the date cells as dates."""
    import fastexcel

    try:
        workbook = fastexcel.read_excel(path)
        text = workbook.load_sheet(0, header_row=None, dtypes="string").to_polars()
        numbers = workbook.load_sheet(0, header_row=None, dtypes="float").to_polars()
        stamps = workbook.load_sheet(0, header_row=None, dtypes="datetime").to_polars()
    except Exception as error:  # the reader raises many kinds for a broken archive
        raise UnreadableFile(f"not a readable XLSX: {type(error).__name__}") from error
    columns, dates = [], []
    for position, name in enumerate(text.columns):
        cell, number, stamp = text[name], numbers[numbers.columns[position]], stamps[
            stamps.columns[position]]
        is_date = stamp.is_not_null() & number.is_null()
        is_boolean = cell.is_in(["true", "false"]) & number.is_not_null()
        date = pl.select(pl.when(is_date).then(stamp.dt.date())).to_series()
        columns.append(
            pl.select(pl.when(is_date).then(date.dt.strftime("%Y-%m-%d"))
                      .when(is_boolean).then(cell.str.to_uppercase())
                      .otherwise(cell)).to_series().alias(f"c{position}"))
        dates.append(date.alias(f"c{position}"))
    return pl.DataFrame(columns), pl.DataFrame(dates)


def read_xlsx(path: Path, source: str, site: SiteConfig, limits: Limits = DEFAULT_LIMITS
              ) -> ExportTable:
    """Read the first sheet of an XLSX export. Date cells are dates whatever the site's text
    format (CONTRACT.md section 1): they are kept as dates beside their text."""
    check_xlsx_size(path, limits)
    cells, dates = xlsx_cells(path)
    head = [[("" if value is None else str(value)) for value in row]
            for row in cells.head(HEADER_SEARCH_ROWS).iter_rows()]
    header = next((index for index, row in enumerate(head) if is_header(row, source, site)),
                  None)
    if header is None:
        raise missing_columns(source)
    names = canonical_header(head[header], site)
    rows, _ = records_frame(cells.slice(header + 1), names)
    first = {name: position for position, name in reversed(list(enumerate(names))) if name}
    body_dates = dates.slice(header + 1).with_row_index(ROW_NUMBER, offset=1).with_columns(
        pl.col(ROW_NUMBER).cast(pl.Int32))
    with_dates = [pl.col(f"c{position}").alias(date_cell_column(name))
                  for name, position in first.items()
                  if body_dates[f"c{position}"].is_not_null().any()]
    if with_dates:
        rows = rows.join(body_dates.select(ROW_NUMBER, *with_dates), on=ROW_NUMBER,
                         how="left")
    return check_cells(ExportTable(header + 1, names, rows), limits)


def read_export(path: Path, source: str, site: SiteConfig, limits: Limits = DEFAULT_LIMITS
                ) -> ExportTable:
    """Read a CSV or XLSX export of ``source`` as text records."""
    if path.suffix.lower() == ".xlsx":
        return read_xlsx(path, source, site, limits)
    return read_csv(path, source, site, limits)
