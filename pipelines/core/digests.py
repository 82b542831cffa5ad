"""Digests of what a result depends on: files (code, seeds, a dbt project) and the versions of
the libraries that run them. A load keeps what an earlier load made while these are equal
(pipelines/ingest/reuse.py, pipelines/core/builds.py, pipelines/publish/previous.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]


def digest(parts: Iterable[Path | str], libraries: Iterable[str] = (),
           suffixes: tuple[str, ...] | None = None, root: Path = PROJECT_DIR) -> str:
    """A digest of every file under ``parts`` (files or folders below ``root``; only names
    ending in ``suffixes``, when given), with their paths, and of the installed versions of
    ``libraries``."""
    found = hashlib.sha256()
    for part in parts:
        path = root / part
        for file in sorted([path] if path.is_file() else path.rglob("*")):
            if file.is_file() and (suffixes is None or file.suffix in suffixes):
                found.update(file.relative_to(root).as_posix().encode())
                found.update(file.read_bytes())
    for library in libraries:
        try:
            found.update(f"{library}=={metadata.version(library)}".encode())
        except metadata.PackageNotFoundError:
            found.update(f"{library} absent".encode())
    return found.hexdigest()
