"""Adding and renaming a street or community from the settings page: the checks of ``region add``, the
write through the runner, a refusal kept in the dialog; and the form then offers the new names."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from sanlian_desktop.declarations import listing
from sanlian_desktop.models import AuditEntry, Region
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.jobs import JobRunner
from sanlian_desktop.ui.settings.page import SettingsPage
from sanlian_desktop.ui.settings.regiondialogs import AddRegionDialog, RenameRegionDialog
from tests.helpers import Office
from tests.ui.helpers import is_deleted, writes_done


def _page(qtbot: QtBot, ctx: UiContext) -> SettingsPage:
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.tabs.setCurrentIndex(1)
    return page


def _ok(qtbot: QtBot, dialog: AddRegionDialog | RenameRegionDialog, jobs: JobRunner) -> None:
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    writes_done(qtbot, jobs)


def test_admin_adds_a_community_the_data_lacks(qtbot: QtBot, admin_ctx: UiContext, county: Office,
                                               jobs: JobRunner) -> None:
    page = _page(qtbot, admin_ctx)
    qtbot.mouseClick(page.add_region_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert isinstance(dialog, AddRegionDialog) and dialog.isVisible()
    # The checks of `region add`: outside the jurisdiction (七里河区) is refused, and the dialog stays.
    qtbot.keyClicks(dialog.code_edit, "620103001099")
    dialog.name_edit.setText("新建社区")
    _ok(qtbot, dialog, jobs)
    assert dialog.isVisible() and "不在本单位辖区内" in dialog.error.text()
    # A code the store holds is refused with its name; so is a code of neither shape.
    dialog.code_edit.clear()
    qtbot.keyClicks(dialog.code_edit, "620102001001")
    _ok(qtbot, dialog, jobs)
    assert dialog.error.text() == "区划代码 620102001001 已存在（东岗西路社区）"
    dialog.code_edit.clear()
    qtbot.keyClicks(dialog.code_edit, "6201020")
    _ok(qtbot, dialog, jobs)
    assert "无效" in dialog.error.text() and dialog.isVisible()
    # Under an official street the store does not hold yet (张掖路街道): added, the street copied in.
    dialog.code_edit.clear()
    qtbot.keyClicks(dialog.code_edit, "620102002099")
    dialog.rural.setCurrentIndex(dialog.rural.findData(True))
    _ok(qtbot, dialog, jobs)
    qtbot.waitUntil(lambda: is_deleted(dialog), timeout=5000)
    assert page.region_status.text() == "已添加社区 新建社区（620102002099）"
    with county.store.session() as s:
        added = s.get(Region, "620102002099")
        assert added is not None and added.name == "新建社区" and added.rural is True
        assert added.parent_code == "620102002"
        street = s.get(Region, "620102002")
        assert street is not None and street.name == "张掖路街道"
        assert s.scalar(select(AuditEntry.action).where(AuditEntry.entity_id == "620102002099")) == "region.add"
        listed = {code: (name, street_name) for code, name, street_name in listing.communities_in(s, county.clerk)}
    assert listed["620102002099"] == ("新建社区", "张掖路街道")


def test_a_clerk_does_not_see_the_region_buttons(qtbot: QtBot, clerk_ctx: UiContext) -> None:
    page = _page(qtbot, clerk_ctx)
    assert not hasattr(page, "add_region_button")


def test_admin_renames_an_official_community(qtbot: QtBot, admin_ctx: UiContext, county: Office,
                                             jobs: JobRunner) -> None:
    page = _page(qtbot, admin_ctx)
    qtbot.mouseClick(page.rename_region_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert isinstance(dialog, RenameRegionDialog)
    # Nothing picked: said, nothing written.
    _ok(qtbot, dialog, jobs)
    assert "请先查找并选择" in dialog.error.text()
    # Pinyin initials find 陇西路社区居委会 (official, not in the store yet) with its path.
    qtbot.keyClicks(dialog.search, "lxl")
    texts = [dialog.matches.item(i).text() for i in range(dialog.matches.count())]
    row = next(i for i, text in enumerate(texts) if text.startswith("陇西路社区居委会"))
    assert "兰州市 / 城关区 / 张掖路街道" in texts[row] and "620102002001" in texts[row]
    dialog.matches.setCurrentRow(row)
    assert dialog.name_edit.text() == "陇西路社区居委会"
    # The same name is refused; a new one is written, audited and offered by the form.
    _ok(qtbot, dialog, jobs)
    assert "相同" in dialog.error.text()
    dialog.name_edit.setText("陇西路社区")
    _ok(qtbot, dialog, jobs)
    qtbot.waitUntil(lambda: is_deleted(dialog), timeout=5000)
    assert page.region_status.text() == "已更名：620102002001 陇西路社区居委会 → 陇西路社区"
    with county.store.session() as s:
        region = s.get(Region, "620102002001")
        assert region is not None and region.name == "陇西路社区" and region.pinyin == "lxlsq"
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "region.rename")).one()
        assert entry.details == {"old_name": "陇西路社区居委会", "name": "陇西路社区"}
        listed = {code: name for code, name, _street in listing.communities_in(s, county.clerk)}
    assert listed["620102002001"] == "陇西路社区"


def test_rename_refuses_a_region_outside_the_jurisdiction(qtbot: QtBot, admin_ctx: UiContext,
                                                          jobs: JobRunner) -> None:
    page = _page(qtbot, admin_ctx)
    page.open_region_dialog(RenameRegionDialog)
    dialog = page.dialog
    assert isinstance(dialog, RenameRegionDialog)
    dialog.search.setText("620103")  # 七里河区: not this county's
    assert dialog.matches.count() == 0 and dialog.selected_code() is None
    dialog.search.setText("东岗西路")  # the store's own name for 620102001001 wins
    codes = [dialog.matches.item(i).data(Qt.ItemDataRole.UserRole + 1) for i in range(dialog.matches.count())]
    assert "620102001001" in codes
    dialog.reject()
