"""Certificates: certification one level down, chain validation, revocation and renewal."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.sync.trust.certs import (
    BadSignatureError,
    Cert,
    CertExpiredError,
    CertRevokedError,
    JurisdictionError,
    LevelError,
    OfficeInfo,
    UnknownRootError,
    certify,
    make_request,
    make_root,
    parse_request,
    renew,
)
from sanlian_desktop.sync.trust.chain import (
    Revocation,
    check_signature,
    revocation_map,
    revoke,
    validate_chain,
    verify_revocation,
)
from sanlian_desktop.sync.trust.keys import OfficeKeys
from tests.suites import chosen_suite
from tests.sync.helpers import NAMES, T0, Office, certify_child, forge_child, make_province

AT = T0 + timedelta(days=30)


def test_five_office_chain_validates(offices: dict[str, Office], root: Cert) -> None:
    for code, office in offices.items():
        leaf = validate_chain(office.chain, root, AT)
        assert (leaf.code, leaf.office.name) == (code, NAMES[code])
        assert validate_chain(office.chain[:-1] or office.chain, root, AT) == leaf  # root may be omitted
    community = offices["620102001001"]
    assert [c.level for c in community.chain] == [
        Level.COMMUNITY,
        Level.STREET,
        Level.COUNTY,
        Level.CITY,
        Level.PROVINCE,
    ]


def test_certificate_encoding_roundtrip(offices: dict[str, Office]) -> None:
    cert = offices["620102"].cert
    data = cert.encode()
    assert Cert.decode(data) == cert
    assert data == Cert.decode(data).encode()
    assert f'"suite":"{chosen_suite().name}"'.encode() in data


def _request(code: str, level: Level) -> bytes:
    return make_request(OfficeInfo(code, level, "某单位"), OfficeKeys.generate(chosen_suite()), now=T0)


def test_certify_refuses_skipping_a_level(offices: dict[str, Office]) -> None:
    province = offices["620000"]
    with pytest.raises(LevelError, match="直接下一级") as err:
        certify(_request("620102", Level.COUNTY), province.cert, province.keys, now=AT)
    assert "620102" in err.value.zh and err.value.en
    city = offices["620100"]
    with pytest.raises(LevelError):
        certify(_request("620102001", Level.STREET), city.cert, city.keys, now=AT)


@pytest.mark.parametrize(
    ("issuer_code", "code", "level"),
    [
        ("620100", "620201", Level.COUNTY),
        ("620102", "620103001", Level.STREET),
        ("620102001", "620102002001", Level.COMMUNITY),
    ],
)
def test_certify_refuses_outside_jurisdiction(
    offices: dict[str, Office], issuer_code: str, code: str, level: Level
) -> None:
    issuer = offices[issuer_code]
    with pytest.raises(JurisdictionError, match=r"不在.*辖区内"):
        certify(_request(code, level), issuer.cert, issuer.keys, now=AT)


def test_prefix_trap_refused() -> None:
    province = make_province()
    qingyang = certify_child(province, "621000", Level.CITY, "庆阳市民政局")
    with pytest.raises(JurisdictionError):
        certify(_request("621102", Level.COUNTY), qingyang.cert, qingyang.keys, now=AT)  # 定西市安定区


def test_countyless_city_certifies_streets() -> None:
    province = make_province()
    jiayuguan = certify_child(province, "620200", Level.CITY, "嘉峪关市民政局")
    street = certify_child(jiayuguan, "620201001", Level.STREET, "雄关街道")
    community = certify_child(street, "620201001001", Level.COMMUNITY, "某社区")
    assert validate_chain(community.chain, province.cert, AT).code == "620201001001"
    xinqu = certify_child(province, "629100", Level.CITY, "兰州新区民政局")
    assert validate_chain(certify_child(xinqu, "629100001", Level.STREET, "街道").chain, province.cert, AT)


def test_request_must_prove_key_possession(offices: dict[str, Office]) -> None:
    request = _request("620103", Level.COUNTY).replace("某单位".encode(), "他单位".encode())
    city = offices["620100"]
    with pytest.raises(BadSignatureError, match="证书申请的签名无效"):
        certify(request, city.cert, city.keys, now=AT)
    assert parse_request(_request("620103", Level.COUNTY)).office.code == "620103"


def test_only_province_makes_a_root() -> None:
    with pytest.raises(LevelError):
        make_root(OfficeInfo("620100", Level.CITY, "兰州市民政局"), OfficeKeys.generate(chosen_suite()), now=T0)


def test_issuer_caps_validity_and_must_be_valid(offices: dict[str, Office]) -> None:
    city = offices["620100"]
    cert = certify(_request("620103", Level.COUNTY), city.cert, city.keys, valid_days=10_000, now=AT)
    assert cert.not_after == city.cert.not_after
    with pytest.raises(CertExpiredError, match="请先续期"):
        certify(
            _request("620103", Level.COUNTY), city.cert, city.keys, now=city.cert.not_after + timedelta(1)
        )


def _messages(errors: list[UserError]) -> set[str]:
    return {type(e).__name__ + ":" + e.zh.split("的证书")[-1][:6] for e in errors}


def test_validation_failures_each_have_their_own_error(offices: dict[str, Office], root: Cert) -> None:
    county = offices["620102"]
    seen: list[UserError] = []

    other_root = make_province().cert
    with pytest.raises(UnknownRootError, match="不是本系统信任的省级根证书") as e1:
        validate_chain(county.chain, other_root, AT)
    seen.append(e1.value)
    impostor_province = make_province()
    impostor = certify_child(
        certify_child(impostor_province, "620100", Level.CITY, "兰州市民政局"),
        "620102",
        Level.COUNTY,
        "城关区民政局",
    )
    with pytest.raises(UnknownRootError):
        validate_chain(impostor.chain, root, AT)

    forged = replace(county.cert, office=replace(county.cert.office, name="伪造的民政局"))
    with pytest.raises(BadSignatureError, match="签名无效") as e2:
        validate_chain([forged, *county.chain[1:]], root, AT)
    seen.append(e2.value)

    with pytest.raises(CertExpiredError, match=r"已于 .* 过期") as e3:
        validate_chain(county.chain, root, county.cert.not_after + timedelta(seconds=1))
    seen.append(e3.value)
    with pytest.raises(CertExpiredError, match="尚未生效") as e4:
        validate_chain(county.chain, root, T0 - timedelta(seconds=1))
    seen.append(e4.value)

    with pytest.raises(CertRevokedError, match="已被吊销") as e5:
        validate_chain(county.chain, root, AT, revoked={county.cert.serial})
    seen.append(e5.value)
    with pytest.raises(CertRevokedError):  # revoking the city takes its whole subtree with it
        validate_chain(offices["620102001001"].chain, root, AT, revoked={offices["620100"].cert.serial})

    zh = [e.zh for e in seen]
    assert len(set(zh)) == len(zh) and all(e.en for e in seen)


def test_chain_refuses_level_and_jurisdiction_violations(offices: dict[str, Office], root: Cert) -> None:
    city = offices["620100"]
    with pytest.raises(JurisdictionError, match=r"不在签发单位.*辖区内"):
        validate_chain(forge_child(city, "620201", Level.COUNTY).chain, root, AT)
    with pytest.raises(LevelError, match=r"不是签发单位.*的直接下级"):
        validate_chain(forge_child(city, "620102001", Level.STREET).chain, root, AT)
    with pytest.raises(BadSignatureError, match="顺序错误或不完整"):
        validate_chain([offices["620102"].cert, root], root, AT)  # the city's certificate is missing


def test_revocation_takes_effect_from_its_date(offices: dict[str, Office], root: Cert) -> None:
    county, city = offices["620102"], offices["620100"]
    effective = T0 + timedelta(days=100)
    record = revoke(county.cert, city.cert, city.keys, "密钥U盘丢失", effective=effective, now=effective)
    decoded = Revocation.decode(record.encode())
    verify_revocation(decoded, city.cert)
    revoked = revocation_map([decoded])
    assert validate_chain(county.chain, root, effective - timedelta(seconds=1), revoked)
    # Times are kept to the second: a signature in the revocation's own second may have come first.
    assert validate_chain(county.chain, root, effective, revoked)
    with pytest.raises(CertRevokedError, match=r"自 .* 起已被吊销"):
        validate_chain(county.chain, root, effective + timedelta(seconds=1), revoked)
    tampered = replace(decoded, serial=offices["620102001"].cert.serial)
    with pytest.raises(BadSignatureError, match="吊销记录的签名无效"):
        verify_revocation(tampered, city.cert)
    with pytest.raises(BadSignatureError, match="只有签发该证书的单位"):
        revoke(county.cert, offices["620000"].cert, offices["620000"].keys, "x")


def test_renewal_keeps_old_signatures_verifiable(offices: dict[str, Office], root: Cert) -> None:
    city = offices["620100"]
    county = certify_child(city, "620103", Level.COUNTY, "七里河区民政局", days=365)
    signed_at = T0 + timedelta(days=200)
    message = b"opinion: approve"
    signature = county.keys.sign(message)
    # Renew shortly before expiry: same keys, new serial and dates.
    renewed_cert = renew(
        county.cert, city.cert, city.keys, valid_days=365, now=county.cert.not_after - timedelta(7)
    )
    renewed = [renewed_cert, *city.chain]
    assert renewed_cert.serial != county.cert.serial and renewed_cert.sign_key == county.cert.sign_key
    after_expiry = county.cert.not_after + timedelta(days=30)
    # The old signature verifies at its signed time against the old certificate …
    check_signature(validate_chain(county.chain, root, signed_at), message, signature)
    # … the old certificate cannot be used at a later time, the renewed one can.
    with pytest.raises(CertExpiredError):
        validate_chain(county.chain, root, after_expiry)
    check_signature(validate_chain(renewed, root, after_expiry), message, signature)
    with pytest.raises(BadSignatureError):
        check_signature(renewed_cert, b"opinion: reject", signature)
