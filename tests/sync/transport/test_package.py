"""The .sanlian package: round trip, preview, recipients, senders, time, limits, read-back, receipts."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.sync.transport import package as package_module
from sanlian_desktop.sync.transport.package import PackageWriter, VerifiedPackage, open_package, peek_header
from sanlian_desktop.sync.transport.packfmt import DEFAULT_LIMITS, FORMAT_VERSION, Limits, describe_header
from sanlian_desktop.sync.transport.receipts import make_receipt, verify_receipt
from sanlian_desktop.sync.trust.certs import (
    Cert,
    CertExpiredError,
    CertRevokedError,
    JurisdictionError,
    Revoked,
    UnknownRootError,
)
from sanlian_desktop.sync.trust.chain import revocation_map, revoke
from tests.sync.helpers import T0, Office, certify_child, forge_child, make_province, write_package

NOW = T0 + timedelta(days=12)
ENTRIES = [
    ("batch", "2016-1", 1, json.dumps({"name": "2016年申报批次"}, ensure_ascii=False).encode()),
    ("declaration", "D-0001", 3, b"x" * 5000),
    ("attachment", "A-7", 1, bytes(range(256)) * 20),
    ("empty", "E", 0, b""),
]


def _open(
    path: Path,
    office: Office,
    root: Cert,
    *,
    revoked: Revoked = frozenset(),
    now: datetime = NOW,
    limits: Limits = DEFAULT_LIMITS,
) -> VerifiedPackage:
    return open_package(path, office.keys, root, revoked, now, recipient_code=office.code, limits=limits)


def test_round_trip_up_the_chain(tmp_path: Path, offices: dict[str, Office], root: Cert) -> None:
    county, city = offices["620102"], offices["620100"]
    path = tmp_path / "up.sanlian"
    writer = write_package(path, county, city, ENTRIES, chunk_size=700, seq=42)
    assert not (tmp_path / "up.sanlian.tmp").exists()
    with _open(path, city, root) as pkg:
        assert (
            pkg.sender.code == "620102" and pkg.channel_seq == 42 and pkg.created == T0 + timedelta(days=10)
        )
        assert [(e.kind, e.id, e.version, e.length) for e in pkg.entries] == [
            (k, i, v, len(d)) for k, i, v, d in ENTRIES
        ]
        assert [e.digest for e in pkg.entries] == [e.digest for e in writer.entries]
        for kind, entry_id, version, data in ENTRIES:
            entry = pkg.find(kind, entry_id, version)
            assert pkg.read_entry(entry) == data
            assert b"".join(pkg.iter_entry(entry)) == data
            with pkg.open_entry(entry) as fh:
                assert fh.read(3) == data[:3]
                fh.seek(0)
                assert fh.read() == data
        with pytest.raises(UserError, match="数据包中没有"):
            pkg.find("declaration", "D-0001", 2)


def test_down_the_chain_with_file_objects(tmp_path: Path, offices: dict[str, Office], root: Cert) -> None:
    county, street = offices["620102"], offices["620102001"]
    big = bytes(range(256)) * 9000  # 2.3 MB: spans several 1 MiB spool chunks
    path = tmp_path / "down.sanlian"
    with PackageWriter(path, county.keys, county.chain, street.cert, 7, created=T0 + timedelta(1)) as w:
        w.add_entry("attachment", "scan.pdf", 1, io.BytesIO(big))
    with _open(path, street, root) as pkg:
        (entry,) = pkg.entries
        assert pkg.read_entry(entry) == big
        with pkg.open_entry(entry) as fh:
            fh.seek(1_500_000)
            assert fh.read(10) == big[1_500_000:1_500_010]


def test_peek_header_names_both_offices(tmp_path: Path, offices: dict[str, Office]) -> None:
    path = tmp_path / "p.sanlian"
    write_package(path, offices["620102"], offices["620100"], ENTRIES[:1])
    header = peek_header(path)
    assert (header.sender_code, header.recipient_code) == ("620102", "620100")
    assert header.total_length == path.stat().st_size
    assert describe_header(header).startswith("城关区民政局（620102）发给兰州市民政局（620100）")
    with pytest.raises(UserError, match="不是“三社联动”数据包文件"):
        peek_header(Path(__file__))
    with pytest.raises(UserError, match="无法读写文件"):
        peek_header(tmp_path / "missing.sanlian")


def test_packages_of_the_first_format_are_refused_as_older(tmp_path: Path, offices: dict[str, Office],
                                                           root: Cert) -> None:
    """Format 1 repeated the signer's chain in every statement; a package of it is refused before
    anything else, saying that the sender's program is older and must export again."""
    path = tmp_path / "p.sanlian"
    write_package(path, offices["620102"], offices["620100"], ENTRIES[:1])
    data = bytearray(path.read_bytes())
    assert int.from_bytes(data[8:10], "big") == FORMAT_VERSION == 2
    data[8:10] = (1).to_bytes(2, "big")
    path.write_bytes(bytes(data))
    with pytest.raises(UserError, match="旧版本程序") as err:
        _open(path, offices["620100"], root)
    assert "export again" in err.value.en
    data[8:10] = (3).to_bytes(2, "big")
    path.write_bytes(bytes(data))
    with pytest.raises(UserError, match="请升级程序"):
        _open(path, offices["620100"], root)


