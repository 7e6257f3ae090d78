"""The form never loses or hides work (issue 15 §2): closing asks, the wheel leaves values alone, the return
opinion is in view, dates can be typed, the problem banner follows the typing, the status line tells the truth."""

from __future__ import annotations

import inspect
import json
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import QDate, QPoint, QPointF, Qt
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLineEdit,
    QMessageBox,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.declarations import drafts, lookup, workflow
from sanlian_desktop.kernel.vocab import Decision, Level
from sanlian_desktop.ui.form.dialog import DeclarationDialog
from sanlian_desktop.ui.form.fields import DateField
from sanlian_desktop.ui.form.form import DeclarationForm
from sanlian_desktop.ui.form.submit import SubmitDialog
from sanlian_desktop.ui.jobs import JobRunner
from sanlian_desktop.ui.widgets import date_edit
from tests.helpers import Office
from tests.ui.helpers import Modals, is_deleted, modals_fixture, submitted, writes_done  # noqa: F401

SPELLINGS = ["2027-01-01", "20270101", "2027/1/1", "2027.1.1"]


def _dialog(qtbot: Any, jobs: JobRunner, office: Office, actor: Any = None, decl_id: str | None = None,
            **kwargs: Any) -> DeclarationDialog:
    # The form's writes are moving onto the job runner: give it one when it takes one.
    if "jobs" in inspect.signature(DeclarationDialog).parameters:
        kwargs["jobs"] = jobs
    dialog = DeclarationDialog(office.store, actor or office.clerk, decl_id, **kwargs)
    qtbot.addWidget(dialog)
    return dialog


def _saved(office: Office, example: dict[str, Any]) -> str:
    with office.session() as s:
        return drafts.create(s, office.clerk, example).id


def _wheel(widget: QWidget, steps: int = -1) -> None:
    """One notch of the mouse wheel over the middle of ``widget`` (negative: towards the user)."""
    from PySide6.QtGui import QWheelEvent

    at = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(at, QPointF(widget.mapToGlobal(at.toPoint())), QPoint(0, 0), QPoint(0, 120 * steps),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                        False)
    QApplication.sendEvent(widget, event)


# -- 1. every way of closing a dirty form asks ---------------------------------------------------------


def test_esc_on_a_dirty_form_asks_and_keeps_the_text(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals,
                                                     example: dict[str, Any]) -> None:
    decl_id = _saved(county, example)
    dialog = _dialog(qtbot, jobs, county, decl_id=decl_id)
    with qtbot.waitExposed(dialog):
        dialog.show()
    dialog.form.title_edit.setFocus()
    qtbot.keyClicks(dialog.form.title_edit, " v2")
    asked = len(modals.questions)

    modals.close_answer = QMessageBox.StandardButton.Cancel
    qtbot.keyClick(dialog.form.title_edit, Qt.Key.Key_Escape)
    assert len(modals.questions) == asked + 1 and "未保存的修改" in modals.questions[-1]
    assert dialog.isVisible()
    assert dialog.form.title_edit.text().endswith(" v2")

    dialog.reject()  # what Esc calls: asks again, and 取消 keeps the form open
    assert len(modals.questions) == asked + 2 and dialog.isVisible()

    modals.close_answer = QMessageBox.StandardButton.Discard
    qtbot.keyClick(dialog.form.title_edit, Qt.Key.Key_Escape)
    assert len(modals.questions) == asked + 3  # asked once, not again by QDialog.closeEvent's reject()
    assert not dialog.isVisible()
    with county.store.read_session() as s:
        assert not lookup.get(s, decl_id).title.endswith(" v2")
    assert not (county.home / "autosave" / f"{decl_id}.json").exists()
    QApplication.sendPostedEvents(None, 0)
    qtbot.waitUntil(lambda: is_deleted(dialog), timeout=2000)


def test_esc_answered_save_saves_then_closes(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals,
                                             example: dict[str, Any]) -> None:
    decl_id = _saved(county, example)
    dialog = _dialog(qtbot, jobs, county, decl_id=decl_id)
    with qtbot.waitExposed(dialog):
        dialog.show()
    dialog.form.title_edit.setText("按 Esc 时保存的名称")
    modals.close_answer = QMessageBox.StandardButton.Save
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    writes_done(qtbot, jobs)
    # The dialog deletes itself on close: once closed it may already be gone when the wait looks at it.
    qtbot.waitUntil(lambda: is_deleted(dialog) or not dialog.isVisible(), timeout=5000)
    with county.store.read_session() as s:
        assert lookup.get(s, decl_id).title == "按 Esc 时保存的名称"


