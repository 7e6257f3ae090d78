"""Choosing the suite at ``init`` and refusing, through the command line, what belongs to another suite."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from sanlian_desktop.models import AuditEntry, CertificateRecord, SyncPackage
from sanlian_desktop.store.engine import Store
from sanlian_desktop.sync.trust.gm import GM_SUITE
from tests.helpers import PASSWORD
from tests.sync.helpers_cli import Offices, certified_chain

pytestmark = pytest.mark.suite_specific  # `init --suite gm` itself, beside the default


def _counts(home: Path) -> tuple[int, int, int]:
    store = Store.open(home)
    with store.session() as s:
        counts = tuple(s.scalar(select(func.count()).select_from(t)) or 0
                       for t in (CertificateRecord, SyncPackage, AuditEntry))
    store.close()
    return counts  # type: ignore[return-value]


def test_init_refuses_an_unknown_suite_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SANLIAN_NEW_PASSWORD", PASSWORD)
    o = Offices(tmp_path, capsys, suite="sm9")
    rc, _, err = o.run("620000", "init", "--level", "province", "--region", "620000", "--name", "甘肃省民政厅",
                       "--admin", "admin", "--suite", "sm9", user=None)
    assert rc == 2 and "没有名为“sm9”的算法套件" in err and "gm（国密算法" in err and len(err.strip().splitlines()) == 1
    assert not (o.homes["620000"] / "sanlian.db").exists()


def test_a_province_made_in_gm_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANLIAN_NEW_PASSWORD", PASSWORD)
    monkeypatch.setenv("SANLIAN_PASSWORD", PASSWORD)
    o = Offices(tmp_path, capsys, suite="gm")
    out = o.ok("620000", "init", "--level", "province", "--region", "620000", "--name", "甘肃省民政厅",
               "--admin", "admin", "--suite", "gm", user=None)
    assert "算法套件：国密算法（SM2/SM3/SM4）" in out
    shown = o.json("620000", "office", "show")
    assert shown["suite"] == GM_SUITE.name and shown["suite_label"] == "国密算法（SM2/SM3/SM4）"


@pytest.fixture
def both(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> tuple[Offices, Offices]:
    """The five-office chain twice: once as an SL1 province made it, once as a 国密 one."""
    return (certified_chain(tmp_path / "sl1", capsys, monkeypatch, "sl1"),
            certified_chain(tmp_path / "gm", capsys, monkeypatch, "gm"))


def test_what_belongs_to_another_suite_is_refused_and_changes_nothing(both: tuple[Offices, Offices]) -> None:
    sl1, gm = both
    # A 国密 package carried to an SL1 office.
    path = gm.files / "gm.sanlian"
    gm.ok("620000", "sync", "export", "--to", "620100", "--out", str(path))
    before = _counts(sl1.homes["620100"])
    rc, _, err = sl1.run("620100", "sync", "import", str(path))
    assert rc == 2 and len(err.strip().splitlines()) == 1
    assert "国密算法（SM2/SM3/SM4）" in err and "同一种算法套件" in err
    assert _counts(sl1.homes["620100"]) == before
    # An SL1 request carried to a 国密 parent: refused, with what to do.
    request, bundle = sl1.files / "again.req", gm.files / "x.cert"
    sl1.ok("620102", "office", "request", "--out", str(request))
    before = _counts(gm.homes["620100"])
    rc, _, err = gm.run("620100", "office", "certify", str(request), "--out", str(bundle))
    assert rc == 2 and "--suite" in err and "一条证书链只能使用一种算法套件" in err
    assert not bundle.exists() and _counts(gm.homes["620100"]) == before
    # A 国密 certificate bundle installed at an SL1 office.
    gm_request, gm_bundle = gm.files / "again.req", gm.files / "again.cert"
    gm.ok("620102", "office", "request", "--out", str(gm_request))
    gm.ok("620100", "office", "certify", str(gm_request), "--out", str(gm_bundle))
    before = _counts(sl1.homes["620102"])
    rc, _, err = sl1.run("620102", "office", "install", str(gm_bundle))
    assert rc == 2 and "算法套件" in err
    assert _counts(sl1.homes["620102"]) == before
