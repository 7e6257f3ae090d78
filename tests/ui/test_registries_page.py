"""The 台账 page: lists, filter, add/edit/delete dialogs with refusals beside the field, the pilot flag,
the Excel template and the import with its list of bad rows."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from sanlian_desktop.kernel.checks import credit_code_check_char
from sanlian_desktop.offices import regions
from sanlian_desktop.registries import service as registries
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.jobs import JobHandle, JobRunner
from sanlian_desktop.ui.pages import PAGES, available_pages
from sanlian_desktop.ui.registries.dialogs import (
    AreaDialog,
    CommunityFactsDialog,
    OrganisationDialog,
    WorkerDialog,
)
from sanlian_desktop.ui.registries.page import ImportProblemsDialog, RegistriesPage
from tests.helpers import Office
from tests.ui.conftest import Modals
from tests.ui.helpers import Blocked, refusing, stays_live, writes_done
from tests.ui.test_freed import check_freed_on_close

COMMUNITY, EAST, OTHER = "620102001001", "620102001002", "620102001009"
BODY = "52620102MJ0000001"
CREDIT = BODY + credit_code_check_char(BODY)


def _seed(county: Office) -> None:
    with county.session() as s:
        regions.add_region(s, code=OTHER, name="雁园社区", within="620102", population=100)
        registries.add_organisation(s, county.clerk, name="东岗夕阳红服务队", community_code=COMMUNITY,
                                    kind="社区服务类", credit_code=CREDIT, has_social_workers=True)
        registries.add_organisation(s, county.clerk, name="雁园书画社", community_code=OTHER, kind="文体娱乐类",
                                    record_number="城关备002")
        registries.add_worker(s, county.clerk, name="张敏", community_code=COMMUNITY)


def _page(qtbot: QtBot, ctx: UiContext) -> RegistriesPage:
    page = RegistriesPage(ctx)
    qtbot.addWidget(page)
    return page


def _wait(qtbot: QtBot, handle: JobHandle | None) -> None:
    assert handle is not None
    if handle.is_running:
        with qtbot.waitSignal(handle.finished, timeout=60_000):
            pass


def _cells(page: RegistriesPage, tab: int) -> list[tuple[str, ...]]:
    page.tabs.setCurrentIndex(tab)  # a table is read when it is shown
    model = page.models[tab]
    return [model.row_at(r).cells for r in range(model.rowCount())]


def test_page_is_registered_after_stats() -> None:
    keys = [e.key for e in PAGES]
    assert keys.index("registries") == keys.index("stats") + 1
    assert "台账" in [p.title for p in available_pages()]


def test_lists_and_community_filter(qtbot: QtBot, county: Office, clerk_ctx: UiContext) -> None:
    _seed(county)
    page = _page(qtbot, clerk_ctx)
    assert page.models[1].rowCount() == 0  # not read until shown
    assert [c[1] for c in _cells(page, 0)] == ["东岗夕阳红服务队", "雁园书画社"]
    assert [c[1] for c in _cells(page, 1)] == ["张敏"]
    assert [c[0] for c in _cells(page, 2)] == [COMMUNITY, EAST, OTHER]
    assert _cells(page, 3) == [("620102", "城关区", "是", "未登记")]
    page.set_community_filter(OTHER)
    assert [c[1] for c in _cells(page, 0)] == ["雁园书画社"]
    assert _cells(page, 1) == [] and [c[0] for c in _cells(page, 2)] == [OTHER]
    assert page.count.text() == "共 1 条"


def test_add_with_refusal_beside_the_field_then_saved(qtbot: QtBot, county: Office, clerk_ctx: UiContext) -> None:
    page = _page(qtbot, clerk_ctx)
    dialog = page.add()
    assert isinstance(dialog, OrganisationDialog)
    dialog.credit_code.setText("123")
    dialog.apply()
    writes_done(qtbot, clerk_ctx.jobs)
    # The first refusal (the empty name) shows under the name; nothing saved, the dialog stays.
    assert dialog.field_errors["name"].isVisibleTo(dialog) and dialog.field_errors["name"].text() == "请填写"
    dialog.name.setText("东岗老年协会")
    dialog.apply()
    writes_done(qtbot, clerk_ctx.jobs)
    assert not dialog.field_errors["name"].isVisibleTo(dialog)
    assert "应为18位" in dialog.field_errors["credit_code"].text()
    assert _cells(page, 0) == []
    dialog.credit_code.setText("")
    dialog.record_number.setText("城关备003")
    dialog.social_workers.setChecked(True)
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):  # accepted, then the dialog deletes itself
        dialog.apply()
    writes_done(qtbot, clerk_ctx.jobs)
    assert _cells(page, 0) == [("东岗西路社区", "东岗老年协会", "社区服务类", "城关备003", "是", "否")]


def test_edit_and_delete(qtbot: QtBot, county: Office, clerk_ctx: UiContext, modals: Modals) -> None:
    _seed(county)
    page = _page(qtbot, clerk_ctx)
    page.views[0].selectRow(1)
    dialog = page.edit()
    assert isinstance(dialog, OrganisationDialog) and dialog.name.text() == "雁园书画社"
    dialog.name.setText("雁园书画协会")
    dialog.apply()
    writes_done(qtbot, clerk_ctx.jobs)
    assert [c[1] for c in _cells(page, 0)] == ["东岗夕阳红服务队", "雁园书画协会"]
    page.tabs.setCurrentIndex(1)
    page.views[1].selectRow(0)
    worker = page.edit()
    assert isinstance(worker, WorkerDialog)
    worker.level.setCurrentIndex(worker.level.findData("社会工作师"))
    worker.apply()
    writes_done(qtbot, clerk_ctx.jobs)
    assert "须填写证书编号" in worker.field_errors["certificate_number"].text()
    worker.number.setText("S2016")
    worker.apply()
    writes_done(qtbot, clerk_ctx.jobs)
    assert _cells(page, 1)[0][2:4] == ("社会工作师", "S2016")
    modals.answer = QMessageBox.StandardButton.No
    assert page.delete() is False and len(_cells(page, 1)) == 1
    modals.answer = QMessageBox.StandardButton.Yes
    assert page.delete() is True
    writes_done(qtbot, clerk_ctx.jobs)
    assert _cells(page, 1) == []
    assert "随同步包报送上级" in modals.texts()[-1]


def test_community_facts_and_pilot_flag(qtbot: QtBot, county: Office, clerk_ctx: UiContext) -> None:
    _seed(county)
    page = _page(qtbot, clerk_ctx)
    page.tabs.setCurrentIndex(2)
    page.views[2].selectRow(2)  # 雁园社区, 100 residents
    dialog = page.edit()
    assert isinstance(dialog, CommunityFactsDialog)
    dialog.volunteers.setText("500")
    dialog.apply()
    writes_done(qtbot, clerk_ctx.jobs)
    assert "超过了社区居民总数" in dialog.field_errors["registered_volunteers"].text()
    dialog.volunteers.setText("十个")
    dialog.apply()
    writes_done(qtbot, clerk_ctx.jobs)
    assert dialog.field_errors["registered_volunteers"].text() == "应为非负整数"
    dialog.volunteers.setText("20")
    dialog.workroom.setCurrentIndex(dialog.workroom.findData(True))
    dialog.election.setCurrentIndex(dialog.election.findData("direct"))
    dialog.apply()
    writes_done(qtbot, clerk_ctx.jobs)
    assert _cells(page, 2)[2][4:] == ("是", "未登记", "20", "直接选举")
    page.tabs.setCurrentIndex(3)
    page.views[3].selectRow(0)
    area = page.edit()
    assert isinstance(area, AreaDialog) and area.pilot.isChecked()
    area.pilot.setChecked(False)
    area.association.setCurrentIndex(area.association.findData(False))
    area.apply()
    writes_done(qtbot, clerk_ctx.jobs)
    assert _cells(page, 3) == [("620102", "城关区", "否", "否")]
    with county.store.read_session() as s:
        assert [(a.pilot, a.has_association) for a in registries.list_area_facts(s, county.clerk)] == [(False, False)]


def test_recorded_facts_can_be_set_back_to_unrecorded(qtbot: QtBot, county: Office, clerk_ctx: UiContext) -> None:
    _seed(county)
    with county.session() as s:
        registries.set_community_facts(s, county.clerk, COMMUNITY, has_workroom=True, in_federation=False,
                                       registered_volunteers=30, election="indirect")
        registries.set_area_facts(s, county.clerk, "620102", has_association=True)
    page = _page(qtbot, clerk_ctx)
    assert _cells(page, 2)[0][4:] == ("是", "否", "30", "间接选举")
    page.views[2].selectRow(0)
    dialog = page.edit()
    assert isinstance(dialog, CommunityFactsDialog)
    for box in (dialog.workroom, dialog.federation, dialog.election):
        assert box.itemText(0) == "未登记" and box.itemData(0) is None
    dialog.workroom.setCurrentIndex(dialog.workroom.findData(None))
    dialog.election.setCurrentIndex(dialog.election.findData(None))
    dialog.volunteers.setText("")
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):  # accepted, then the dialog deletes itself
        dialog.apply()
    writes_done(qtbot, clerk_ctx.jobs)
    assert _cells(page, 2)[0][4:] == ("未登记", "否", "未登记", "未登记")
    page.tabs.setCurrentIndex(3)
    page.views[3].selectRow(0)
    area = page.edit()
    assert isinstance(area, AreaDialog)
    area.association.setCurrentIndex(area.association.findData(None))
    area.apply()
    writes_done(qtbot, clerk_ctx.jobs)
    assert _cells(page, 3) == [("620102", "城关区", "是", "未登记")]
    with county.store.read_session() as s:
        from sqlalchemy import select

        from sanlian_desktop.models import AuditEntry

        logged = [(e.action, e.details) for e in s.scalars(select(AuditEntry).where(
            AuditEntry.action.in_(["registry.community.set", "registry.area.set"])).order_by(AuditEntry.seq))]
    assert logged[-2:] == [
        ("registry.community.set", {"in_federation": False, "has_workroom": None, "registered_volunteers": None,
                                    "election": None}),
        ("registry.area.set", {"pilot": True, "has_association": None})]


def test_reviewers_only_look(qtbot: QtBot, county: Office, settings: QSettings, jobs: JobRunner) -> None:
    _seed(county)
    page = _page(qtbot, UiContext(county.store, county.reviewer, settings, jobs))
    page.views[0].selectRow(0)
    assert not page.add_button.isEnabled() and not page.edit_button.isEnabled()
    assert not page.delete_button.isEnabled() and not page.import_button.isEnabled()
    assert page.edit() is None
    assert "只能查看" in page.note.text()


def test_template_and_import(qtbot: QtBot, county: Office, clerk_ctx: UiContext, modals: Modals,
                             tmp_path: Path) -> None:
    page = _page(qtbot, clerk_ctx)
    modals.save_file = str(tmp_path / "台账模板")
    _wait(qtbot, page.download_template())
    template = tmp_path / "台账模板.xlsx"
    assert template.is_file() and "已生成台账模板" in modals.texts()[-1]
    wb = openpyxl.load_workbook(template)
    wb["社区社会组织"].append([COMMUNITY, "", "兴趣小组", None, None, None, None])
    wb["社区社会组织"].append([COMMUNITY, "东岗舞蹈队", "文体娱乐类", None, "城关备009", "否", "否"])
    wb.save(template)
    modals.open_file = str(template)
    _wait(qtbot, page.import_excel())
    dialog = page.dialog
    assert isinstance(dialog, ImportProblemsDialog)
    rows = [[dialog.table.item(r, c).text() for c in range(5)] for r in range(dialog.table.rowCount())]
    assert ["社区社会组织", "2", "B", "组织名称", "请填写"] in rows
    assert any(r[:3] == ["社区社会组织", "2", "C"] for r in rows)
    assert _cells(page, 0) == []  # nothing imported
    assert dialog.errors_file == tmp_path / "台账模板-错误标注.xlsx" and dialog.errors_file.is_file()
    check_freed_on_close(qtbot, dialog, dialog.accept)
    wb = openpyxl.load_workbook(template)
    wb["社区社会组织"].delete_rows(2)
    wb.save(template)
    _wait(qtbot, page.import_from(template))
    assert [c[1] for c in _cells(page, 0)] == ["东岗舞蹈队"]
    assert "社区社会组织 1 个" in modals.texts()[-1]


def test_dialogs_are_freed_on_close(qtbot: QtBot, county: Office, clerk_ctx: UiContext) -> None:
    page = _page(qtbot, clerk_ctx)
    dialog = page.add()
    assert isinstance(dialog, OrganisationDialog)
    check_freed_on_close(qtbot, dialog, dialog.reject)


def test_a_slow_save_runs_off_the_gui_thread_and_a_refusal_shows_its_sentence(
        qtbot: QtBot, county: Office, clerk_ctx: UiContext, modals: Modals, monkeypatch: pytest.MonkeyPatch) -> None:
    _seed(county)
    jobs = clerk_ctx.jobs
    blocked = Blocked(monkeypatch, registries, "update_organisation")
    page = _page(qtbot, clerk_ctx)
    page.views[0].selectRow(1)
    dialog = page.edit()
    assert isinstance(dialog, OrganisationDialog)
    dialog.name.setText("雁园书画协会")
    assert dialog.apply()
    stays_live(qtbot, blocked, page)
    assert jobs.writing(dialog) and not dialog.buttons.isEnabled()
    assert not dialog.apply()  # a second OK starts no second write
    dialog.reject()  # Esc waits for the write, whose outcome is shown in the dialog
    assert dialog.isVisible()
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        blocked.release.set()
    writes_done(qtbot, jobs)
    assert blocked.ran_off_the_gui_thread()
    assert [c[1] for c in _cells(page, 0)] == ["东岗夕阳红服务队", "雁园书画协会"]

    refusing(monkeypatch, registries, "delete_organisation", "该组织已被申报引用，不能删除")
    page.views[0].selectRow(0)
    modals.answer = QMessageBox.StandardButton.Yes
    assert page.delete()
    writes_done(qtbot, jobs)
    assert modals.texts()[-1] == "该组织已被申报引用，不能删除"
    assert len(_cells(page, 0)) == 2 and page.delete_button.isEnabled()
