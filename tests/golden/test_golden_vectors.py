"""The four canonical-JSON encoders still give, byte for byte, what they gave before the layout refactor.

``tests/data/golden/vectors.json`` was written by ``scripts/make_golden_fixtures.py`` on the old code.
A unified encoder replacing them must reproduce each encoder's column (or raise where it raised): the
old call sites (``run_encoder``) now go through ``kernel.canonical``, and the kernel's variants are
checked on their own as well, as is the audit log's stored copy of an entry's details.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.models import AuditEntry
from sanlian_desktop.store import audit
from tests.golden.helpers import AUDIT_CONTEXT, ENCODERS, GOLDEN, decode, run_encoder
from tests.helpers import Office

pytestmark = pytest.mark.suite_specific  # golden package bytes are made in one suite

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


# Which variant of the one encoder stands for which old encoder.
VARIANTS: dict[str, cj.Variant] = {
    "records.canonical": cj.RECORD, "canonical.dumps": cj.SIGNED, "declfields.canonical_json": cj.FIELDS,
    "audit._entry_hash": cj.AUDIT,
}


def _audit_body(ctx: dict[str, Any], details: Any) -> list[Any]:
    """The list an audit entry's hash covers, after its ``prev_hash``."""
    at: datetime = ctx["at"]
    return [ctx["seq"], at.isoformat(timespec="microseconds"), ctx["office"], ctx["user"], ctx["action"],
            ctx["entity"], ctx["entity_id"], details]


def run_kernel(encoder: str, value: Any, audit_context: dict[str, Any] | None = None) -> dict[str, Any]:
    """What ``run_encoder`` reports for ``encoder``, computed by ``kernel.canonical`` alone."""
    variant = VARIANTS[encoder]
    try:
        if encoder == "audit._entry_hash":
            ctx = decode(audit_context or AUDIT_CONTEXT)
            hashed = (ctx["prev_hash"] + cj.text(_audit_body(ctx, value), variant)).encode("utf-8")
            return {"hashed_hex": hashed.hex(), "entry_hash": hashlib.sha256(hashed).hexdigest()}
        data = cj.encode(value, variant)
        if encoder == "declfields.canonical_json":
            return {"bytes_hex": data.hex(), "content_hash": cj.sha256_hex(value, variant)}
        out: dict[str, Any] = {"bytes_hex": data.hex(), "sha256": cj.sha256_hex(value, variant)}
        if encoder == "records.canonical" and isinstance(value, dict):
            out["record_hash"] = out["sha256"]
        return out
    except Exception as exc:  # the exception class is part of the golden behaviour
        return {"error": type(exc).__name__}


def test_the_variants_are_distinct() -> None:
    assert len(set(VARIANTS.values())) == len(VARIANTS) == len(ENCODERS)
    assert set(VARIANTS) == set(ENCODERS)


@pytest.mark.parametrize("encoder", ENCODERS)
def test_the_kernel_encoder_reproduces_every_vector(encoder: str) -> None:
    mismatched = []
    for vector in VECTORS["vectors"]:
        if run_kernel(encoder, decode(vector["input"])) != vector["outputs"][encoder]:
            mismatched.append(vector["name"])
    assert not mismatched, f"kernel.canonical {VARIANTS[encoder].name} differs from {encoder} on: {mismatched}"


@pytest.mark.parametrize("vector", VECTORS["audit_vectors"], ids=lambda v: v["name"])
def test_the_kernel_encoder_hashes_audit_entries_in_each_context(vector: dict[str, Any]) -> None:
    assert run_kernel("audit._entry_hash", decode(vector["details"]), vector["context"]) == vector["output"]


def _pre_refactor_details(details: Any) -> str:
    """The audit log's stored copy of ``details`` as ``audit.record`` made it before the refactor, as text
    that keeps key order and compares NaN equal to itself (or the error it raised)."""
    try:
        return json.dumps(json.loads(json.dumps(details or {}, ensure_ascii=False, default=str)), ensure_ascii=False)
    except Exception as exc:
        return f"error {type(exc).__name__}"


def _details_now(details: Any) -> str:
    try:
        return json.dumps(cj.to_plain(details or {}, cj.AUDIT), ensure_ascii=False)
    except Exception as exc:
        return f"error {type(exc).__name__}"


def test_audit_details_are_stored_as_before() -> None:
    """``audit.record`` keeps a JSON copy of the details; it is what later verification re-hashes."""
    mismatched = [v["name"] for v in VECTORS["vectors"]
                  if _details_now(decode(v["input"])) != _pre_refactor_details(decode(v["input"]))]
    assert not mismatched, mismatched


def test_audit_record_chains_every_vector_as_before(county: Office) -> None:
    """Each vector whose details the old ``audit.record`` accepted is appended through the new one: the
    stored details and link are what the pre-refactor expression gives, and the chain verifies."""
    at = datetime.fromisoformat("2026-01-01T00:00:00.123456+00:00")  # stored as UTC, so re-hashed alike
    appended = 0
    with county.store.session() as s:
        for vector in VECTORS["vectors"]:
            details = decode(vector["input"])
            refused = "error" in vector["outputs"]["audit._entry_hash"]
            if refused or not isinstance(details, dict) or _pre_refactor_details(details).startswith("error"):
                continue
            audit.record(s, office="620102", user="admin", action="golden", entity="vector",
                         entity_id=vector["name"], details=details, at=at)
            appended += 1
    with county.store.read_session() as s:
        by_name = {e.entity_id: e for e in s.scalars(select(AuditEntry).where(AuditEntry.action == "golden"))}
        for vector in VECTORS["vectors"]:
            if vector["name"] in by_name:
                entry = by_name[vector["name"]]
                details = decode(vector["input"])
                stored = json.loads(json.dumps(details or {}, ensure_ascii=False, default=str))
                body = json.dumps(
                    [entry.seq, at.isoformat(timespec="microseconds"), "620102", "admin", "golden", "vector",
                     vector["name"], stored], ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
                assert entry.hash == hashlib.sha256((entry.prev_hash + body).encode("utf-8")).hexdigest(), \
                    vector["name"]
                got = json.dumps(entry.details, ensure_ascii=False)
                assert got == _pre_refactor_details(details), vector["name"]
        assert audit.verify(s).ok
    assert appended == len(by_name) >= 20


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