def test_esc_on_a_clean_form_closes_without_asking(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals,
                                                   example: dict[str, Any]) -> None:
    dialog = _dialog(qtbot, jobs, county, decl_id=_saved(county, example))
    with qtbot.waitExposed(dialog):
        dialog.show()
    asked = len(modals.questions)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and len(modals.questions) == asked


def test_the_windows_close_button_asks_too(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals,
                                           example: dict[str, Any]) -> None:
    """The title bar's × and Alt+F4 send a close event, as close() does."""
    from PySide6.QtGui import QCloseEvent

    dialog = _dialog(qtbot, jobs, county, decl_id=_saved(county, example))
    with qtbot.waitExposed(dialog):
        dialog.show()
    dialog.form.title_edit.setText("未保存")
    modals.close_answer = QMessageBox.StandardButton.Cancel
    event = QCloseEvent()
    QApplication.sendEvent(dialog, event)
    assert not event.isAccepted() and dialog.isVisible()
    assert "未保存的修改" in modals.questions[-1]


@pytest.fixture
def shanghai(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This computer's clock in China (UTC+8), whatever the machine running the tests says."""
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_restore_offers_yes_first_and_says_local_time(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals,
                                                      shanghai: None,
                                                      example: dict[str, Any], monkeypatch: pytest.MonkeyPatch
                                                      ) -> None:
    decl_id = _saved(county, example)
    saved_at = datetime.now(UTC) + timedelta(minutes=5)
    raw = dict(example, title="崩溃前输入的名称")
    folder = county.home / "autosave"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{decl_id}.json").write_text(json.dumps(
        {"saved_at": saved_at.isoformat(), "raw": raw, "pending": []}, ensure_ascii=False), "utf-8")
    asked: list[tuple[str, Any]] = []

    def question(_parent: Any, _title: str, text: str, buttons: Any, default: Any) -> Any:
        asked.append((text, default))
        return default  # the person presses Enter

    monkeypatch.setattr(QMessageBox, "question", question)
    dialog = _dialog(qtbot, jobs, county, decl_id=decl_id)
    (text, default), = asked
    assert default == QMessageBox.StandardButton.Yes
    local = (saved_at + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    assert local in text and "UTC" not in text
    assert dialog.form.title_edit.text() == "崩溃前输入的名称"


# -- 2. the wheel changes a box only while it has the focus ---------------------------------------------


def test_wheel_over_an_unfocused_combo_scrolls_the_form(qtbot: Any, county: Office, modals: Modals,
                                                        example: dict[str, Any]) -> None:
    form = DeclarationForm(county.store, county.clerk)
    qtbot.addWidget(form)
    form.load(example)
    form.resize(900, 420)
    with qtbot.waitExposed(form):
        form.show()
    cert = form.widgets["undertaker.lead_worker_certificate"]
    assert isinstance(cert, QComboBox)
    assert cert.focusPolicy() == Qt.FocusPolicy.StrongFocus  # the wheel no longer gives it the focus
    before = cert.currentText()
    bar = form.scroll_area.verticalScrollBar()
    bar.setValue(0)
    form.title_edit.setFocus()

    _wheel(cert)
    assert cert.currentText() == before == "社会工作师"
    assert bar.value() > 0  # the form scrolled instead

    hearing = form.widgets["pre_steps.hearing_date"]
    day, at = hearing.value(), bar.value()  # type: ignore[attr-defined]
    _wheel(hearing)
    assert hearing.value() == day and bar.value() > at  # type: ignore[attr-defined]

    cert.setFocus()
    _wheel(cert)
    assert cert.currentText() == "高级社会工作师"  # focused: the wheel is meant for it


def test_wheel_guard_covers_spin_boxes_of_any_dialog(qtbot: Any) -> None:
    outer = QScrollArea()
    qtbot.addWidget(outer)
    body = QWidget()
    col = QVBoxLayout(body)
    spin = QSpinBox(body)
    spin.setRange(0, 100)
    spin.setValue(7)
    other = QLineEdit(body)
    col.addWidget(other)
    col.addWidget(spin)
    col.addSpacing(2000)
    outer.setWidget(body)
    outer.setWidgetResizable(True)
    outer.resize(300, 200)
    with qtbot.waitExposed(outer):
        outer.show()
    other.setFocus()
    _wheel(spin, steps=-1)
    assert spin.value() == 7 and outer.verticalScrollBar().value() > 0
    spin.setFocus()
    _wheel(spin, steps=1)
    assert spin.value() == 8


# -- 3. the return opinion at the top ---------------------------------------------------------------------


def _returned(county: Office, example: dict[str, Any]) -> str:
    decl_id = submitted(county, example)
    with county.session() as s:
        workflow.review(s, county.reviewer, lookup.get(s, decl_id), decision=Decision.RETURN,
                        text="资金来源说明不清，请补充配套资金证明后重新申报。")
    return decl_id


def test_a_returned_declaration_shows_why_above_the_fields(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals,
                                                           example: dict[str, Any]) -> None:
    decl_id = _returned(county, example)
    with county.store.read_session() as s:
        decl = lookup.get(s, decl_id)
        county_opinion = next(o for o in decl.opinions if o.decision == Decision.RETURN.value)
        at, office, reviewer = county_opinion.at, county_opinion.office_name, county_opinion.reviewer_name
    dialog = _dialog(qtbot, jobs, county, decl_id=decl_id)
    assert not dialog.form.is_read_only()  # the clerk edits the returned declaration ...
    header = dialog.form.opinions
    assert not header.isHidden()
    text = header.text()
    assert "资金来源说明不清" in text and "退回修改" in text  # ... with the reason in view
    assert Level.COUNTY.label in text and office in text and (reviewer or county.reviewer.username) in text
    when = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone().strftime("%Y-%m-%d %H:%M")
    assert when in text
    assert Level.STREET.label in text and "同意上报" in text  # the street's paper opinion: one line per level
    assert not dialog.form.scroll_area.isAncestorOf(header)  # stays visible while the fields scroll

    view = _dialog(qtbot, jobs, county, county.reviewer, decl_id, read_only=True)
    assert view.form.is_read_only() and "资金来源说明不清" in view.form.opinions.text()


def test_a_new_declaration_has_no_opinions(qtbot: Any, jobs: JobRunner, county: Office, modals: Modals) -> None:
    dialog = _dialog(qtbot, jobs, county)
    assert dialog.form.opinions.isHidden() and dialog.form.opinions.text() == ""


# -- 4. dates typed in four spellings; the calendar opens somewhere useful ------------------------------


@pytest.mark.parametrize("typed", SPELLINGS)
def test_a_date_can_be_typed(qtbot: Any, county: Office, modals: Modals, typed: str) -> None:
    form = DeclarationForm(county.store, county.clerk)
    qtbot.addWidget(form)
    with qtbot.waitExposed(form):
        form.show()
    field = form.widgets["period_start"]
    assert isinstance(field, DateField) and field.value() is None
    field.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClicks(field, typed)
    assert field.value() == "2027-01-01"
    form.title_edit.setFocus()
    field.normalise_text()
    assert field.text() == "2027-01-01"


def test_a_date_that_is_no_day_is_reported_not_dropped(qtbot: Any, county: Office, modals: Modals) -> None:
    form = DeclarationForm(county.store, county.clerk)
    qtbot.addWidget(form)
    field = form.widgets["period_end"]
    qtbot.keyClicks(field, "2027-02-30")
    assert field.value() == "2027-02-30"  # type: ignore[attr-defined]
    label = form.error_labels["period_end"]
    qtbot.waitUntil(lambda: not label.isHidden(), timeout=2000)
    assert "不是有效日期" in label.text()


@pytest.mark.parametrize("typed", SPELLINGS)
def test_dialog_date_boxes_take_the_same_spellings(qtbot: Any, typed: str) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    edit = date_edit(host, date(2026, 5, 1))
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(edit, typed)
    assert edit.date() == QDate(2027, 1, 1)


def _open_calendar(qtbot: Any, edit: Any) -> Any:
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton, pos=QPoint(edit.width() - 6, edit.height() // 2))
    calendar = edit.calendarWidget()
    qtbot.waitUntil(calendar.isVisible, timeout=2000)
    return calendar


def test_the_calendar_opens_at_the_day_or_today(qtbot: Any, county: Office, modals: Modals) -> None:
    form = DeclarationForm(county.store, county.clerk)
    qtbot.addWidget(form)
    with qtbot.waitExposed(form):
        form.show()
    empty = form.widgets["pre_steps.hearing_date"]
    form.scroll_area.ensureWidgetVisible(empty)
    calendar = _open_calendar(qtbot, empty)
    today = QDate.currentDate()
    assert (calendar.yearShown(), calendar.monthShown()) == (today.year(), today.month())
    calendar.window().hide()
    assert empty.value() is None  # type: ignore[attr-defined]

    filled = form.widgets["period_start"]
    filled.set_value("2027-05-06")  # type: ignore[attr-defined]
    form.scroll_area.ensureWidgetVisible(filled)
    calendar = _open_calendar(qtbot, filled)
    assert (calendar.yearShown(), calendar.monthShown()) == (2027, 5)
    calendar.window().hide()


def test_paper_opinion_date_starts_empty_and_is_required(qtbot: Any) -> None:
    dialog = SubmitDialog("GS-0001", "测试项目", [Level.STREET])
    qtbot.addWidget(dialog)
    box = dialog.boxes[0]
    assert box.date.day() is None and box.date.text() == "" and "未填" in box.date.lineEdit().placeholderText()
    box.text.setPlainText("同意上报。")
    dialog._accept()
    assert dialog.result() != SubmitDialog.DialogCode.Accepted
    assert "签署日期" in dialog.error.text()
    qtbot.keyClicks(box.date, "2025.3.7")
    assert box.opinion().decided_on == date(2025, 3, 7)
    dialog._accept()
    assert dialog.result() == SubmitDialog.DialogCode.Accepted


# -- 6. the banner follows the typing and leads to the field; the status line ---------------------------


def test_banner_follows_the_fixes_and_a_click_leads_to_the_field(qtbot: Any, jobs: JobRunner, county: Office,
                                                                 modals: Modals,
                                                                 example: dict[str, Any]) -> None:
    example["undertaker"]["phone"] = None
    example["undertaker"]["lead_worker"] = None
    dialog = _dialog(qtbot, jobs, county)
    dialog.form.load(example)
    with qtbot.waitExposed(dialog):
        dialog.show()
    dialog.submit()
    writes_done(qtbot, jobs)
    banner = dialog.form.summary
    assert {line.path for line in banner.lines} == {"undertaker.phone", "undertaker.lead_worker"}
    assert "联系电话" in banner.text()

    phone = dialog.form.widgets["undertaker.phone"]
    qtbot.keyClicks(phone, "0931-8812345")
    qtbot.waitUntil(lambda: len(banner.lines) == 1, timeout=2000)
    assert "联系电话" not in banner.text() and not banner.isHidden()

    line = banner.lines[0]
    target = dialog.form.widgets[line.path]
    qtbot.mouseClick(line, Qt.MouseButton.LeftButton)
    assert dialog.focusWidget() is target

    assert isinstance(target, QLineEdit)
    qtbot.keyClicks(target, "Wang")
    qtbot.waitUntil(banner.isHidden, timeout=2000)


def test_a_problem_only_the_service_sees_stays_until_its_field_is_edited(qtbot: Any, jobs: JobRunner, county: Office,
                                                                         modals: Modals,
                                                                         example: dict[str, Any]) -> None:
    _saved(county, example)
    dialog = _dialog(qtbot, jobs, county)
    dialog.form.load(example)
    dialog.save()  # the same title again in the same batch: refused
    writes_done(qtbot, jobs)
    assert dialog.decl_id is None
    banner = dialog.form.summary
    assert "同名项目" in banner.text()
    qtbot.keyClicks(dialog.form.widgets["undertaker.lead_worker"], "A")
    dialog.form._live_check()
    assert "同名项目" in banner.text()
    assert dialog.form.error_labels["title"].text()
    qtbot.keyClicks(dialog.form.title_edit, " II")
    dialog.form._live_check()
    assert banner.isHidden()


def test_status_line_says_unsaved_after_an_edit_following_a_save(qtbot: Any, jobs: JobRunner, county: Office,
                                                                 modals: Modals,
                                                                 example: dict[str, Any]) -> None:
    dialog = _dialog(qtbot, jobs, county)
    dialog.form.load(example)
    dialog.save()
    writes_done(qtbot, jobs)
    assert dialog.status.text() == "已保存"
    qtbot.keyClicks(dialog.form.title_edit, "!")
    assert dialog.status.text() == "未保存的修改"


def test_up_arrow_on_an_empty_date_starts_from_today(qtbot: Any, county: Office, modals: Modals) -> None:
    form = DeclarationForm(county.store, county.clerk)
    qtbot.addWidget(form)
    field = form.widgets["pre_steps.council_date"]
    qtbot.keyClick(field, Qt.Key.Key_Up)
    assert field.value() == date.today().isoformat()  # type: ignore[attr-defined]
