"""check: a healthy store passes; a damaged or missing attachment and a changed audit entry are found."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sanlian_desktop.store import attachments, health
from sanlian_desktop.store.engine import Store
from tests.helpers import Office
from tests.shipping.helpers import add_declaration_with_attachment


@pytest.mark.engines
def test_a_healthy_store_passes(county: Office, tmp_path: Path) -> None:
    add_declaration_with_attachment(county, tmp_path)
    report = health.check(county.store)
    assert report.ok and report.database_ok and report.attachments_checked == 1
    assert report.lines()[-1] == "检查结果：正常"
    assert report.as_dict()["ok"] is True


def test_a_damaged_attachment_is_found(county: Office, tmp_path: Path) -> None:
    _decl, sha = add_declaration_with_attachment(county, tmp_path)
    blob = attachments.blob_path(county.store.paths, sha)
    data = bytearray(blob.read_bytes())
    data[10] ^= 0xFF
    blob.write_bytes(bytes(data))
    report = health.check(county.store)
    assert not report.ok
    assert [(p.kind, p.subject) for p in report.problems] == [("attachment-damaged", sha)]
    assert any("损坏" in line for line in report.lines())


def test_a_missing_attachment_and_an_edited_audit_entry_are_found(county: Office, tmp_path: Path) -> None:
    _decl, sha = add_declaration_with_attachment(county, tmp_path)
    attachments.blob_path(county.store.paths, sha).unlink()
    county.store.close()
    with sqlite3.connect(county.home / "sanlian.db") as conn:
        conn.execute("UPDATE audit_log SET username = 'mallory' WHERE seq = 1")
    conn.close()
    store = Store.open(county.home)
    try:
        kinds = {p.kind for p in health.check(store).problems}
    finally:
        store.close()
    assert kinds == {"attachment-missing", "audit"}