def test_wrong_recipient(tmp_path: Path, offices: dict[str, Office], root: Cert) -> None:
    path = tmp_path / "p.sanlian"
    write_package(path, offices["620102001"], offices["620102"], ENTRIES[:1])
    with pytest.raises(
        UserError, match=r"此数据包是发给城关区民政局（620102）的，不是发给本单位（620100）的"
    ) as err:
        _open(path, offices["620100"], root)
    assert "620102" in err.value.en
    # The same office code but another key (e.g. the county re-keyed since): its own message.
    rekeyed = certify_child(offices["620100"], "620102", Level.COUNTY, "城关区民政局")
    with pytest.raises(UserError, match="另一把密钥加密"):
        _open(path, rekeyed, root)
    # An office that kept its previous keys after re-keying can still open packages in transit.
    county = offices["620102"]
    with open_package(path, [rekeyed.keys, county.keys], root, set(), NOW, recipient_code="620102") as pkg:
        assert pkg.sender.code == "620102001"


def test_sender_from_another_trust_root(tmp_path: Path, offices: dict[str, Office], root: Cert) -> None:
    impostor = certify_child(make_province(), "620100", Level.CITY, "兰州市民政局")
    path = tmp_path / "p.sanlian"
    write_package(path, impostor, offices["620000"], ENTRIES[:1])
    with pytest.raises(UnknownRootError, match="不是本系统信任的省级根证书"):
        _open(path, offices["620000"], root)


def test_sender_outside_its_issuers_jurisdiction(
    tmp_path: Path, offices: dict[str, Office], root: Cert, monkeypatch: pytest.MonkeyPatch
) -> None:
    rogue = forge_child(offices["620100"], "620201", Level.COUNTY)  # 嘉峪关's territory, signed by 兰州
    with pytest.raises(JurisdictionError):  # the writer checks its own chain first
        write_package(
            tmp_path / "x.sanlian", rogue, offices["620100"], ENTRIES[:1], created=T0 + timedelta(1)
        )
    monkeypatch.setattr(package_module, "_check_sender_chain", lambda *_a: None)
    path = tmp_path / "p.sanlian"
    write_package(path, rogue, offices["620100"], ENTRIES[:1], created=T0 + timedelta(days=1))
    with pytest.raises(JurisdictionError, match="辖区"):
        _open(path, offices["620100"], root)


