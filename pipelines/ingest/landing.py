"""The landing folder: which files a load sees and what status each one gets.

docs/rules.md#2-snapshots. The order of checks is: rejected (bad_file_name, then
unreadable_file, missing_columns, empty_snapshot, conflicting_snapshot), duplicate_file,
superseded, loaded. Nothing here writes to the landing folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

from pipelines.core.reference import SOURCES
from pipelines.core.warehouse import DUPLICATE, LOADED, REJECTED, SUPERSEDED

FILE_NAME = re.compile(
    r"^(?P<source>[a-z]+)_(?P<site>[a-z0-9]+)_(?P<date>\d{8})\.(?P<ext>csv|xlsx)$",
    re.IGNORECASE | re.ASCII)



@dataclass(frozen=True)
class ExportName:
    source: str
    site: str
    export_date: dt.date


def parse_file_name(name: str) -> ExportName | None:
    """``<source>_<site>_<YYYYMMDD>.<csv|xlsx>``, case-insensitive; None when it does not match."""
    match = FILE_NAME.match(name)
    if not match or match["source"].lower() not in SOURCES:
        return None
    try:
        export_date = dt.datetime.strptime(match["date"], "%Y%m%d").date()
    except ValueError:
        return None
    return ExportName(match["source"].lower(), match["site"].lower(), export_date)


@dataclass(frozen=True)
class LandingFile:
    """A file seen in the landing folder and what the load decided about it."""

    file_name: str
    path: Path
    sha256: str | None  # None for a symbolic link, which is never followed
    export: ExportName | None
    status: str | None = None
    rule: str | None = None  # the rejection rule, for rejected files
    message: str = ""
    rows_read: int = 0

    @property
    def source(self) -> str | None:
        return self.export.source if self.export else None

    @property
    def site(self) -> str | None:
        return self.export.site if self.export else None

    @property
    def export_date(self) -> dt.date | None:
        return self.export.export_date if self.export else None

    def rejected(self, rule: str, message: str, rows_read: int = 0) -> LandingFile:
        return replace(self, status=REJECTED, rule=rule, message=message, rows_read=rows_read)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def display_name(name: str) -> str:
    """A file name as it is stored and printed: a name that is not valid UTF-8 keeps its bad
    bytes as escapes (``\\xe9``), so no file name can stop a load."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def scan_landing(landing_dir: Path) -> list[LandingFile]:
    """Every entry directly in the landing folder that counts: regular files and links.

    Hidden files and sub-folders are ignored; a symbolic link is listed (to be rejected) but
    never followed; a badly named regular file is rejected here with ``bad_file_name``.
    """
    files = []
    for path in sorted(landing_dir.iterdir(), key=lambda p: display_name(p.name)):
        if path.name.startswith("."):
            continue
        name = display_name(path.name)
        export = parse_file_name(name)
        if path.is_symlink():
            entry = LandingFile(name, path, None, export)
            if export is None:
                entry = entry.rejected("bad_file_name", "file name does not match "
                                       "<source>_<site>_<YYYYMMDD>.<csv|xlsx>")
            else:
                entry = entry.rejected("unreadable_file", "a symbolic link is not followed")
            files.append(entry)
            continue
        if not path.is_file():
            continue
        try:
            digest = sha256_of(path)
        except OSError as error:
            files.append(LandingFile(name, path, None, export).rejected(
                "bad_file_name" if export is None else "unreadable_file",
                f"cannot read the file: {error.strerror}"))
            continue
        entry = LandingFile(name, path, digest, export)
        if export is None:
            entry = entry.rejected(
                "bad_file_name", "file name does not match <source>_<site>_<YYYYMMDD>.<csv|xlsx>")
        files.append(entry)
    return files


UsedBefore = dict[tuple[str, str, dt.date], dict[str, set[str]]]


def _key(entry: LandingFile) -> tuple:
    return (entry.source, entry.site, entry.export_date)


def _conflicting_snapshots(candidates: list[LandingFile], used_before: UsedBefore
                           ) -> dict[str, LandingFile]:
    """The candidates rejected as conflicting_snapshot, by file name: new bytes for a date an
    earlier load used, or new files that differ from one another for one date."""
    by_key: dict[tuple, list[LandingFile]] = defaultdict(list)
    for entry in candidates:
        by_key[_key(entry)].append(entry)
    rejected = {}
    for key, group in by_key.items():
        earlier = used_before.get(key, {})
        hashes = {f.sha256 for f in group}
        for entry in group:
            if earlier and entry.sha256 not in earlier:
                rejected[entry.file_name] = entry.rejected(
                    "conflicting_snapshot",
                    f"differs from the file an earlier load used for {key[0]}/{key[1]}/"
                    f"{key[2]:%Y%m%d}; send corrections with a new export date",
                    entry.rows_read)
            elif not earlier and len(hashes) > 1:
                others = ", ".join(f.file_name for f in group if f is not entry)
                rejected[entry.file_name] = entry.rejected(
                    "conflicting_snapshot",
                    f"differs from {others} for the same source, site and export date",
                    entry.rows_read)
    return rejected


def _duplicate_files(remaining: list[LandingFile]) -> dict[str, LandingFile]:
    """Every file after the first of the same bytes (in ``remaining``'s order) as a
    duplicate_file, by file name."""
    duplicates = {}
    first_by_hash: dict[str, LandingFile] = {}
    for entry in remaining:
        first = first_by_hash.setdefault(entry.sha256, entry)
        if first is not entry:
            duplicates[entry.file_name] = replace(
                entry, status=DUPLICATE, rows_read=0,
                message=f"same bytes as {first.file_name}")
    return duplicates


def _loaded_or_superseded(snapshots: list[LandingFile]) -> dict[str, LandingFile]:
    """Per source and site the newest snapshot (the last, ``snapshots`` being sorted by
    date) is loaded and the others superseded, by file name."""
    current: dict[tuple, LandingFile] = {}
    for entry in snapshots:
        current[(entry.source, entry.site)] = entry
    statuses = {}
    for entry in snapshots:
        newest = current[(entry.source, entry.site)]
        if newest is entry:
            statuses[entry.file_name] = replace(entry, status=LOADED)
        else:
            statuses[entry.file_name] = replace(
                entry, status=SUPERSEDED, rows_read=0,
                message=f"superseded by {newest.file_name}")
    return statuses


def assign_statuses(files: list[LandingFile], used_before: UsedBefore) -> list[LandingFile]:
    """Give every file not yet rejected its status.

    ``files`` have already been through the name and reading checks (rejected ones keep their
    status, and take no part in what follows); ``used_before`` maps (source, site, export
    date) to {sha256: the names under which earlier loads used (loaded or superseded) a file
    of those bytes for it}. New files that differ for one date are all rejected, byte copies of
    one another included; a byte copy of a file used before is not new: the file used before
    (under its old name, when it is still there) is used and the copy is a duplicate_file.
    """
    decided = {f.file_name: f for f in files if f.status == REJECTED}
    candidates = [f for f in files if f.status != REJECTED]

    def used_under_this_name(entry: LandingFile) -> bool:
        return entry.file_name in used_before.get(_key(entry), {}).get(entry.sha256, set())

    def sort_key(entry: LandingFile) -> tuple:
        return (entry.export_date, not used_under_this_name(entry), entry.file_name)

    decided.update(_conflicting_snapshots(candidates, used_before))
    remaining = sorted((f for f in candidates if f.file_name not in decided), key=sort_key)
    decided.update(_duplicate_files(remaining))
    decided.update(_loaded_or_superseded(
        [entry for entry in remaining if entry.file_name not in decided]))
    return [decided[f.file_name] for f in files]
