"""Pseudonymous patient keys (docs/tables.md#3-privacy)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from pipelines.core.pseudonym import load_key, patient_key


def test_patient_key_is_the_first_16_hex_of_hmac_sha256():
    expected = hmac.new(b"secret", b"pune:A1001", hashlib.sha256).hexdigest()[:16]
    assert patient_key(b"secret", "pune", "A1001") == expected
    assert patient_key(b"secret", "pune", "a1001") != expected  # an mrn keeps its case


def test_the_environment_key_wins_over_the_file(tmp_path):
    (tmp_path / "pseudonym.key").write_text("from-file\n")
    assert load_key(tmp_path, "from-env") == b"from-env"
    assert load_key(tmp_path) == b"from-file"  # surrounding white space stripped


def test_a_new_key_file_is_64_hex_characters_mode_0600(tmp_path):
    key = load_key(tmp_path / "warehouse")
    path = tmp_path / "warehouse" / "pseudonym.key"
    assert len(key) == 64 and all(c in b"0123456789abcdef" for c in key)
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["pseudonym.key"]


def test_an_empty_key_file_is_refused(tmp_path):
    (tmp_path / "pseudonym.key").write_text("\n")
    with pytest.raises(ValueError, match="is empty"):
        load_key(tmp_path)