def test_only_direct_parent_or_child_may_send(tmp_path: Path, offices: dict[str, Office], root: Cert) -> None:
    path = tmp_path / "p.sanlian"
    province, community = offices["620000"], offices["620102001001"]
    write_package(path, province, community, ENTRIES[:1])
    with pytest.raises(
        UserError, match="既不是临夏路社区（620102001001）的直接上级，也不是其直接下级"
    ) as err:
        _open(path, community, root)
    assert "甘肃省民政厅（620000）" in err.value.zh
    with open_package(path, community.keys, root, set(), NOW, require_adjacent=False) as pkg:
        assert pkg.sender.code == "620000"
    write_package(path, offices["620102001"], offices["620100"], ENTRIES[:1])  # street skipping its county
    with pytest.raises(UserError, match="直接上级"):
        _open(path, offices["620100"], root)


def test_expired_sender_certificate(
    tmp_path: Path, offices: dict[str, Office], root: Cert, monkeypatch: pytest.MonkeyPatch
) -> None:
    county = certify_child(offices["620100"], "620103", Level.COUNTY, "七里河区民政局", days=30)
    late = county.cert.not_after + timedelta(days=1)
    with pytest.raises(CertExpiredError, match="请先向上级单位申请续期"):  # the writer refuses up front
        write_package(tmp_path / "x.sanlian", county, offices["620100"], ENTRIES[:1], created=late)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(package_module, "_check_sender_chain", lambda *_a: None)
    path = tmp_path / "p.sanlian"
    write_package(path, county, offices["620100"], ENTRIES[:1], created=late)
    with pytest.raises(CertExpiredError, match="七里河区民政局（620103）的证书已于"):
        _open(path, offices["620100"], root, now=late)


def test_revoked_sender(tmp_path: Path, offices: dict[str, Office], root: Cert) -> None:
    county, city = offices["620102"], offices["620100"]
    created = T0 + timedelta(days=10)
    path = tmp_path / "p.sanlian"
    write_package(path, county, city, ENTRIES[:1], created=created)
    with pytest.raises(CertRevokedError, match="城关区民政局（620102）的证书已被吊销"):
        _open(path, city, root, revoked={county.cert.serial})
    # Revoked later than the package was made: the package still stands (time-of-signing rule).
    later = revoke(county.cert, city.cert, city.keys, "撤并", effective=created + timedelta(days=1), now=NOW)
    with _open(path, city, root, revoked=revocation_map([later])) as pkg:
        assert pkg.sender.code == "620102"
    earlier = revoke(county.cert, city.cert, city.keys, "密钥泄露", effective=created - timedelta(seconds=1), now=NOW)
    with pytest.raises(CertRevokedError, match="起已被吊销"):
        _open(path, city, root, revoked=revocation_map([earlier]))


def test_creation_time_in_the_future(tmp_path: Path, offices: dict[str, Office], root: Cert) -> None:
    path = tmp_path / "p.sanlian"
    write_package(path, offices["620102"], offices["620100"], ENTRIES[:1], created=NOW + timedelta(days=3))
    with pytest.raises(UserError, match="晚于本机当前时间"):
        _open(path, offices["620100"], root)


def test_limits_are_checked_before_reading(tmp_path: Path, offices: dict[str, Office], root: Cert) -> None:
    path = tmp_path / "p.sanlian"
    write_package(path, offices["620102"], offices["620100"], ENTRIES)
    with pytest.raises(UserError, match="条目过多"):
        _open(path, offices["620100"], root, limits=Limits(max_entries=2))
    with pytest.raises(UserError, match="过大"):
        _open(path, offices["620100"], root, limits=Limits(max_entry_length=4000))
    with pytest.raises(UserError, match="总量超过上限"):
        _open(path, offices["620100"], root, limits=Limits(max_total=6000))
    with (
        pytest.raises(UserError, match="超过上限"),
        PackageWriter(
            tmp_path / "w.sanlian",
            offices["620102"].keys,
            offices["620102"].chain,
            offices["620100"].cert,
            1,
            created=NOW,
            limits=Limits(max_entry_length=10),
        ) as w,
    ):
        w.add_entry("attachment", "big", 1, io.BytesIO(b"y" * 11))
    assert not (tmp_path / "w.sanlian").exists()


