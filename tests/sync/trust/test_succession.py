"""The old root's succession statement, and the refusal of a retired suite by the moment it is used at."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.sync.trust.certs import BadSignatureError, Cert, OfficeInfo, TrustError, make_root
from sanlian_desktop.sync.trust.chain import CertPool, validate_chain
from sanlian_desktop.sync.trust.gm import GM_SUITE
from sanlian_desktop.sync.trust.keys import OfficeKeys
from sanlian_desktop.sync.trust.statements import sign_statement, verify_statement
from sanlian_desktop.sync.trust.succession import (
    Succession,
    SuiteRetiredError,
    make_succession,
    retired_suites,
    verify_succession,
)
from tests.sync.helpers import NAMES, T0, certify_child, make_province

pytestmark = pytest.mark.suite_specific  # a default-suite root succeeded by a 国密 one

UNTIL = T0 + timedelta(days=90)


def _gm_root() -> tuple[OfficeKeys, Cert]:
    keys = OfficeKeys.generate(GM_SUITE)
    return keys, make_root(OfficeInfo("620000", Level.PROVINCE, NAMES["620000"]), keys, now=T0 + timedelta(days=1))


def test_the_old_root_names_its_successor_and_the_statement_travels_as_bytes() -> None:
    old = make_province()
    _, new_root = _gm_root()
    record = make_succession(old.cert, old.keys, new_root, UNTIL, now=T0 + timedelta(days=1))
    again = Succession.decode(record.encode())
    assert again == record and again.encode() == record.encode()
    assert verify_succession(again, [old.cert]) == old.cert
    assert retired_suites([again]) == {old.cert.suite: UNTIL}


def test_a_forged_or_altered_statement_is_refused() -> None:
    old = make_province()
    stranger = make_province()  # another key pair claiming the same province
    _, new_root = _gm_root()
    forged = make_succession(stranger.cert, stranger.keys, new_root, UNTIL, now=T0)
    with pytest.raises(BadSignatureError, match="不是由本单位信任的省级根证书签署"):
        verify_succession(forged, [old.cert])
    honest = make_succession(old.cert, old.keys, new_root, UNTIL, now=T0)
    with pytest.raises(BadSignatureError, match="签名或内容无效"):
        verify_succession(replace(honest, until=UNTIL + timedelta(days=365)), [old.cert])
    # Only the holder of the old root's keys, only a root of the same province, only a future end.
    with pytest.raises(TrustError):
        make_succession(old.cert, stranger.keys, new_root, UNTIL, now=T0)
    with pytest.raises(TrustError):
        make_succession(old.cert, old.keys, new_root, T0 - timedelta(days=1), now=T0)


def test_a_retired_suite_is_judged_by_the_moment_of_use() -> None:
    province = make_province()
    city = certify_child(province, "620100", Level.CITY, NAMES["620100"])
    retired = {province.cert.suite: UNTIL}
    assert validate_chain(city.chain, province.cert, UNTIL - timedelta(seconds=1), retired=retired) == city.cert
    with pytest.raises(SuiteRetiredError, match="过渡期已于"):
        validate_chain(city.chain, province.cert, UNTIL + timedelta(seconds=1), retired=retired)
    # A statement signed before the end still verifies after it; one signed after it does not.
    pool = CertPool(province.cert, retired=retired, certs=[city.cert])
    before = sign_statement("opinion", {"text": "同意"}, city.keys, city.chain, at=UNTIL - timedelta(days=1))
    assert verify_statement(before, pool).signer == city.cert
    after = sign_statement("opinion", {"text": "同意"}, city.keys, city.chain, at=UNTIL + timedelta(days=1))
    with pytest.raises(SuiteRetiredError):
        verify_statement(after, pool)
