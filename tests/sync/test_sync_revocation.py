"""Revocation a thief cannot get around, and a way back for the honest office (issue 14, section 2).

Driven through the command line as people would, on the five certified offices of :mod:`cli_offices`:
a stolen office's computer is a copy of its home with its clock set back; the honest office asks for a
new certificate (new keys) and carries on.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.models import Opinion
from sanlian_desktop.offices import custody as trust
from sanlian_desktop.store.engine import Store
from sanlian_desktop.sync.trust.chain import Revocation
from sanlian_desktop.sync.trust.statements import statement_signer
from tests.helpers import example_declaration
from tests.sync.helpers_cli import CHAIN, Offices

CODES = [code for _, code, _ in CHAIN]
PROVINCE, CITY, COUNTY, STREET, COMMUNITY = CODES


def _declared(o: Offices, tmp_path: Path) -> str:
    """The batch down to the community, a declaration submitted there and carried to the street."""
    o.down(CODES)
    decl_file = tmp_path / "decl.json"
    decl_file.write_text(json.dumps(example_declaration(), ensure_ascii=False), "utf-8")
    decl_id = o.ok(COMMUNITY, "decl", "new", "--file", str(decl_file), user="clerk").strip()
    o.ok(COMMUNITY, "decl", "submit", decl_id, user="clerk")
    o.carry(COMMUNITY, STREET)
    return decl_id


def _levels(o: Offices, code: str, decl_id: str) -> list[str]:
    return [x["level"] for x in o.json(code, "decl", "show", decl_id, user="rev")["opinions"]]


def _own(o: Offices, code: str) -> dict[str, Any]:
    return dict(o.json(code, "office", "show")["certificate"])


def _steal(o: Offices, code: str) -> str:
    """A copy of the office's home: the stolen computer, driven as ``thief-<code>``."""
    name = f"thief-{code}"
    o.homes[name] = o.root / name
    shutil.copytree(o.homes[code], o.homes[name])
    return name


@contextlib.contextmanager
def _clock(monkeypatch: pytest.MonkeyPatch, at: datetime) -> Iterator[None]:
    """The thief's computer clock, set to ``at``: every time the program writes or signs comes from it."""
    with monkeypatch.context() as m:
        m.setattr(cj, "utc_now", lambda: at)
        yield


@contextlib.contextmanager
def _store(o: Offices, code: str) -> Iterator[Store]:
    store = Store.open(o.homes[code], migrate=False)
    try:
        yield store
    finally:
        store.close()


def _revoke(o: Offices, revoker: str, revoked: str) -> tuple[dict[str, Any], datetime]:
    """``revoker`` revokes ``revoked``'s certificate; returns what it said and a moment before it (after
    the certificate was issued), where the thief sets the stolen computer's clock."""
    issued = datetime.fromisoformat(_own(o, revoked)["not_before"])
    # Room for a moment strictly between the issue and the revocation, both kept to the second: on a
    # quick machine the certificate was issued less than two seconds ago.
    wait = (issued + timedelta(seconds=2) - cj.utc_now()).total_seconds()
    if wait > 0:
        time.sleep(wait)
    before = cj.utc_now()
    out = o.json(revoker, "office", "revoke", revoked, "--reason", "电脑被盗")
    return dict(out), issued + (before - issued) / 2


