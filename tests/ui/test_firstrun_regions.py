"""The wizard's region page for street and community offices: a search over the official tree
(name, code or pinyin initials), driven with the keyboard, and the office it creates."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot

from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.models import Region
from sanlian_desktop.offices import auth
from sanlian_desktop.offices.regiondata import official_tree
from sanlian_desktop.store.engine import Store
from sanlian_desktop.ui.firstrun.regionmodel import SEARCH_LIMIT, RegionSearchModel
from sanlian_desktop.ui.firstrun.regionpage import SEARCH
from sanlian_desktop.ui.firstrun.wizard import FirstRunWizard, PageId
from sanlian_desktop.ui.jobs import JobRunner

PASSWORD = "community-pass-1"
CHANGJIAXIANG = "620102001001"  # 畅家巷社区居委会, 酒泉路街道, 城关区, 兰州市


def _region_page(qtbot: QtBot, home: Path, settings: QSettings, jobs: JobRunner, level: Level) -> FirstRunWizard:
    wizard = FirstRunWizard(home, settings, jobs)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
    wizard.level_page.set_level(level)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
    assert wizard.currentId() == PageId.REGION
    assert wizard.region_page.stack.currentIndex() == SEARCH
    return wizard


def test_a_community_office_picks_its_community_with_the_keyboard(qtbot: QtBot, tmp_path: Path,
                                                                  settings: QSettings, jobs: JobRunner) -> None:
    home = tmp_path / "community"
    wizard = _region_page(qtbot, home, settings, jobs, Level.COMMUNITY)
    page = wizard.region_page
    qtbot.waitUntil(page.official_search.hasFocus, timeout=2000)
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    # The code of 酒泉路街道 lists its committees, the first one chosen; arrow down moves to the next.
    qtbot.keyClicks(page.official_search, "620102001")
    rows = [page.results_model.region_at(r) for r in range(page.results_model.rowCount())]
    assert rows and all(r is not None and r.code.startswith("620102001") and r.level is Level.COMMUNITY
                        for r in rows)
    assert page.region() == (rows[0].code, rows[0].name)  # type: ignore[union-attr]
    qtbot.keyClick(page.official_search, Qt.Key.Key_Down)
    assert page.official_search.hasFocus()  # the typing goes on in the search box
    assert page.region() == (rows[1].code, rows[1].name)  # type: ignore[union-attr]
    # Pinyin initials narrow it to 畅家巷; the path and the short name are shown.
    page.official_search.clear()
    qtbot.keyClicks(page.official_search, "cjx")
    names = [page.results_model.index(r, RegionSearchModel.NAME).data() for r in range(page.results_model.rowCount())]
    assert "畅家巷社区居委会" in names
    row = names.index("畅家巷社区居委会")
    for _ in range(row):
        qtbot.keyClick(page.official_search, Qt.Key.Key_Down)
    assert page.region() == (CHANGJIAXIANG, "畅家巷社区居委会")
    assert page.results_model.index(row, RegionSearchModel.PATH).data() == "兰州市 / 城关区 / 酒泉路街道"
    assert "畅家巷社区" in page.chosen.text() and "酒泉路街道" in page.chosen.text()
    # Enter presses 下一步.
    qtbot.keyClick(page.official_search, Qt.Key.Key_Return)
    assert wizard.currentId() == PageId.OFFICE
    office = wizard.office_page
    assert office.region_label.text() == f"畅家巷社区居委会（{CHANGJIAXIANG}）"
    assert office.office_name.text() == "畅家巷社区居委会"
    office.name_edit.setText("马社区")
    office.passwords.set_passwords(PASSWORD)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.CommitButton), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.DONE or bool(office.error.text()), timeout=20_000)
    assert wizard.currentId() == PageId.DONE, office.error.text()
    assert wizard.store is not None
    wizard.store.close()
    store = Store.open(home)
    with store.session() as s:
        assert auth.sign_in(s, "admin", PASSWORD).office_code == CHANGJIAXIANG
        region = s.get(Region, CHANGJIAXIANG)
        assert region is not None and region.name == "畅家巷社区居委会" and region.rural is False
        street = s.get(Region, "620102001")
        assert street is not None and street.name == "酒泉路街道" and street.parent_code == "620102"
    store.close()


def test_a_street_office_finds_its_street_by_name(qtbot: QtBot, tmp_path: Path, settings: QSettings,
                                                  jobs: JobRunner) -> None:
    wizard = _region_page(qtbot, tmp_path / "street", settings, jobs, Level.STREET)
    page = wizard.region_page
    page.official_search.setText("酒泉路")
    found = [page.results_model.region_at(r) for r in range(page.results_model.rowCount())]
    assert [(r.code, r.name) for r in found if r is not None] == [("620102001", "酒泉路街道")]
    assert page.region() == ("620102001", "酒泉路街道")
    # Only streets are offered to a street office; nothing found says what to do.
    page.official_search.setText("畅家巷")
    assert page.results_model.rowCount() == 0 and page.region() is None
    assert "按代码和名称填写" in page.results_note.text()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    # A broad query lists the first SEARCH_LIMIT and says so.
    wizard.back()
    wizard.level_page.set_level(Level.COMMUNITY)
    wizard.next()
    page.official_search.setText("s")
    assert page.results_model.rowCount() == SEARCH_LIMIT and str(SEARCH_LIMIT) in page.results_note.text()


def test_the_search_covers_the_whole_tree_by_name_initials_and_code(qapp: object) -> None:
    """Over the whole tree (~19,000 names), by name, pinyin initials and code, the level filter included.
    (How fast it answers is measured in bench/bench_regions.py, never in a timed test.)"""
    from sanlian_desktop.ui.firstrun.regionmodel import search_official

    assert len(official_tree().regions) > 19_000
    for query, level, expected in (("畅家巷", Level.COMMUNITY, CHANGJIAXIANG), ("cjx", Level.COMMUNITY, CHANGJIAXIANG),
                                   (CHANGJIAXIANG, Level.COMMUNITY, CHANGJIAXIANG), ("酒泉路", Level.STREET, "620102001")):
        found, paths = search_official(query, level)
        assert expected in [r.code for r in found], (query, level)
        assert all(r.level is level for r in found) and set(paths) == {r.code for r in found}