def test_writer_refuses_mismatched_keys_and_duplicates(tmp_path: Path, offices: dict[str, Office]) -> None:
    county, city = offices["620102"], offices["620100"]
    with pytest.raises(UserError, match="密钥与本单位证书不匹配"):
        PackageWriter(tmp_path / "x", city.keys, county.chain, city.cert, 1, created=NOW)
    with PackageWriter(tmp_path / "x", county.keys, county.chain, city.cert, 1, created=NOW) as w:
        w.add_entry("batch", "b", 1, b"{}")
        with pytest.raises(UserError, match="已有"):
            w.add_entry("batch", "b", 1, b"{}")
        with pytest.raises(UserError, match="格式不正确"):
            w.add_entry("../etc/passwd", "b", 1, b"{}")


def test_lying_medium_is_caught_by_read_back(
    tmp_path: Path, offices: dict[str, Office], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = PackageWriter._write

    def flaky_write(self: PackageWriter, tmp: Path, *args: object) -> None:
        real_write(self, tmp, *args)  # type: ignore[arg-type]
        data = bytearray(tmp.read_bytes())
        data[len(data) // 2] ^= 0x40  # the stick silently stored one bad byte
        tmp.write_bytes(bytes(data))

    monkeypatch.setattr(PackageWriter, "_write", flaky_write)
    path = tmp_path / "p.sanlian"
    with pytest.raises(UserError, match="读回校验失败"):
        write_package(path, offices["620102"], offices["620100"], ENTRIES)
    assert list(tmp_path.iterdir()) == []


def test_receipts(tmp_path: Path, offices: dict[str, Office], root: Cert) -> None:
    county, city = offices["620102"], offices["620100"]
    path = tmp_path / "p.sanlian"
    writer = write_package(path, county, city, ENTRIES)
    with _open(path, city, root) as pkg:
        data = make_receipt(pkg, city.keys, city.chain, now=NOW)
        with pytest.raises(UserError, match="只有数据包的接收单位"):
            make_receipt(pkg, county.keys, county.chain, now=NOW)
        package_id = pkg.package_id
    receipt = verify_receipt(data, root, set(), package_id=package_id)
    assert receipt.recipient_code == "620100" and receipt.sender_code == "620102"
    assert all(receipt.acknowledges(e) for e in writer.entries)
    with pytest.raises(UserError, match="不是针对该数据包"):
        verify_receipt(data, root, set(), package_id="other")
    with pytest.raises(UserError, match="签名无效"):
        verify_receipt(data.replace(b'"channel_seq":1', b'"channel_seq":2'), root, set())
    with pytest.raises(CertRevokedError):
        verify_receipt(data, root, {city.cert.serial})


_scalars = (st.none() | st.booleans() | st.integers(min_value=-2, max_value=2**63) | st.text(max_size=5)
            | st.sampled_from(["version", "opinion", "Bad", "a" * 41, "0" * 64, "f" * 64, "F" * 64, "x\n", "x" * 201]))


@given(st.one_of(
    st.fixed_dictionaries({"kind": _scalars, "id": _scalars, "version": _scalars, "length": _scalars,
                           "digest": _scalars}),
    st.dictionaries(st.sampled_from(["kind", "id", "version", "length", "digest", "extra"]), _scalars),
    _scalars, st.lists(_scalars, max_size=2)))
@example({"kind": "version", "id": "d:1", "version": 1, "length": 5, "digest": "0" * 64})
@example({"kind": "version", "id": "d:1", "version": True, "length": 5, "digest": "0" * 64})
@example({"kind": "version", "id": "d:1", "version": 1, "length": 5, "digest": "F" * 64})
def test_the_quick_entry_check_agrees_with_the_full_one(rec: object) -> None:
    """A manifest entry passes the quick check exactly when the full check (which says what is wrong)
    finds nothing wrong."""
    from sanlian_desktop.sync.transport.packfmt import _check_entry, _plain_entry

    try:
        _check_entry(rec)
        full = True
    except UserError:
        full = False
    assert _plain_entry(rec) == full
