"""Signed statements (opinions, decisions): verified at their signed time, across renewal and revocation."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.sync.trust.certs import (
    BadSignatureError,
    Cert,
    CertExpiredError,
    CertRevokedError,
    Revoked,
    renew,
)
from sanlian_desktop.sync.trust.chain import CertPool, UnknownCertError, revocation_map, revoke
from sanlian_desktop.sync.trust.statements import (
    LEGACY_DOMAIN,
    LEGACY_FORMAT,
    sign_statement,
    verify_statement,
)
from tests.sync.helpers import T0, Office, certify_child

OPINION = {"declaration": "D-0001", "version": 3, "decision": "approve", "text": "同意上报。"}


def _pool(root: Cert, *chains: list[Cert], revoked: Revoked = frozenset()) -> CertPool:
    """The root pinned, the certificates the statements name known (as a package carries them)."""
    return CertPool(root, revoked, certs=[c for chain in chains for c in chain])


def test_opinion_survives_renewal_and_expiry(offices: dict[str, Office], root: Cert) -> None:
    city = offices["620100"]
    county = certify_child(city, "620103", Level.COUNTY, "七里河区民政局", days=365)
    signed = sign_statement("opinion", OPINION, county.keys, county.chain, at=T0 + timedelta(days=100))
    renewed = [renew(county.cert, city.cert, city.keys, now=T0 + timedelta(days=360)), *city.chain]
    later = sign_statement("opinion", OPINION, county.keys, renewed, at=T0 + timedelta(days=400))
    pool = _pool(root, county.chain, renewed)
    for data in (signed, later):
        statement = verify_statement(data, pool, kind="opinion")
        assert statement.body == OPINION and statement.signer.code == "620103"
    with pytest.raises(UserError, match="不是所需的"):
        verify_statement(signed, pool, kind="decision")


def test_tampering_and_revocation(offices: dict[str, Office], root: Cert) -> None:
    county, city = offices["620102"], offices["620100"]
    at = T0 + timedelta(days=50)
    signed = sign_statement("opinion", OPINION, county.keys, county.chain, at=at)
    pool = _pool(root, county.chain)
    with pytest.raises(BadSignatureError, match="签名无效"):
        verify_statement(signed.replace("同意".encode(), "不同意".encode()), pool)
    with pytest.raises(CertExpiredError):
        verify_statement(signed.replace(b"2026-02-20", b"2036-02-20"), pool)
    after = revoke(county.cert, city.cert, city.keys, "撤并", effective=at + timedelta(days=1), now=at)
    assert verify_statement(signed, _pool(root, county.chain, revoked=revocation_map([after])))
    before = revoke(county.cert, city.cert, city.keys, "密钥泄露", effective=at - timedelta(seconds=1), now=at)
    with pytest.raises(CertRevokedError):
        verify_statement(signed, _pool(root, county.chain, revoked=revocation_map([before])))
    with pytest.raises(UserError, match="不匹配"):
        sign_statement("opinion", OPINION, city.keys, county.chain)


def test_a_statement_names_its_certificate_and_the_pool_supplies_it(offices: dict[str, Office], root: Cert) -> None:
    county = offices["620102"]
    signed = sign_statement("opinion", OPINION, county.keys, county.chain, at=T0 + timedelta(days=5))
    assert b'"chain"' not in signed and len(signed) < 1000  # the certificate travels once per package
    assert verify_statement(signed, _pool(root, county.chain)).signer.serial == county.cert.serial
    # Without the county's certificate (only the root), or without the city's above it, it cannot verify.
    with pytest.raises(UnknownCertError, match="缺少"):
        verify_statement(signed, _pool(root))
    with pytest.raises(UnknownCertError, match="签发单位"):
        verify_statement(signed, _pool(root, [county.cert]))
    # A statement that names another certificate than the one the pool holds under that serial.
    other = signed.replace(b'"signer_cert":"', b'"signer_cert":"0')
    with pytest.raises(UserError, match="格式不正确"):
        verify_statement(other, _pool(root, county.chain))


def test_a_forged_certificate_under_a_known_serial_is_refused(offices: dict[str, Office]) -> None:
    county, street = offices["620102"], offices["620102001"]
    pool = CertPool(offices["620000"].cert, certs=county.chain)
    forged = replace(street.cert, serial=county.cert.serial)
    with pytest.raises(BadSignatureError, match="同编号"):
        pool.add(forged)
    assert pool.add(county.cert) is False  # the same certificate again is simply known


def test_first_format_statements_still_verify(offices: dict[str, Office], root: Cert) -> None:
    """Rows signed before statements named their certificate hold the whole chain; they travel as
    they are and are checked against that chain, with the same roots and revocations."""
    county, city = offices["620102"], offices["620100"]
    at = T0 + timedelta(days=20)
    inner = {"format": LEGACY_FORMAT, "kind": "opinion", "signer_code": county.cert.code,
             "signer_serial": county.cert.serial, "signed_at": cj.fmt_time(at), "body": OPINION,
             "chain": [c.to_dict() for c in county.chain]}
    legacy = cj.dumps({"statement": inner, "signature": cj.b64(county.keys.sign(LEGACY_DOMAIN + cj.dumps(inner)))})
    statement = verify_statement(legacy, _pool(root), kind="opinion")
    assert statement.body == OPINION and statement.signer.code == "620102"
    with pytest.raises(BadSignatureError):
        verify_statement(legacy.replace("同意".encode(), "不同意".encode()), _pool(root))
    revoked = revoke(county.cert, city.cert, city.keys, "密钥泄露", effective=at - timedelta(days=1), now=at)
    with pytest.raises(CertRevokedError):
        verify_statement(legacy, _pool(root, revoked=revocation_map([revoked])))
