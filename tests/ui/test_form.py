"""The declaration form: live validation, capitals as you type, save, autosave, read-only, submit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QPlainTextEdit

from sanlian_desktop.declarations import drafts, lookup
from sanlian_desktop.kernel.vocab import Status
from sanlian_desktop.models import Declaration
from sanlian_desktop.ui.form.dialog import DeclarationDialog
from sanlian_desktop.ui.form.form import DeclarationForm
from sanlian_desktop.ui.jobs import JobRunner
from tests.helpers import Office
from tests.ui.helpers import (  # noqa: F401
    Blocked,
    Modals,
    is_deleted,
    modals_fixture,
    refusing,
    stays_live,
    writes_done,
)


def _dialog(qtbot: Any, jobs: JobRunner, office: Office, actor: Any = None,
            decl_id: str | None = None) -> DeclarationDialog:
    dialog = DeclarationDialog(office.store, actor or office.clerk, decl_id, jobs=jobs)
    qtbot.addWidget(dialog)
    return dialog


def _saved(office: Office, example: dict[str, Any]) -> str:
    with office.session() as s:
        return drafts.create(s, office.clerk, example).id


def test_validation_marks_the_field_and_says_why(qtbot: Any, county: Office, modals: Modals) -> None:
    form = DeclarationForm(county.store, county.clerk)
    qtbot.addWidget(form)
    credit = form.widgets["undertaker.credit_code"]
    assert isinstance(credit, QLineEdit)
    qtbot.keyClicks(credit, "52620102MJ0000123A")
    label = form.error_labels["undertaker.credit_code"]
    qtbot.waitUntil(lambda: not label.isHidden(), timeout=2000)
    assert "校验" in label.text() or "不正确" in label.text() or label.text()
    assert form.is_marked(credit)
    credit.setText("52620102MJ0000123U")
    qtbot.waitUntil(label.isHidden, timeout=2000)
    assert not form.is_marked(credit)


def test_chinese_text_and_required_title(qtbot: Any, county: Office, modals: Modals) -> None:
    form = DeclarationForm(county.store, county.clerk)
    qtbot.addWidget(form)
    errors = form.validate_now()
    assert any(e.field == "title" for e in errors)
    assert form.error_labels["title"].text() == "必填"
    form.title_edit.setText("东岗西路社区助餐服务项目")
    assert not any(e.field == "title" for e in form.validate_now())


def test_money_shows_capital_numerals_as_you_type(qtbot: Any, county: Office, modals: Modals) -> None:
    form = DeclarationForm(county.store, county.clerk)
    qtbot.addWidget(form)
    money = form.widgets["budget_total"]
    qtbot.keyClicks(money.edit, "50000")  # type: ignore[attr-defined]
    assert money.capitals.text() == "人民币伍万元整"  # type: ignore[attr-defined]
    qtbot.keyClicks(money.edit, ".5")  # type: ignore[attr-defined]
    assert money.capitals.text() == "人民币伍万元伍角整"  # type: ignore[attr-defined]


def test_funding_row_errors_point_at_the_row(qtbot: Any, county: Office, modals: Modals, example: dict[str, Any]) -> None:
    form = DeclarationForm(county.store, county.clerk)
    qtbot.addWidget(form)
    form.load(example)
    funding = form.widgets["funding_sources"]
    funding.rows[1].amount.edit.setText("abc")  # type: ignore[attr-defined]
    errors = form.validate_now()
    assert any(e.field == "funding_sources[1]" for e in errors)
    assert form.is_marked(funding.rows[1].amount.edit)  # type: ignore[attr-defined]
    assert not form.is_marked(funding.rows[0].amount.edit)  # type: ignore[attr-defined]
    assert "abc" in form.error_labels["funding_sources"].text()


def test_round_trip_keeps_the_content(qtbot: Any, county: Office, modals: Modals, example: dict[str, Any]) -> None:
    from sanlian_desktop.declarations import fields as declfields

    form = DeclarationForm(county.store, county.clerk)
    qtbot.addWidget(form)
    form.load(example)
    want = declfields.normalise(example, for_submit=True).fields
    got = declfields.normalise(form.raw(), for_submit=True)
    assert got.errors == []
    assert got.fields == want


def test_save_creates_then_edits(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals, example: dict[str, Any]) -> None:
    dialog = _dialog(qtbot, jobs, county)
    dialog.form.load(example)
    assert dialog.save()
    writes_done(qtbot, jobs)
    decl_id = dialog.decl_id
    assert decl_id is not None
    dialog.form.title_edit.setText("东岗西路社区“银龄守望”关爱服务项目")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)  # the button saves as well
    writes_done(qtbot, jobs)
    assert dialog.status.text() == "已保存" and not dialog._dirty
    dialog.form.title_edit.setText("东岗西路社区“银龄守望”关爱服务项目（修订）")
    with qtbot.waitActive(dialog):
        dialog.show()
    dialog.form.title_edit.setFocus()
    qtbot.keyClick(dialog.form.title_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    writes_done(qtbot, jobs)
    with county.store.read_session() as s:
        decl = s.get(Declaration, decl_id)
        assert decl is not None
        assert decl.title.endswith("（修订）")
        assert lookup.current_fields(s, decl)["title"] == decl.title


def test_save_refused_shows_the_problems(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals, example: dict[str, Any]) -> None:
    dialog = _dialog(qtbot, jobs, county)
    example["subsidy_requested"] = "90000"
    dialog.form.load(example)
    assert dialog.save()  # started; the service refuses it on the worker
    writes_done(qtbot, jobs)
    assert not dialog.form.summary.isHidden()
    assert "申请省级补助资金" in dialog.form.summary.text()
    assert dialog.decl_id is None


def test_autosave_and_restore(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals, example: dict[str, Any]) -> None:
    decl_id = _saved(county, example)
    dialog = _dialog(qtbot, jobs, county, decl_id=decl_id)
    dialog.form.title_edit.setText("未保存的新名称")
    assert dialog._autosave_timer.isActive()
    dialog.write_autosave()
    path = county.home / "autosave" / f"{decl_id}.json"
    assert json.loads(path.read_text("utf-8"))["raw"]["title"] == "未保存的新名称"
    dialog.hide()  # as if the program had crashed: the autosave stays

    again = _dialog(qtbot, jobs, county, decl_id=decl_id)
    assert modals.questions  # offered
    assert again.form.title_edit.text() == "未保存的新名称"
    assert again.save()
    writes_done(qtbot, jobs)
    assert not path.exists()


def test_autosave_of_a_new_declaration_is_offered(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals,
                                                  example: dict[str, Any]) -> None:
    dialog = _dialog(qtbot, jobs, county)
    dialog.form.load(example)
    dialog.form.title_edit.setText("新项目")
    dialog.write_autosave()
    assert (county.home / "autosave" / "new.json").exists()
    modals.answer_yes = False
    other = _dialog(qtbot, jobs, county)
    assert other.form.title_edit.text() == ""
    assert not (county.home / "autosave" / "new.json").exists()


def test_reviewer_sees_the_form_read_only(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals, example: dict[str, Any]) -> None:
    decl_id = _saved(county, example)
    dialog = _dialog(qtbot, jobs, county, county.reviewer, decl_id)
    assert dialog.form.is_read_only()
    assert dialog.save_button.isHidden()
    assert not dialog.save()
    for widget in dialog.form.widgets.values():
        if isinstance(widget, QLineEdit | QPlainTextEdit):
            assert widget.isReadOnly()
    assert not dialog.form.batch.isEnabled()


def test_submit_with_paper_street_opinion(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals, example: dict[str, Any],
                                          tmp_path: Path) -> None:
    dialog = _dialog(qtbot, jobs, county)
    dialog.form.load(example)
    with qtbot.waitSignal(dialog.submitted, timeout=10_000):
        assert dialog.submit()
    writes_done(qtbot, jobs)
    assert dialog.form.is_read_only()
    with county.store.read_session() as s:
        decl = lookup.get(s, dialog.decl_id or "")
        assert decl.status == Status.UNDER_REVIEW
        assert decl.awaiting_office == "620102"
        assert [o.from_paper for o in decl.opinions] == [True]
        assert decl.opinions[0].text == "同意上报。"


def test_submit_incomplete_lists_what_is_missing(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals,
                                                 example: dict[str, Any]) -> None:
    example["undertaker"]["phone"] = None
    dialog = _dialog(qtbot, jobs, county)
    dialog.form.load(example)
    assert dialog.submit()  # the save starts; the completeness check follows it
    writes_done(qtbot, jobs)
    assert not dialog.form.is_read_only()
    assert "联系电话" in dialog.form.summary.text()
    assert dialog.decl_id is not None  # saved as a draft all the same


def test_attachments_on_a_saved_declaration(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals, example: dict[str, Any],
                                            tmp_path: Path) -> None:
    from PySide6.QtGui import QColor, QImage

    image = QImage(40, 30, QImage.Format.Format_RGB32)
    image.fill(QColor("#3a7"))
    photo = tmp_path / "听证会.png"
    image.save(str(photo))
    decl_id = _saved(county, example)
    dialog = _dialog(qtbot, jobs, county, decl_id=decl_id)
    dialog.add_files([photo])
    writes_done(qtbot, jobs)
    panel = dialog.form.attachments
    assert panel.list.count() == 1
    assert "听证会.png" in panel.list.item(0).text()
    panel.list.setCurrentRow(0)
    assert not panel.preview.pixmap().isNull()


def test_tab_order_follows_the_paper_form(qtbot: Any, county: Office, modals: Modals) -> None:
    form = DeclarationForm(county.store, county.clerk)
    qtbot.addWidget(form)
    chain = form._focusables()
    assert chain[0] is form.batch and chain[2] is form.title_edit
    with qtbot.waitExposed(form):
        form.show()

    def next_tab_stop(widget: Any) -> Any:
        nxt = widget.nextInFocusChain()
        while not (nxt.focusPolicy() & Qt.FocusPolicy.TabFocus) or not nxt.isVisible():
            nxt = nxt.nextInFocusChain()
        return nxt

    assert next_tab_stop(form.title_edit) is form.widgets["community_profile.text"]
    assert next_tab_stop(form.widgets["undertaker.name"]) is form.widgets["undertaker.credit_code"]


def test_dialog_freed_on_close(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals) -> None:
    dialog = DeclarationDialog(county.store, county.clerk, jobs=jobs)
    dialog.show()
    dialog.close()
    QApplication.sendPostedEvents(None, 0)
    qtbot.waitUntil(lambda: is_deleted(dialog), timeout=2000)


def test_existing_declaration_keeps_its_community(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals,
                                                  example: dict[str, Any]) -> None:
    decl_id = _saved(county, example)
    dialog = _dialog(qtbot, jobs, county, decl_id=decl_id)
    assert not dialog.form.is_read_only()
    assert not dialog.form.community.isEnabled()
    assert dialog.form.community.currentText() == "东岗西路社区（东岗街道）"
    assert dialog.form.raw()["community"] == "620102001001"


def test_closing_with_unsaved_changes_asks(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals,
                                           example: dict[str, Any]) -> None:
    from PySide6.QtWidgets import QMessageBox

    decl_id = _saved(county, example)
    dialog = DeclarationDialog(county.store, county.clerk, decl_id, jobs=jobs)  # deletes itself on close
    dialog.show()
    dialog.form.title_edit.setText("改过的名称")
    modals.close_answer = QMessageBox.StandardButton.Cancel
    assert not dialog.close()
    assert dialog.isVisible()
    modals.close_answer = QMessageBox.StandardButton.Save
    assert not dialog.close()  # the save runs on the worker; the window closes when it is done
    writes_done(qtbot, jobs)
    QApplication.sendPostedEvents(None, 0)
    qtbot.waitUntil(lambda: is_deleted(dialog), timeout=2000)
    with county.store.read_session() as s:
        assert lookup.get(s, decl_id).title == "改过的名称"
    assert not (county.home / "autosave" / f"{decl_id}.json").exists()


def test_dropped_files_wait_for_the_first_save(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals,
                                               example: dict[str, Any], tmp_path: Path) -> None:
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    minutes = tmp_path / "居民代表会议记录.pdf"
    minutes.write_bytes(b"%PDF-1.4 minutes")
    dialog = _dialog(qtbot, jobs, county)
    dialog.form.load(example)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(minutes))])
    drop = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    dialog.form.attachments.dropEvent(drop)
    assert dialog.pending == [minutes]
    assert "待保存" in dialog.form.attachments.list.item(0).text()
    assert dialog.save()
    writes_done(qtbot, jobs)
    assert dialog.pending == []
    with county.store.read_session() as s:
        items = lookup.as_dict(s, lookup.get(s, dialog.decl_id or ""))["attachments"]
    assert [a["name"] for a in items] == ["居民代表会议记录.pdf"]
    assert "待保存" not in dialog.form.attachments.list.item(0).text()


def test_a_slow_save_runs_off_the_gui_thread_and_a_refusal_shows_its_sentence(
        qtbot: Any, jobs: JobRunner, county: Office, modals: Modals, example: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from PySide6.QtGui import QColor, QImage

    photo = tmp_path / "入户走访.png"
    image = QImage(40, 30, QImage.Format.Format_RGB32)
    image.fill(QColor("#3a7"))
    image.save(str(photo))
    decl_id = _saved(county, example)
    blocked = Blocked(monkeypatch, drafts, "edit")
    dialog = _dialog(qtbot, jobs, county, decl_id=decl_id)
    dialog.form.title_edit.setText("慢盘上保存的名称")
    assert dialog.save()
    stays_live(qtbot, blocked, dialog)
    assert jobs.writing(dialog) and not dialog.save_button.isEnabled() and not dialog.submit_button.isEnabled()
    assert not dialog.save()  # a second Ctrl+S starts no second write
    dialog.add_files([photo])  # dropped meanwhile: kept for the next save, not lost
    assert dialog.pending == [photo]
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        blocked.release.set()
    writes_done(qtbot, jobs)
    assert blocked.ran_off_the_gui_thread()
    # The file dropped during the save still waits, so the form says so rather than 已保存.
    assert dialog.save_button.isEnabled() and dialog.status.text() == "未保存的修改"
    assert dialog.pending == [photo] and dialog._dirty
    assert dialog.save()
    writes_done(qtbot, jobs)
    assert dialog.pending == [] and dialog.form.attachments.list.count() == 1
    with county.store.read_session() as s:
        assert lookup.get(s, decl_id).title == "慢盘上保存的名称"

    refusing(monkeypatch, drafts, "attach", "附件太大，不能超过 20 MB")
    dialog.add_files([Path(__file__)])
    writes_done(qtbot, jobs)
    assert modals.warnings == ["附件太大，不能超过 20 MB"]
    assert dialog.form.attachments.list.count() == 1 and dialog.save_button.isEnabled()


def test_attachments_take_a_category_and_can_be_removed_before_they_travel(
        qtbot: Any, jobs: JobRunner, county: Office, modals: Modals, example: dict[str, Any], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from sanlian_desktop.ui.form import attachments as panel_module

    photo = tmp_path / "走访照片.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    chosen = [photo]
    monkeypatch.setattr(panel_module, "open_files", lambda *a, **k: list(chosen))

    # A new declaration: the file waits for the first save, under the category chosen, and can be dropped.
    dialog = _dialog(qtbot, jobs, county)
    panel = dialog.form.attachments
    panel.kind_combo.setCurrentIndex(panel.kind_combo.findText("照片"))
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert panel.list.item(0).text() == "走访照片.jpg（照片，待保存）"
    panel.list.setCurrentRow(0)
    assert panel.remove_button.isEnabled()
    qtbot.mouseClick(panel.remove_button, Qt.MouseButton.LeftButton)
    assert panel.list.count() == 0 and dialog.pending == []

    # A saved draft: added now under its category, removed after a question, audit-logged.
    decl_id = _saved(county, example)
    dialog = _dialog(qtbot, jobs, county, decl_id=decl_id)
    panel = dialog.form.attachments
    panel.kind_combo.setCurrentIndex(panel.kind_combo.findText("会议记录"))
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    writes_done(qtbot, jobs)
    assert panel.list.item(0).text() == "走访照片.jpg（会议记录）"
    with county.store.read_session() as s:
        assert [(a["kind"], a["removable"]) for a in drafts.attachment_links(s, county.clerk, lookup.get(s, decl_id))] \
            == [("minutes", True)]
    panel.list.setCurrentRow(0)
    modals.answer_yes = False
    qtbot.mouseClick(panel.remove_button, Qt.MouseButton.LeftButton)
    assert "删除附件“走访照片.jpg”？" in modals.questions[-1] and panel.list.count() == 1
    modals.answer_yes = True
    qtbot.mouseClick(panel.remove_button, Qt.MouseButton.LeftButton)
    writes_done(qtbot, jobs)
    assert panel.list.count() == 0 and "已删除附件" in dialog.status.text()
    with county.store.read_session() as s:
        assert drafts.attachment_links(s, county.clerk, lookup.get(s, decl_id)) == []

    # Read-only (a reviewer): the list shows, nothing to add or remove.
    viewer = _dialog(qtbot, jobs, county, actor=county.reviewer, decl_id=decl_id)
    assert not viewer.form.attachments.remove_button.isVisibleTo(viewer)
    assert not viewer.form.attachments.kind_combo.isVisibleTo(viewer)
