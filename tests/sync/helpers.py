"""Helpers for the sync tests: offices, chains and packages at a fixed time."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import settings

from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.sync.transport.package import PackageWriter
from sanlian_desktop.sync.transport.packfmt import body_length_for, encode_header
from sanlian_desktop.sync.trust.certs import Cert, OfficeInfo, certify, make_request, make_root
from sanlian_desktop.sync.trust.keys import OfficeKeys
from sanlian_desktop.sync.trust.suite import ChunkSealer, Suite
from tests.suites import chosen_suite

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NAMES = {
    "620000": "甘肃省民政厅",
    "620100": "兰州市民政局",
    "620102": "城关区民政局",
    "620102001": "临夏路街道办事处",
    "620102001001": "临夏路社区",
}


@dataclass
class Office:
    """An office's keys, certificate and chain (leaf first, root last)."""

    keys: OfficeKeys
    cert: Cert
    chain: list[Cert]

    @property
    def code(self) -> str:
        return self.cert.code


def certify_child(
    parent: Office, code: str, level: Level, name: str, *, at: datetime = T0, days: int = 3 * 365
) -> Office:
    """A new office certified by ``parent`` (its keys in the parent's suite)."""
    keys = OfficeKeys.generate(parent.keys.suite)
    request = make_request(OfficeInfo(code, level, name), keys, now=at)
    cert = certify(request, parent.cert, parent.keys, valid_days=days, now=at)
    return Office(keys, cert, [cert, *parent.chain])


def make_province(name: str = NAMES["620000"], suite: Suite | None = None) -> Office:
    """A province office with a self-signed root in ``suite`` (by default the tests' suite)."""
    keys = OfficeKeys.generate(suite or chosen_suite())
    root = make_root(OfficeInfo("620000", Level.PROVINCE, name), keys, now=T0)
    return Office(keys, root, [root])


def write_package(
    path: Path,
    sender: Office,
    recipient: Office,
    entries: list[tuple[str, str, int, bytes]],
    *,
    created: datetime = T0 + timedelta(days=10),
    chunk_size: int = 1024,
    seq: int = 1,
) -> PackageWriter:
    """Write a package from ``sender`` to ``recipient`` and return the closed writer."""
    with PackageWriter(
        path, sender.keys, sender.chain, recipient.cert, seq, created=created, chunk_size=chunk_size
    ) as writer:
        for kind, entry_id, version, data in entries:
            writer.add_entry(kind, entry_id, version, data)
    return writer


def seal_raw(
    path: Path,
    recipient: Office,
    plaintext: bytes,
    *,
    chunk_size: int = 256,
    sender_code: str = "620102",
    sender_name: str = "城关区民政局",
    created: datetime = T0 + timedelta(days=10),
) -> None:
    """A package whose decrypted body is ``plaintext`` exactly — what a hostile sender could make, since
    anyone can encrypt to a recipient's public key (only the manifest signature says who sent it)."""
    suite = recipient.keys.suite
    enc, shared = suite.encapsulate(recipient.cert.enc_key)
    header = encode_header(
        {
            "package_id": "f" * 32,
            "suite": suite.name,
            "created": cj.fmt_time(created),
            "sender_code": sender_code,
            "sender_name": sender_name,
            "recipient_code": recipient.code,
            "recipient_name": recipient.cert.office.name,
            "recipient_key": suite.key_id(recipient.cert.enc_key),
            "chunk_size": chunk_size,
            "body_length": body_length_for(len(plaintext), chunk_size, suite),
            "enc": cj.b64(enc),
        }
    )
    sealer = ChunkSealer(suite, suite.derive_key(shared, enc, recipient.cert.enc_key, header))
    pieces = [plaintext[i : i + chunk_size] for i in range(0, len(plaintext), chunk_size)] or [b""]
    body = b"".join(sealer.seal(p, final=i == len(pieces) - 1) for i, p in enumerate(pieces))
    path.write_bytes(header + body)


def forge_child(issuer: Office, code: str, level: Level) -> Office:
    """A certificate an issuer should never have signed, made without :func:`certify`'s checks."""
    keys = OfficeKeys.generate(issuer.keys.suite)
    cert = Cert(
        "f" * 32,
        keys.suite.name,
        OfficeInfo(code, level, "越权单位"),
        keys.sign_public,
        keys.enc_public,
        T0,
        T0 + timedelta(days=365),
        issuer.cert.code,
        issuer.cert.serial,
    )
    cert = replace(cert, signature=issuer.keys.sign(cert.signed_message()))
    return Office(keys, cert, [cert, *issuer.chain])


def examples(bounded: int) -> int:
    """How many examples a costly property test runs: ``bounded`` under the default profile (``make
    test``), a tenth of the profile's count when a larger one is loaded (``pytest
    --hypothesis-profile=nightly``, registered in tests/conftest.py)."""
    wanted = settings.default.max_examples
    return bounded if wanted <= 100 else max(bounded, wanted // 10)
