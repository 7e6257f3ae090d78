"""从扫描件读取 in the new-declaration form (代录): read off the GUI thread, check beside the scan, fill, save."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialog
from sqlalchemy import func, select

from sanlian_desktop import paperread
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.models import Declaration, DeclarationAttachment
from sanlian_desktop.paperread import FieldReading, Proposal
from sanlian_desktop.ui.form.dialog import DeclarationDialog
from sanlian_desktop.ui.form.scanread import ScanReviewDialog
from sanlian_desktop.ui.jobs import JobRunner
from tests.helpers import Office
from tests.ui.helpers import Blocked, Modals, modals_fixture, stays_live, writes_done  # noqa: F401


def _proposal(example: dict[str, Any]) -> Proposal:
    from PIL import Image, ImageDraw

    page = Image.new("RGB", (1240, 1754), "white")
    ImageDraw.Draw(page).rectangle((100, 200, 1100, 260), outline="black")
    fields = {k: v for k, v in example.items() if k not in ("batch", "community")}
    readings = [
        FieldReading("title", fields["title"], fields["title"], 0.99, 0, (110, 205, 900, 255)),
        FieldReading("subsidy_requested", fields["subsidy_requested"], "￥50,000.00元 / 人民币伍万元整", 0.97, 0,
                     (110, 300, 500, 340)),
        FieldReading("undertaker.credit_code", "52620102MJ0000123A", "52620102MJ0000123A", 0.3, 0,
                     (110, 400, 600, 440), problem="校验码不正确（最后一位应为“U”）"),
    ]
    fields["undertaker"] = {**fields["undertaker"], "credit_code": "52620102MJ0000123A"}
    units = {"city": "兰州市", "county": "城关区", "street": "东岗街道", "community": "东岗西路社区"}
    return Proposal(fields=fields, readings=readings, unit_names=units, pages=[page])


@pytest.fixture
def scan(tmp_path: Path) -> Path:
    path = tmp_path / "申报表扫描件.png"
    path.write_bytes(b"\x89PNG stand-in: the reader is replaced in these tests")
    return path


def _count(office: Office, model: Any) -> int:
    with office.store.read_session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_scan_is_read_off_the_gui_thread_checked_then_saved_with_the_scan(
        qtbot: Any, jobs: JobRunner, county: Office, modals: Modals, example: dict[str, Any], scan: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paperread, "ocr_available", lambda: True)
    monkeypatch.setattr(paperread, "read_form", lambda path, progress=None: _proposal(example))
    blocked = Blocked(monkeypatch, paperread, "read_form")
    seen: dict[str, bool] = {}

    def review_exec(self: ScanReviewDialog) -> int:  # the clerk looks, then accepts (the dialog goes after)
        seen["credit code highlighted"] = self.is_highlighted("undertaker.credit_code")
        seen["title highlighted"] = self.is_highlighted("title")
        seen["title crop shown"] = self.table.cellWidget(0, 1) is not None
        seen["scan shown"] = len(self.page_views) == 1 and not self.page_views[0].pixmap().isNull()
        return int(QDialog.DialogCode.Accepted)

    monkeypatch.setattr(ScanReviewDialog, "exec", review_exec)
    dialog = DeclarationDialog(county.store, county.clerk, None, jobs=jobs)
    qtbot.addWidget(dialog)
    dialog.form.load({"batch": example["batch"]})
    assert not dialog.scan_button.isHidden()
    assert dialog.read_scan(scan)
    stays_live(qtbot, blocked, dialog)
    blocked.release.set()
    writes_done(qtbot, jobs)
    assert blocked.ran_off_the_gui_thread()
    assert seen == {"credit code highlighted": True, "title highlighted": False, "title crop shown": True,
                    "scan shown": True}
    raw = dialog.form.raw()
    # the community printed on the 申报单位 line, found in the office's list
    assert raw["title"] == example["title"] and raw["community"] == example["community"]
    assert "需核对" in dialog.status.text()
    assert _count(county, Declaration) == 0  # nothing saved before the clerk saves
    dialog.form.widgets["undertaker.credit_code"].setText("52620102MJ0000123U")  # type: ignore[attr-defined]
    assert dialog.save()
    writes_done(qtbot, jobs)
    with county.store.read_session() as s:
        decl = s.scalars(select(Declaration)).one()
        kinds = [(a.original_name, a.kind) for a in
                 s.scalars(select(DeclarationAttachment).where(DeclarationAttachment.declaration_id == decl.id))]
    assert decl.title == example["title"]
    assert kinds == [(scan.name, "scan")]
    assert dialog.scan_button.isHidden()


def test_cancelled_review_fills_nothing(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals,
                                        example: dict[str, Any], scan: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paperread, "ocr_available", lambda: True)
    monkeypatch.setattr(paperread, "read_form", lambda path, progress=None: _proposal(example))
    monkeypatch.setattr(ScanReviewDialog, "exec", lambda self: int(QDialog.DialogCode.Rejected))
    dialog = DeclarationDialog(county.store, county.clerk, None, jobs=jobs)
    qtbot.addWidget(dialog)
    assert dialog.read_scan(scan)
    writes_done(qtbot, jobs)
    assert not dialog.form.raw()["title"] and dialog.pending == [] and not dialog._dirty
    assert "未填入" in dialog.status.text()


def test_unreadable_scan_gets_its_message_and_changes_nothing(
        qtbot: Any, jobs: JobRunner, county: Office, modals: Modals, scan: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paperread, "ocr_available", lambda: True)

    def refuse(path: Path, progress: Any = None) -> Proposal:
        raise UserError("页面是空白的，没有可识别的内容", "blank page")

    monkeypatch.setattr(paperread, "read_form", refuse)
    dialog = DeclarationDialog(county.store, county.clerk, None, jobs=jobs)
    qtbot.addWidget(dialog)
    assert dialog.read_scan(scan)
    writes_done(qtbot, jobs)
    assert any("空白" in w for w in modals.warnings)
    assert not dialog.form.raw()["title"] and dialog.pending == []
    assert dialog.scan_button.isEnabled()
    assert _count(county, Declaration) == 0


def test_without_the_ocr_extra_the_clerk_is_told_where_to_get_it(
        qtbot: Any, jobs: JobRunner, county: Office, modals: Modals, scan: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paperread, "ocr_available", lambda: False)
    dialog = DeclarationDialog(county.store, county.clerk, None, jobs=jobs)
    qtbot.addWidget(dialog)
    assert not dialog.read_scan(scan)
    assert any("pip install" in w for w in modals.warnings)


def test_a_saved_declaration_has_no_scan_reading(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals,
                                                 example: dict[str, Any]) -> None:
    from sanlian_desktop.declarations import drafts

    with county.session() as s:
        decl_id = drafts.create(s, county.clerk, example).id
    dialog = DeclarationDialog(county.store, county.clerk, decl_id, jobs=jobs)
    qtbot.addWidget(dialog)
    assert dialog.scan_button.isHidden()
    assert not dialog.read_scan(Path("x.png"))
