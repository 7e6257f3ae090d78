"""The four canonical-JSON encoders still give, byte for byte, what they gave before the layout refactor.

``tests/data/golden/vectors.json`` was written by ``scripts/make_golden_fixtures.py`` on the old code.
A unified encoder replacing them must reproduce each encoder's column (or raise where it raised).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.golden.goldenlib import ENCODERS, GOLDEN, decode, run_encoder

VECTORS: dict[str, Any] = json.loads((GOLDEN / "vectors.json").read_text("utf-8"))


def test_the_file_covers_every_encoder() -> None:
    assert VECTORS["encoders"] == list(ENCODERS)
    assert len(VECTORS["vectors"]) >= 30
    for vector in VECTORS["vectors"]:
        assert set(vector["outputs"]) == set(ENCODERS), vector["name"]


@pytest.mark.parametrize("encoder", ENCODERS)
def test_every_vector_reproduces(encoder: str) -> None:
    mismatched = []
    for vector in VECTORS["vectors"]:
        got = run_encoder(encoder, decode(vector["input"]))
        if got != vector["outputs"][encoder]:
            mismatched.append(vector["name"])
    assert not mismatched, f"{encoder} differs on: {mismatched}"


@pytest.mark.parametrize("vector", VECTORS["audit_vectors"], ids=lambda v: v["name"])
def test_audit_entry_hash_in_each_context(vector: dict[str, Any]) -> None:
    got = run_encoder("audit._entry_hash", decode(vector["details"]), vector["context"])
    assert got == vector["output"]


def test_hashes_are_of_the_bytes() -> None:
    """The recorded hashes are SHA-256 of the recorded bytes (so a later test may rely on either)."""
    import hashlib

    for vector in VECTORS["vectors"]:
        for encoder in ("records.canonical", "canonical.dumps"):
            out = vector["outputs"][encoder]
            if "error" not in out:
                assert hashlib.sha256(bytes.fromhex(out["bytes_hex"])).hexdigest() == out["sha256"]
                assert out.get("record_hash", out["sha256"]) == out["sha256"]
        out = vector["outputs"]["declfields.canonical_json"]
        if "error" not in out:
            assert hashlib.sha256(bytes.fromhex(out["bytes_hex"])).hexdigest() == out["content_hash"]
        out = vector["outputs"]["audit._entry_hash"]
        if "error" not in out:
            assert hashlib.sha256(bytes.fromhex(out["hashed_hex"])).hexdigest() == out["entry_hash"]
