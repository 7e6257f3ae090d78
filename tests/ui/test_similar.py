"""Near-duplicate declarations on screen: the "相似 92%" badge in 待办 and 遴选, the review dialog's panel."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QTableWidgetItem

from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.inbox.model import COL_TITLE
from sanlian_desktop.ui.inbox.page import InboxPage
from sanlian_desktop.ui.jobs import JobRunner
from sanlian_desktop.ui.review.dialog import ReviewDialog
from sanlian_desktop.ui.selection.model import COL_TITLE as SELECTION_TITLE
from sanlian_desktop.ui.selection.model import ID_ROLE
from sanlian_desktop.ui.selection.page import SelectionPage
from sanlian_desktop.ui.similar import SHARED_COLOUR, BadgeDelegate, BadgeRole, SimilarPanel
from tests.helpers import Office, example_declaration
from tests.screening.corpus import original
from tests.selection.helpers import awaiting, province_office
from tests.ui.helpers import settle, submitted, ui_context, writes_done


def _texts(seed: int, community: str) -> dict[str, Any]:
    """The example's fields with the long texts of a crafted original."""
    texts = original(random.Random(seed), "x", "养老", community).fields
    base = example_declaration()
    return {"community_profile": {**base["community_profile"], **texts["community_profile"]},
            "expected_effect": {**base["expected_effect"], **texts["expected_effect"]},
            "needs_analysis": texts["needs_analysis"], "service_plan": texts["service_plan"]}


def test_the_inbox_badges_copies_and_the_review_shows_them(qtbot: Any, jobs: JobRunner, county: Office,
                                                            tmp_path: Path) -> None:
    copied = _texts(1, "东岗西路社区")
    first = submitted(county, example_declaration(title="空巢老人关爱", **copied))
    second = submitted(county, example_declaration(title="老人关爱服务", community="620102001002", **{
        **copied, "needs_analysis": str(copied["needs_analysis"]).replace("东岗西路社区", "雁滩社区") + "另行补充一句说明。"}))
    other = submitted(county, example_declaration(title="另一个养老项目", **_texts(2, "东岗西路社区")))

    page = InboxPage(ui_context(county, county.reviewer, tmp_path, jobs))
    qtbot.addWidget(page)
    assert isinstance(page.view.itemDelegateForColumn(COL_TITLE), BadgeDelegate)
    model = page.model
    badges = {model.id_at(r): model.index(r, COL_TITLE).data(BadgeRole) for r in range(model.rowCount())}
    assert badges[other] is None
    assert badges[first] == badges[second] and (badges[first] or "").startswith("相似 ")
    score = int((badges[first] or "").removeprefix("相似 ").removesuffix("%"))
    assert 90 <= score < 100
    page.resize(1100, 300)
    page.show()
    qtbot.waitExposed(page)
    page.grab().save(str(tmp_path / "inbox.png"))

    dialog = ReviewDialog(county.store, county.reviewer, second, jobs=jobs)
    qtbot.addWidget(dialog)
    panel = dialog.similar_panel
    assert isinstance(panel, SimilarPanel)
    assert [s.declaration_id for s in panel.similar] == [first]
    tab = dialog.tabs.tabText(dialog.tabs.indexOf(panel))
    assert tab == f"相似申报（1 份，最高 {score}%）"
    cells = [panel.table.item(0, col) for col in range(panel.table.columnCount())]
    assert [c.text() if c else "" for c in cells][:5] == [f"{score}%", panel.similar[0].number, "东岗西路社区",
                                                         "空巢老人关爱", "审核中"]
    assert SHARED_COLOUR in panel.left.toHtml() and SHARED_COLOUR in panel.right.toHtml()
    assert "另行补充一句说明" in panel.left.toPlainText()
    assert "需求分析" in panel.right.toPlainText() and "相似" in panel.right_title.text()
    dialog.tabs.setCurrentWidget(panel)
    dialog.resize(1100, 760)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.grab().save(str(tmp_path / "review.png"))

    # The reviewer checks the pair: a reason is required, then the pair shows as checked and the badge goes.
    assert panel.clear_box.isVisible() and panel.clear_button.isEnabled()
    assert panel.clear_selected()
    writes_done(qtbot, jobs)
    assert "理由" in panel.message.text()
    panel.reason.setText("两个社区由同一街道统一撰写，服务内容不同")
    assert panel.clear_selected()
    writes_done(qtbot, jobs)
    assert panel.similar[0].cleared == "两个社区由同一街道统一撰写，服务内容不同"
    checked = panel.table.item(0, 6) or QTableWidgetItem()
    assert checked.text().startswith("已核实，不是抄袭") and "城关区" in checked.text()
    assert county.reviewer.username in checked.toolTip() and "服务内容不同" in checked.toolTip()
    assert not panel.clear_button.isEnabled() and panel.reason.text() == ""
    assert dialog.tabs.tabText(dialog.tabs.indexOf(panel)) == "相似申报（1 份，均已核实）"
    dialog.grab().save(str(tmp_path / "cleared.png"))
    dialog.close()
    page.refresh()
    settle(qtbot, page)
    assert all(model.index(r, COL_TITLE).data(BadgeRole) is None for r in range(model.rowCount()))

    lone = ReviewDialog(county.store, county.reviewer, other, jobs=jobs)
    qtbot.addWidget(lone)
    assert lone.similar_panel.similar == [] and lone.tabs.tabText(lone.tabs.indexOf(lone.similar_panel)) == "相似申报"
    assert "没有发现" in lone.similar_panel.summary.text() and lone.similar_panel.table.isHidden()
    lone.close()


