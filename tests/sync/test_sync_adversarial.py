"""Damaged, misdirected, foreign, revoked, expired and replayed packages: each refused clearly, store untouched."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.models import AuditEntry, Batch, SyncPackage
from sanlian_desktop.offices.auth import sign_in
from sanlian_desktop.store.engine import Store
from sanlian_desktop.sync.exchange.importing import import_package
from tests.helpers import PASSWORD
from tests.sync.helpers_cli import Offices


def _fingerprint(home: Path) -> tuple[int, int, int]:
    store = Store.open(home)
    with store.session() as s:
        counts = (s.scalar(select(func.count()).select_from(Batch)) or 0,
                  s.scalar(select(func.count()).select_from(SyncPackage)) or 0,
                  s.scalar(select(func.count()).select_from(AuditEntry)) or 0)
    store.close()
    return counts


def _package(o: Offices, sender: str, recipient: str, name: str) -> Path:
    path = o.files / name
    o.ok(sender, "sync", "export", "--to", recipient, "--out", str(path))
    return path


def test_every_flip_and_truncation_refused(chain: Offices) -> None:
    o = chain
    o.down(["620000", "620100"])
    good = _package(o, "620100", "620102", "good.sanlian")
    data = good.read_bytes()
    assert len(data) < 12_000
    home = o.homes["620102"]
    before = _fingerprint(home)
    store = Store.open(home)
    with store.session() as s:
        actor = sign_in(s, "admin", PASSWORD)
    bad = o.files / "bad.sanlian"
    messages = set()
    try:
        for i in range(len(data)):
            bad.write_bytes(data[:i] + bytes([data[i] ^ 0x41]) + data[i + 1:])
            with pytest.raises(UserError) as exc:
                import_package(store, actor, bad)
            messages.add(exc.value.zh)
        for n in range(len(data)):
            bad.write_bytes(data[:n])
            with pytest.raises(UserError):
                import_package(store, actor, bad)
        bad.write_bytes(data + b"\0")
        with pytest.raises(UserError, match="多出"):
            import_package(store, actor, bad)
    finally:
        store.close()
    assert _fingerprint(home) == before
    assert all("Traceback" not in m for m in messages)
    # Through the CLI: exit 2 and one line.
    bad.write_bytes(data[:-1])
    rc, _, err = o.run("620102", "sync", "import", str(bad))
    assert rc == 2 and len(err.strip().splitlines()) == 1
    rc, out, _ = o.run("620102", "sync", "import", str(good))
    assert rc == 0 and "新记录" in out


def test_wrong_recipient_names_the_right_one(chain: Offices) -> None:
    o = chain
    path = _package(o, "620100", "620102", "for-county.sanlian")
    rc, _, err = o.run("620102001", "sync", "import", str(path))
    assert rc == 2 and "城关区民政局" in err and "620102" in err


def test_office_outside_the_chain(chain: Offices, tmp_path: Path) -> None:
    o = chain
    # A second province with its own root: its packages are not trusted anywhere in this chain.
    o.homes["rogue"] = tmp_path / "rogue"
    o.ok("rogue", "init", "--level", "province", "--region", "620000", "--name", "假冒省厅", "--admin", "admin",
         "--suite", o.suite, user=None)
    # It certifies the real city's request (a request is no secret), so it can encrypt to the city.
    o.ok("rogue", "office", "certify", str(o.files / "620100.req"), "--out", str(o.files / "rogue.cert"))
    o.ok("rogue", "batch", "add", "--name", "假批次", "--code", "9999", "--opens", "2026-01-01", "--closes", "2030-01-01")
    path = o.files / "rogue.sanlian"
    o.ok("rogue", "sync", "export", "--to", "620100", "--out", str(path))
    rc, _, err = o.run("620100", "sync", "import", str(path))
    assert rc == 2 and "根证书" in err


def test_sibling_is_not_a_neighbour(chain: Offices, tmp_path: Path) -> None:
    o = chain
    o.homes["620103"] = tmp_path / "qilihe"
    o.ok("620103", "init", "--level", "county", "--region", "620103", "--name", "七里河区民政局", "--admin", "admin",
         "--suite", o.suite, user=None)
    o.ok("620103", "office", "request", "--out", str(o.files / "q.req"))
    o.ok("620100", "office", "certify", str(o.files / "q.req"), "--out", str(o.files / "q.cert"))
    o.ok("620103", "office", "install", str(o.files / "q.cert"))
    rc, _, err = o.run("620103", "sync", "export", "--to", "620102", "--out", str(o.files / "q.sanlian"))
    assert rc == 2 and "不是本单位的上级" in err


def test_revoked_sender(chain: Offices) -> None:
    o = chain
    o.ok("620102", "office", "revoke", "620102001", "--reason", "电脑丢失")
    # Made after the revocation, before the street learns of it: refused at the county.
    path = _package(o, "620102001", "620102", "after-revocation.sanlian")
    rc, _, err = o.run("620102", "sync", "import", str(path))
    assert rc == 2 and "吊销" in err
    o.carry("620102", "620102001")  # the revocation travels (the street learns of it too) ...
    rc, _, err = o.run("620102001", "sync", "export", "--to", "620102", "--out", str(o.files / "again.sanlian"))
    assert rc == 2 and "吊销" in err  # ... and from then on the street exports nothing under it (issue 14)


def test_expired_sender(chain: Offices, monkeypatch: pytest.MonkeyPatch) -> None:
    o = chain
    o.ok("620102", "office", "request", "--out", str(o.files / "short.req"))
    o.ok("620100", "office", "certify", str(o.files / "short.req"), "--out", str(o.files / "short.cert"),
         "--days", "1")
    o.ok("620102", "office", "install", str(o.files / "short.cert"))
    # Two days on, the county's only valid-looking certificate has expired: the writer refuses to
    # sign with it, and a package forged past that check is refused by the reader.
    from sanlian_desktop.kernel import canonical
    from sanlian_desktop.sync.transport import package

    real_now = canonical.utc_now
    monkeypatch.setattr(canonical, "utc_now", lambda: real_now() + timedelta(days=2))
    monkeypatch.setattr("sanlian_desktop.sync.exchange.export.utcnow", lambda: real_now() + timedelta(days=2))
    monkeypatch.setattr("sanlian_desktop.sync.exchange.importing.utcnow", lambda: real_now() + timedelta(days=2))
    monkeypatch.setattr("sanlian_desktop.offices.custody.own_certificate",
                        lambda s: next(c for c in __import__("sanlian_desktop.offices.custody", fromlist=["x"])._certs(
                            s, is_own=True) if (c.not_after - c.not_before).days <= 1))
    rc, _, err = o.run("620102", "sync", "export", "--to", "620100", "--out", str(o.files / "expired.sanlian"))
    assert rc == 2 and "有效期" in err
    monkeypatch.setattr(package, "_check_sender_chain", lambda *a, **k: None)
    o.ok("620102", "sync", "export", "--to", "620100", "--out", str(o.files / "expired.sanlian"))
    rc, _, err = o.run("620100", "sync", "import", str(o.files / "expired.sanlian"))
    assert rc == 2 and ("过期" in err or "有效期" in err), err


def test_replay_is_harmless_and_said(chain: Offices) -> None:
    o = chain
    path = _package(o, "620000", "620100", "p.sanlian")
    first = o.json("620100", "sync", "import", str(path))
    assert not first["already_imported"]
    before = _fingerprint(o.homes["620100"])
    out = o.ok("620100", "sync", "import", str(path))
    assert "已经导入过" in out
    assert _fingerprint(o.homes["620100"]) == before


def test_same_id_other_content_refused(chain: Offices) -> None:
    o = chain
    path = _package(o, "620000", "620100", "p.sanlian")
    o.ok("620100", "sync", "import", str(path))
    store = Store.open(o.homes["620100"])
    with store.session() as s:
        row = s.get(SyncPackage, next(iter(s.scalars(select(SyncPackage.package_id).where(
            SyncPackage.direction == "in")))))
        assert row is not None
        row.file_hash = hashlib.sha256(b"another file").hexdigest()
    store.close()
    rc, _, err = o.run("620100", "sync", "import", str(path))
    assert rc == 2 and "内容不同" in err
