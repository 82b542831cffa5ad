"""Pseudonymous patient keys for the published database (docs/tables.md#3-privacy)."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_FILE = "pseudonym.key"


def load_key(warehouse_dir: Path, configured: str | None = None) -> bytes:
    """The HMAC key: ``configured`` (``$PMPS_PSEUDONYM_KEY``), else ``<warehouse>/pseudonym.key``.

    The key file is created once, with 64 random hex characters and mode 0600.
    """
    if configured:
        return configured.encode("utf-8")
    path = Path(warehouse_dir) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # written whole under another name first, so a crash never leaves an empty key
        staged = path.with_name(f".{KEY_FILE}.{os.getpid()}.tmp")
        descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(staged, path)
    key = path.read_text(encoding="utf-8").strip()
    if not key:
        raise ValueError(f"{path} is empty: restore the key, or remove the file to start "
                         "new pseudonyms")
    return key.encode("utf-8")


def patient_key(key: bytes, site: str, mrn: str) -> str:
    """The first 16 hex characters of HMAC-SHA256(key, '<site>:<mrn>')."""
    return hmac.new(key, f"{site}:{mrn}".encode(), hashlib.sha256).hexdigest()[:16]
