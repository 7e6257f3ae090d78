"""Installing a newer certificate is acknowledged up the chain (issue 14 §2): a second request the same day,
certified by the parent, installed by the child; the parent encrypts to the certificate the child is known
to hold until a package signed under the new one arrives, and packages in both directions open in every
order they are carried in. Driven through the command line on the five certified offices."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path
from typing import Any

import pytest

from sanlian_desktop.sync.transport.package import peek_header
from sanlian_desktop.sync.trust.suite import get_suite
from tests.sync.helpers_cli import CHAIN, Offices, certified_chain

CODES = [code for _, code, _ in CHAIN]
PROVINCE, CITY, COUNTY, STREET, COMMUNITY = CODES


@pytest.fixture
def chain(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Offices:
    return certified_chain(tmp_path, capsys, monkeypatch)


def _street_at_county(o: Offices) -> dict[str, Any]:
    shown = o.json(COUNTY, "office", "show")
    return dict(next(n for n in shown["neighbours"] if n["code"] == STREET))


def _export(o: Offices, sender: str, recipient: str, name: str) -> Path:
    path = o.files / f"{name}.sanlian"
    o.ok(sender, "sync", "export", "--to", recipient, "--out", str(path))
    return path


def _encrypted_to(path: Path, serial: str, o: Offices, code: str) -> bool:
    """Whether the package at ``path`` is encrypted to the encryption key of certificate ``serial``."""
    from sanlian_desktop.offices import custody as trust
    from sanlian_desktop.store.engine import Store

    store = Store.open(o.homes[code], migrate=False)
    try:
        with store.read_session() as s:
            cert = trust.cert_by(s, serial)
    finally:
        store.close()
    assert cert is not None
    header = peek_header(path)
    return header.recipient_key == get_suite(header.suite).key_id(cert.enc_key)


def test_a_second_certificate_the_same_day_is_acknowledged_and_packages_open_in_every_order(
        chain: Offices, tmp_path: Path) -> None:
    o = chain
    o.down(CODES[:4])
    before = _export(o, STREET, COUNTY, "p0-street-old")  # signed under the first certificate, carried late
    o.carry(STREET, COUNTY)
    first = o.json(STREET, "office", "show")["certificate"]["serial"]
    seen = _street_at_county(o)
    assert seen["certificate"] == first and seen["installed"] is True
    assert f"东岗街道办事处（{STREET}），证书 {first[:12]}…" in o.ok(COUNTY, "office", "show")

    # A second request, with new keys, the same day: nothing goes up under keys the county has not certified.
    request, bundle = o.files / "second.req", o.files / "second.cert"
    assert o.json(STREET, "office", "request", "--new-keys", "--out", str(request))["new_keys"] is True
    rc, _, err = o.run(STREET, "sync", "export", "--to", COUNTY, "--out", str(o.files / "refused.sanlian"))
    assert rc == 2 and "安装上级单位据此签发的证书" in err and not (o.files / "refused.sanlian").exists()

    second = o.json(COUNTY, "office", "certify", str(request), "--out", str(bundle))["serial"]
    seen = _street_at_county(o)
    assert seen["certificate"] == second and seen["installed"] is False and seen["installed_serial"] == first
    assert "尚未确认安装" in o.ok(COUNTY, "office", "show")
    # Until the street shows it installed the new one, the county encrypts to the one it is known to hold.
    down_a = _export(o, COUNTY, STREET, "pa-county")
    assert _encrypted_to(down_a, first, o, COUNTY)

    # The notice that replaced the first certificate reaches the street before it installs: it is told to
    # install the certificate it asked for, not to ask again.
    probe = tmp_path / "probe"
    shutil.copytree(o.homes[STREET], probe)
    homes = dict(o.homes)
    o.homes[STREET] = probe
    o.ok(STREET, "sync", "import", str(down_a))
    rc, _, err = o.run(STREET, "sync", "export", "--to", COUNTY, "--out", str(o.files / "refused.sanlian"))
    assert rc == 2 and "按本单位新的证书申请签发新证书替换" in err and "不需要重新申请" in err
    o.homes = homes

    o.ok(STREET, "office", "install", str(bundle))
    up_b = _export(o, STREET, COUNTY, "pb-street-new")  # the street's signed word: it holds the second
    down_c = _export(o, COUNTY, STREET, "pc-county")  # made before the county has heard of it
    assert _encrypted_to(down_c, first, o, COUNTY)

    o.ok(COUNTY, "sync", "import", str(up_b))
    seen = _street_at_county(o)
    assert seen["installed"] is True and seen["installed_serial"] == second
    assert f"{second[:12]}…（有效期至" in o.ok(COUNTY, "office", "show") and "证书已安装" in o.ok(COUNTY, "office", "show")
    # A package the street made under the first certificate, carried late, takes nothing back.
    o.ok(COUNTY, "sync", "import", str(before))
    assert _street_at_county(o)["installed_serial"] == second
    down_d = _export(o, COUNTY, STREET, "pd-county")
    assert _encrypted_to(down_d, second, o, COUNTY)

    # The street opens the county's packages in every order they may arrive in, and answers under the second.
    snapshot = tmp_path / "street-snapshot"
    shutil.copytree(o.homes[STREET], snapshot)
    for n, order in enumerate(itertools.permutations([down_a, down_c, down_d])):
        home = tmp_path / f"street-{n}"
        shutil.copytree(snapshot, home)
        o.homes[STREET] = home
        for path in order:
            assert o.json(STREET, "sync", "import", str(path))["sender"] == COUNTY
        if n == 0:
            assert o.carry(STREET, COUNTY)["sender_serial"] == second
    assert _street_at_county(o)["installed_serial"] == second


def test_a_renewal_is_acknowledged_by_the_next_package_even_an_empty_one(chain: Offices) -> None:
    """Same keys renewed: nothing changes for encryption, and the next package to the parent — with nothing
    else in it — is the street's word that it installed the renewal."""
    o = chain
    o.down(CODES[:4])
    o.carry(STREET, COUNTY)
    o.carry(COUNTY, STREET)
    o.carry(STREET, COUNTY)  # the receipts have gone back and forth; nothing waits
    request, bundle = o.files / "renew.req", o.files / "renew.cert"
    o.ok(STREET, "office", "request", "--out", str(request))
    renewed = o.json(COUNTY, "office", "certify", str(request), "--out", str(bundle))["serial"]
    seen = _street_at_county(o)
    assert seen["certificate"] == renewed and seen["installed"] is False
    o.ok(STREET, "office", "install", str(bundle))
    empty = _export(o, STREET, COUNTY, "empty")
    report = o.json(COUNTY, "sync", "import", str(empty))
    assert report["sender_serial"] == renewed and report["applied"] == 0
    seen = _street_at_county(o)
    assert seen["installed"] is True and seen["installed_serial"] == renewed