def test_a_backdated_package_after_the_revocation_is_refused_at_the_county(
        chain: Offices, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    o = chain
    decl_id = _declared(o, tmp_path)
    o.carry(STREET, COUNTY)  # the street's package no. 1 (the declaration, not yet reviewed there)
    thief = _steal(o, STREET)
    revocation, earlier = _revoke(o, COUNTY, STREET)
    assert revocation["last_package"] == 1  # the last package the county received from the street

    stolen = o.files / "stolen.sanlian"
    with _clock(monkeypatch, earlier):
        o.ok(thief, "review", decl_id, "--decision", "approve", "--opinion", "同意", user="rev")
        o.ok(thief, "sync", "export", "--to", COUNTY, "--out", str(stolen))
    before = (o.json(COUNTY, "decl", "show", decl_id, user="rev"), o.json(COUNTY, "sync", "status"))

    rc, _, err = o.run(COUNTY, "sync", "import", str(stolen))
    assert rc != 0
    assert "已于" in err and "被本单位吊销" in err and "第 1 号" in err and "第 2 号" in err
    assert "不予采信" in err and "没有任何改变" in err and "revoked" in err
    assert (o.json(COUNTY, "decl", "show", decl_id, user="rev"), o.json(COUNTY, "sync", "status")) == before
    rc, _, err = o.run(COUNTY, "sync", "verify", str(stolen))
    assert rc != 0 and "被本单位吊销" in err

    # The city above learns of the revocation in the usual package, and never sees the thief's opinion.
    o.carry(COUNTY, CITY)
    assert revocation["serial"] in o.json(CITY, "office", "show")["revoked"]
    with _store(o, CITY) as store, store.read_session() as s:
        record = trust.revocation_of(s, revocation["serial"])
        assert record is not None and record.last_seq == 1 and record.issuer_code == COUNTY
    assert "street" not in _levels(o, CITY, decl_id)


def test_a_backdated_package_after_the_revocation_is_refused_at_the_city(
        chain: Offices, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    o = chain
    decl_id = _declared(o, tmp_path)
    o.ok(STREET, "review", decl_id, "--decision", "approve", "--opinion", "同意", user="rev")
    o.carry(STREET, COUNTY)
    o.carry(COUNTY, CITY)  # the county's package no. 1 to the city
    thief = _steal(o, COUNTY)
    revocation, earlier = _revoke(o, CITY, COUNTY)
    assert revocation["last_package"] == 1

    stolen = o.files / "stolen.sanlian"
    with _clock(monkeypatch, earlier):
        o.ok(thief, "review", decl_id, "--decision", "approve", "--opinion", "同意上报", user="rev")
        o.ok(thief, "sync", "export", "--to", CITY, "--out", str(stolen))
    before = o.json(CITY, "decl", "show", decl_id, user="rev")
    rc, _, err = o.run(CITY, "sync", "import", str(stolen))
    assert rc != 0 and "被本单位吊销" in err and "第 2 号" in err
    assert o.json(CITY, "decl", "show", decl_id, user="rev") == before
    assert "county" not in _levels(o, CITY, decl_id)
    # The province above learns of it too, as a revocation of the second format.
    o.carry(CITY, PROVINCE)
    with _store(o, PROVINCE) as store, store.read_session() as s:
        record = trust.revocation_of(s, revocation["serial"])
        assert record is not None and record.last_seq == 1


def test_a_repeated_package_number_of_a_revoked_certificate_is_refused(
        chain: Offices, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The thief cannot squeeze under the stated number by reusing one already received."""
    o = chain
    decl_id = _declared(o, tmp_path)
    thief = _steal(o, STREET)  # stolen before the street's package no. 1 was carried
    o.carry(STREET, COUNTY)
    _, earlier = _revoke(o, COUNTY, STREET)
    stolen = o.files / "stolen.sanlian"
    with _clock(monkeypatch, earlier):
        o.ok(thief, "review", decl_id, "--decision", "approve", "--opinion", "同意", user="rev")
        o.ok(thief, "sync", "export", "--to", COUNTY, "--out", str(stolen))  # also its no. 1
    rc, _, err = o.run(COUNTY, "sync", "import", str(stolen))
    assert rc != 0 and "已收到过其另一个第 1 号数据包" in err
    assert "street" not in _levels(o, COUNTY, decl_id)


def test_old_revocations_keep_their_meaning() -> None:
    """A first-format revocation (no last package) reads and re-encodes byte for byte."""
    raw = (b'{"code":"620102001","effective":"2024-03-01T00:00:00Z","format":"sanlian-revocation-1",'
           b'"issued":"2024-03-01T00:00:00Z","issuer_code":"620102","issuer_serial":"ab","reason":"x",'
           b'"serial":"cd","signature":"eA=="}')
    record = Revocation.decode(raw)
    assert record.last_seq is None and record.encode() == raw
    with pytest.raises(Exception, match="格式"):
        Revocation.decode(raw.replace(b"sanlian-revocation-1", b"sanlian-revocation-2"))


def test_a_revoked_office_refuses_to_export_then_comes_back_with_new_keys(
        chain: Offices, tmp_path: Path) -> None:
    o = chain
    decl_id = _declared(o, tmp_path)
    old = _own(o, STREET)
    # Statements and revocations are timed to the second: what the street signed before the revocation
    # must lie in an earlier second, or it counts as signed under a revoked certificate.
    time.sleep(1.1)
    revoked = o.json(COUNTY, "office", "revoke", STREET, "--reason", "密钥U盘遗失")
    assert revoked["serial"] == old["serial"]
    o.carry(COUNTY, STREET)  # the notice of its own revocation reaches the street
    assert _own(o, STREET)["revoked"] is True

    # What the street enters meanwhile stays with it until it holds a new certificate.
    o.ok(STREET, "review", decl_id, "--decision", "approve", "--opinion", "同意上报", user="rev")
    rc, _, err = o.run(STREET, "sync", "export", "--to", COUNTY, "--out", str(o.files / "refused.sanlian"))
    assert rc != 0 and not (o.files / "refused.sanlian").exists()
    zh, _, en = err.partition("revoked")
    assert "本单位的证书" in zh and "被城关区民政局（620102）吊销" in zh and "密钥U盘遗失" in zh
    assert "重新生成证书申请" in zh and "新的密钥" in zh and "office request" in zh and en

    # A request after the revocation makes new keys; certified and installed, the office works again.
    request, bundle = o.files / "again.req", o.files / "again.cert"
    assert o.json(STREET, "office", "request", "--out", str(request))["new_keys"] is True
    assert trust.read_request(request).code == STREET
    certified = o.json(COUNTY, "office", "certify", str(request), "--out", str(bundle))
    o.ok(STREET, "office", "install", str(bundle))
    now = _own(o, STREET)
    assert now["serial"] == certified["serial"] != old["serial"] and now["revoked"] is False
    assert certified["serial"] in o.ok(STREET, "office", "show")
    with _store(o, STREET) as store, store.read_session() as s:
        certs = {c.serial: c for c in trust.certificates_for(s, {STREET})}
        assert certs[old["serial"]].sign_key != certs[now["serial"]].sign_key

    report = o.carry(STREET, COUNTY)
    assert report["sender"] == STREET
    assert "street" in _levels(o, COUNTY, decl_id)  # what it entered in between reached the county
    o.carry(COUNTY, STREET)  # and the county's packages reach it under the new keys
    o.carry(COUNTY, CITY)
    assert "street" in _levels(o, CITY, decl_id)


def _signer_serial(o: Offices, code: str, decl_id: str, level: str) -> str:
    with _store(o, code) as store, store.read_session() as s:
        row = next(x for x in s.query(Opinion).filter_by(declaration_id=decl_id, level=level))
        assert row.signature is not None
        found = statement_signer(row.signature)
        assert found is not None
        return found[1]


def test_renewal_before_expiry_makes_the_new_certificate_current_everywhere(
        chain: Offices, tmp_path: Path) -> None:
    """Same keys, same end (capped at the issuer's): the certificate issued last wins the tie."""
    o = chain
    decl_id = _declared(o, tmp_path)
    old = _own(o, STREET)
    request, bundle = o.files / "renew.req", o.files / "renew.cert"
    assert o.json(STREET, "office", "request", "--out", str(request))["new_keys"] is False
    renewed = o.json(COUNTY, "office", "certify", str(request), "--out", str(bundle))
    o.ok(STREET, "office", "install", str(bundle))
    now = _own(o, STREET)
    assert now["serial"] == renewed["serial"] != old["serial"] and now["not_after"] == old["not_after"]
    assert old["serial"] not in o.json(COUNTY, "office", "show")["revoked"]  # same keys: nothing revoked

    o.ok(STREET, "review", decl_id, "--decision", "approve", "--opinion", "同意上报", user="rev")
    o.carry(STREET, COUNTY)
    assert _signer_serial(o, COUNTY, decl_id, "street") == renewed["serial"]  # signed under the newest
    with _store(o, COUNTY) as store, store.read_session() as s:
        assert trust.cert_for(s, STREET, cj.utc_now()).serial == renewed["serial"]  # encrypted to the newest
    o.carry(COUNTY, STREET)
    o.carry(COUNTY, CITY)
    assert "street" in _levels(o, CITY, decl_id)


def test_two_certificates_the_same_day_the_newest_wins_for_encryption_and_signing(
        chain: Offices, tmp_path: Path) -> None:
    """A second request with new keys (the first file lost, or the keys in doubt), certified the same day
    as the first: the county encrypts to the newest, the street signs with it, and what the street signed
    under the first still verifies up the chain."""
    o = chain
    decl_id = _declared(o, tmp_path)
    first = _own(o, STREET)
    o.ok(STREET, "review", decl_id, "--decision", "approve", "--opinion", "同意上报", user="rev")
    o.carry(STREET, COUNTY)  # signed under the first certificate

    request, bundle = o.files / "second.req", o.files / "second.cert"
    assert o.json(STREET, "office", "request", "--new-keys", "--out", str(request))["new_keys"] is True
    second = o.json(COUNTY, "office", "certify", str(request), "--out", str(bundle))
    with _store(o, COUNTY) as store, store.read_session() as s:
        newest = trust.cert_for(s, STREET, cj.utc_now())
        assert newest is not None and newest.serial == second["serial"]
    # The county's next package is encrypted to the newest key; the street opens it even before it has
    # installed the new certificate (it made those keys), and after installing signs with it.
    o.carry(COUNTY, STREET)
    o.ok(STREET, "office", "install", str(bundle))
    assert _own(o, STREET)["serial"] == second["serial"] != first["serial"]
    report = o.carry(STREET, COUNTY)
    assert report["sender_serial"] == second["serial"]  # the county sees the street use its newest
    assert _signer_serial(o, COUNTY, decl_id, "street") == first["serial"]
    o.ok(COUNTY, "review", decl_id, "--decision", "approve", "--opinion", "同意上报市局", user="rev")
    o.carry(COUNTY, CITY)  # what the street signed under the first certificate still verifies above
    assert _levels(o, CITY, decl_id) == ["street", "county"]
