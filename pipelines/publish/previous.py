"""What a release takes from the one published before it: the rows and files that did not change.

A nightly load mostly publishes what the night before published. The patients' tables are
written site by site, in their published order (site first): a site whose rows are the same
as in the published release, by the digest of its published columns, is copied from that
release's ``analytics.duckdb`` (already in order); another site's rows are selected from the
marts and sorted. When every site of ``outcomes`` was copied, the summaries computed from it
are copied too. An export file (Parquet, SPSS, Stata) of a table whose rows are the same, in
the same order, is a hard link to the published release's file, which has the same bytes.

Nothing is taken from a release made by other code or libraries (``.publish_code`` in each
release holds their digest), and nothing when there is no release. The published release is
read from a private copy of its ``analytics.duckdb``, so a reader holding it open never meets
the load. A release stays all or nothing: it is complete before ``current`` names it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipelines.core import digests
from pipelines.core.reference import SEEDS_DIR

PREVIOUS = "previous"  # the published release's database while it is attached
PUBLISH_CODE = ".publish_code"  # in each release folder: the digest of the code that made it
CODE_FOLDERS = ("pipelines/core", "pipelines/publish")
LIBRARIES = ("duckdb", "polars", "pyreadstat", "pyarrow", "scipy", "numpy")
COPY = ".previous.duckdb"  # the private copy, in the warehouse folder while a release is made


@functools.cache
def publish_code() -> str:
    """A digest of the publishing code, its templates, the seeds and the libraries' versions."""
    return digests.digest([*CODE_FOLDERS, SEEDS_DIR], LIBRARIES,
                          suffixes=(".py", ".html", ".css", ".j2", ".csv"))


def mark_code(release: Path) -> None:
    (release / PUBLISH_CODE).write_text(publish_code(), encoding="utf-8")


def usable(release: Path | None) -> bool:
    """A complete release made by this code."""
    try:
        return release is not None and (release / PUBLISH_CODE).read_text(
            encoding="utf-8") == publish_code()
    except OSError:
        return False


@contextmanager
def attached(con: duckdb.DuckDBPyConnection, release: Path | None,
             warehouse_dir: Path) -> Iterator[str | None]:
    """Attach a private copy of ``release``'s analytics.duckdb as PREVIOUS, if it is usable;
    yields PREVIOUS, or None when nothing can be taken from it."""
    database = None if release is None else release / "analytics.duckdb"
    if database is None or not usable(release) or not database.is_file():
        yield None
        return
    copy = Path(warehouse_dir) / COPY
    shutil.copyfile(database, copy)
    copy.chmod(0o600)
    try:
        con.execute(f"ATTACH '{copy}' AS {PREVIOUS} (READ_ONLY)")
        try:
            yield PREVIOUS
        finally:
            con.execute(f"DETACH {PREVIOUS}")
    finally:
        copy.unlink(missing_ok=True)


def has_table(con: duckdb.DuckDBPyConnection, database: str | None, table: str,
              columns: list[str]) -> bool:
    """``database`` holds ``table`` with exactly ``columns``, in order."""
    if database is None:
        return False
    found = [name for (name,) in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = ? "
        "AND schema_name = 'main' AND table_name = ? ORDER BY column_index",
        [database, table]).fetchall()]
    return found == columns


def site_digests(con: duckdb.DuckDBPyConnection, relation: str,
                 columns: list[str]) -> dict[str, str]:
    """Per site: the number of rows and the sum of their hashes over ``columns``."""
    select = ", ".join(f'"{c}"' for c in columns)
    return {site: f"{count}:{total}" for site, count, total in con.execute(
        f"SELECT site, count(*), sum(hash(r)::HUGEINT) FROM (SELECT {select} FROM {relation}) r "
        "GROUP BY site").fetchall()}


def table_digest(con: duckdb.DuckDBPyConnection, relation: str) -> str:
    """The rows of ``relation`` with their positions: equal digests, equal rows in one order."""
    count, total = con.execute(
        f"SELECT count(*), sum(hash(r)::HUGEINT) FROM (SELECT rowid, * FROM {relation}) r"
    ).fetchall()[0]
    return f"{count}:{total}"


class Figures:
    """The report's figures by a digest of what each one draws: a release keeps its own in
    ``.figures/`` and takes an unchanged one from the published release's before drawing it
    again (matplotlib takes a quarter of a second or more per figure)."""

    FOLDER = ".figures"

    def __init__(self, release: Path, published: Path | None) -> None:
        self.folder = release / self.FOLDER
        self.before = published / self.FOLDER if usable(published) else None

    def get(self, drawn: str, draw: Callable[[], bytes]) -> bytes:
        """The figure of ``drawn`` (a text that says all the figure shows), drawn if needed."""
        name = hashlib.sha256(f"{publish_code()}\n{drawn}".encode()).hexdigest() + ".png"
        self.folder.mkdir(exist_ok=True)
        if not (self.folder / name).is_file():
            if not link_or(None if self.before is None else self.before / name,
                           self.folder / name):
                (self.folder / name).write_bytes(draw())
        return (self.folder / name).read_bytes()


def link_or(previous: Path | None, target: Path) -> bool:
    """Hard-link ``previous`` (a published release's file) to ``target``; False when there is
    none to link."""
    if previous is None or not previous.is_file():
        return False
    os.link(previous, target)
    return True
