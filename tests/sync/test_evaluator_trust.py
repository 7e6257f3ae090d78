"""Evaluator offices in the trust chain: their code scheme, certification by the province only, chain
validation, revocation and statements, exactly as for the region offices."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sanlian_desktop.kernel.codes import (
    default_parent_of,
    is_direct_child,
    is_evaluator_code,
    is_region_code,
    level_of,
    within,
)
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.sync.trust.certs import (
    Cert,
    JurisdictionError,
    LevelError,
    OfficeInfo,
    certify,
    make_request,
)
from sanlian_desktop.sync.trust.chain import (
    CertPool,
    CertRevokedError,
    revocation_map,
    revoke,
    validate_chain,
)
from sanlian_desktop.sync.trust.keys import OfficeKeys
from sanlian_desktop.sync.trust.statements import sign_statement, verify_statement
from tests.suites import chosen_suite
from tests.sync.helpers import T0, Office, certify_child, forge_child

AT = T0 + timedelta(days=10)


@pytest.mark.parametrize(("code", "ok"), [
    ("620000E001", True), ("620000E999", True), ("110000E010", True),
    ("620000E000", False), ("620100E001", False), ("620000e001", False), ("620000E01", False),
    ("620000E0001", False), ("000000E001", False), ("620000", False), ("６２００００E001", False),
])
def test_evaluator_code_scheme(code: str, ok: bool) -> None:
    assert is_evaluator_code(code) is ok
    if ok:
        assert not is_region_code(code)
        assert level_of(code) is Level.EVALUATOR
        assert default_parent_of(code) == code[:6]


def test_an_evaluator_lies_within_its_province_only() -> None:
    assert within("620000", "620000E001") and within("620000E001", "620000E001")
    assert not within("620100", "620000E001") and not within("630000", "620000E001")
    assert not within("620000E001", "620100") and not within("620000E001", "620000E002")
    assert is_direct_child("620000", Level.PROVINCE, "620000E001", Level.EVALUATOR)
    assert not is_direct_child("620100", Level.CITY, "620000E001", Level.EVALUATOR)
    assert not is_direct_child("630000", Level.PROVINCE, "620000E001", Level.EVALUATOR)
    assert not is_direct_child("620000", Level.PROVINCE, "620000E001", Level.CITY)
    assert not is_direct_child("620000E001", Level.EVALUATOR, "620100", Level.CITY)


def _request(code: str = "620000E001") -> tuple[bytes, OfficeKeys]:
    keys = OfficeKeys.generate(chosen_suite())
    return make_request(OfficeInfo(code, Level.EVALUATOR, "甘肃省社会工作评估中心"), keys, now=T0), keys


def test_the_province_certifies_an_evaluator_and_the_chain_validates(offices: dict[str, Office], root: Cert) -> None:
    request, keys = _request()
    cert = certify(request, root, offices["620000"].keys, now=T0)
    assert cert.level is Level.EVALUATOR and cert.to_dict()["level"] == "evaluator"
    assert Cert.decode(cert.encode()) == cert
    chain = [cert, root]
    assert validate_chain(chain, root, AT) == cert
    # Its signed statements verify like any office's (its certificate known, as a package carries
    # it), and stop verifying once it is revoked.
    statement = sign_statement("followup_visit", {"id": "v1"}, keys, chain, at=AT)
    assert verify_statement(statement, CertPool(root, {}, certs=chain), kind="followup_visit").signer.code \
        == "620000E001"
    record = revoke(cert, root, offices["620000"].keys, "评估合同终止", effective=AT, now=AT)
    revoked = CertPool(root, revocation_map([record]), certs=chain)
    with pytest.raises(CertRevokedError):
        verify_statement(sign_statement("followup_visit", {"id": "v2"}, keys, chain, at=AT + timedelta(1)), revoked)
    assert verify_statement(sign_statement("followup_visit", {"id": "v0"}, keys, chain, at=AT - timedelta(1)),
                            revoked)


def test_no_one_but_the_province_certifies_an_evaluator(offices: dict[str, Office]) -> None:
    request, _ = _request()
    for code in ("620100", "620102", "620102001"):
        issuer = offices[code]
        with pytest.raises(LevelError, match="只能由省民政厅认证"):
            certify(request, issuer.cert, issuer.keys, now=T0)
    # Another province's evaluator is outside this province.
    other, _ = _request("630000E001")
    with pytest.raises(JurisdictionError):
        certify(other, offices["620000"].cert, offices["620000"].keys, now=T0)


def test_an_evaluator_certifies_no_one(offices: dict[str, Office], root: Cert) -> None:
    request, keys = _request()
    evaluator = Office(keys, certify(request, root, offices["620000"].keys, now=T0), [])
    evaluator.chain = [evaluator.cert, root]
    city_keys = OfficeKeys.generate(chosen_suite())
    city_request = make_request(OfficeInfo("620100", Level.CITY, "兰州市民政局"), city_keys, now=T0)
    with pytest.raises(LevelError, match="不能为其他单位签发证书"):
        certify(city_request, evaluator.cert, evaluator.keys, now=T0)
    # A certificate an evaluator signed anyway does not validate.
    with pytest.raises((JurisdictionError, LevelError)):
        validate_chain(forge_child(evaluator, "620100", Level.CITY).chain, root, AT)
    # Nor does an evaluator certificate a city signed.
    with pytest.raises((JurisdictionError, LevelError)):
        validate_chain(forge_child(offices["620100"], "620000E001", Level.EVALUATOR).chain, root, AT)
    # A region office under the province still certifies as before.
    assert certify_child(offices["620000"], "620200", Level.CITY, "嘉峪关市民政局").cert.level is Level.CITY
