"""Signed statements (opinions, decisions): verified at their signed time, across renewal and revocation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sanlian_desktop.errors import UserError
from sanlian_desktop.sync.certs import BadSignatureError, Cert, CertExpiredError, CertRevokedError, renew
from sanlian_desktop.sync.chain import revocation_map, revoke
from sanlian_desktop.sync.statements import sign_statement, verify_statement
from sanlian_desktop.vocab import Level
from tests.sync.synchelpers import T0, Office, certify_child

OPINION = {"declaration": "D-0001", "version": 3, "decision": "approve", "text": "同意上报。"}


def test_opinion_survives_renewal_and_expiry(offices: dict[str, Office], root: Cert) -> None:
    city = offices["620100"]
    county = certify_child(city, "620103", Level.COUNTY, "七里河区民政局", days=365)
    signed = sign_statement("opinion", OPINION, county.keys, county.chain, at=T0 + timedelta(days=100))
    renewed = [renew(county.cert, city.cert, city.keys, now=T0 + timedelta(days=360)), *city.chain]
    later = sign_statement("opinion", OPINION, county.keys, renewed, at=T0 + timedelta(days=400))
    for data in (signed, later):
        statement = verify_statement(data, root, set(), kind="opinion")
        assert statement.body == OPINION and statement.signer.code == "620103"
    with pytest.raises(UserError, match="不是所需的"):
        verify_statement(signed, root, set(), kind="decision")


def test_tampering_and_revocation(offices: dict[str, Office], root: Cert) -> None:
    county, city = offices["620102"], offices["620100"]
    at = T0 + timedelta(days=50)
    signed = sign_statement("opinion", OPINION, county.keys, county.chain, at=at)
    with pytest.raises(BadSignatureError, match="签名无效"):
        verify_statement(signed.replace("同意".encode(), "不同意".encode()), root, set())
    with pytest.raises(CertExpiredError):
        verify_statement(signed.replace(b"2026-02-20", b"2036-02-20"), root, set())
    after = revoke(county.cert, city.cert, city.keys, "撤并", effective=at + timedelta(days=1), now=at)
    assert verify_statement(signed, root, revocation_map([after]))
    before = revoke(county.cert, city.cert, city.keys, "密钥泄露", effective=at, now=at)
    with pytest.raises(CertRevokedError):
        verify_statement(signed, root, revocation_map([before]))
    with pytest.raises(UserError, match="不匹配"):
        sign_statement("opinion", OPINION, city.keys, county.chain)