def test_the_selection_table_badges_copies(qtbot: Any, tmp_path: Path, settings: QSettings, jobs: JobRunner) -> None:
    province = province_office(tmp_path / "province")
    try:
        a = awaiting(province, "620102001001", title="项目甲")
        b = awaiting(province, "620402001001", title="项目乙")  # the example's texts again: a copy
        page = SelectionPage(UiContext(store=province.store, actor=province.reviewer, settings=settings, jobs=jobs))
        qtbot.addWidget(page)
        assert isinstance(page.view.itemDelegateForColumn(SELECTION_TITLE), BadgeDelegate)
        proxy = page.proxy
        shown = {proxy.index(r, 0).data(ID_ROLE): proxy.index(r, SELECTION_TITLE).data(BadgeRole)
                 for r in range(proxy.rowCount())}
        # The copy still names the first community (a copier's slip), so it is not a full 100 %.
        assert shown[a] == shown[b] and shown[a] in {f"相似 {n}%" for n in range(90, 101)}
        assert str(shown[a]) in proxy.index(0, SELECTION_TITLE).data(3)  # the tooltip says so too
        page.resize(1200, 300)
        page.show()
        qtbot.waitExposed(page)
        page.grab().save(str(tmp_path / "selection.png"))
    finally:
        province.store.close()


def test_the_threshold_is_typed_in_the_settings_and_relabels_the_badges(qtbot: Any, jobs: JobRunner, county: Office,
                                                                       tmp_path: Path) -> None:
    from PySide6.QtCore import Qt

    from sanlian_desktop.models import AuditEntry
    from sanlian_desktop.screening import service
    from sanlian_desktop.ui.settings.page import SettingsPage

    copied = _texts(3, "东岗西路社区")
    first = submitted(county, example_declaration(title="空巢老人关爱", **copied))
    submitted(county, example_declaration(title="老人关爱服务", community="620102001002", **{
        **copied, "needs_analysis": str(copied["needs_analysis"]) + "另行补充一句说明。"}))

    def badge() -> str | None:
        inbox = InboxPage(ui_context(county, county.reviewer, tmp_path, jobs))
        qtbot.addWidget(inbox)
        model = inbox.model
        found = {model.id_at(r): model.index(r, COL_TITLE).data(BadgeRole) for r in range(model.rowCount())}
        inbox.close()
        return found[first]

    shown = badge()
    assert shown is not None
    score = int(shown.removeprefix("相似 ").removesuffix("%"))
    assert service.DEFAULT_THRESHOLD <= score < 100

    settings = SettingsPage(ui_context(county, county.admin, tmp_path, jobs))
    qtbot.addWidget(settings)
    settings.show()
    spin = settings.threshold
    assert spin.value() == service.DEFAULT_THRESHOLD and spin.suffix() == "%" and spin.isEnabled()

    def type_and_save(value: str) -> None:
        spin.setFocus()
        spin.selectAll()
        qtbot.keyClicks(spin, value)
        qtbot.mouseClick(settings.threshold_button, Qt.MouseButton.LeftButton)
        writes_done(qtbot, jobs)

    type_and_save(str(score + 1))
    with county.store.read_session() as s:
        assert service.threshold(s) == score + 1
        logged = s.query(AuditEntry).filter_by(action="screening.threshold").one()
        assert logged.details == {"from": service.DEFAULT_THRESHOLD, "to": score + 1}
    assert badge() is None  # the pair now lies below the office's threshold
    type_and_save(str(score))
    assert badge() == f"相似 {score}%"
    # Below the floor the spin box keeps the last valid value: nothing else is stored.
    type_and_save("30")
    with county.store.read_session() as s:
        assert service.threshold(s) == spin.value() >= service.FLOOR

    # A reviewer sees the threshold but cannot change it.
    other = SettingsPage(ui_context(county, county.reviewer, tmp_path, jobs))
    qtbot.addWidget(other)
    assert not other.threshold.isEnabled() and other.threshold_button.isHidden()
    assert other.threshold.value() == spin.value()
