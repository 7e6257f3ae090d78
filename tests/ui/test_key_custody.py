"""设置 → 证书 shows where the office key lives, and an admin moves it into a SoftHSM2 token there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from sanlian_desktop.offices import custody as trust
from sanlian_desktop.sync.trust.custody import PKCS11
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.jobs import JobRunner
from sanlian_desktop.ui.settings.certificates import CertificatesTab, TokenDialog
from sanlian_desktop.ui.settings.page import SettingsPage
from tests.helpers import Office, make_office
from tests.sync.helpers_token import SoftToken, softhsm
from tests.ui.helpers import is_deleted, writes_done


@pytest.fixture
def province(tmp_path: Path) -> Iterator[Office]:
    office = make_office(tmp_path / "province", "province", "620000", "甘肃省民政厅", with_batch=False)
    yield office
    office.store.close()


def _tab(qtbot: QtBot, office: Office, settings: QSettings, jobs: JobRunner, *, admin: bool = True
         ) -> CertificatesTab:
    ctx = UiContext(store=office.store, actor=office.admin if admin else office.clerk, settings=settings, jobs=jobs)
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    page.tabs.setCurrentWidget(page.certificates)
    return page.certificates


def test_the_tab_shows_the_software_store_and_only_an_admin_may_move_the_key(
        qtbot: QtBot, province: Office, settings: QSettings, jobs: JobRunner) -> None:
    tab = _tab(qtbot, province, settings, jobs)
    assert tab.key_place.text() == "本机密钥库（口令保护）"
    assert tab.token_button.isVisible()
    clerk_tab = _tab(qtbot, province, settings, jobs, admin=False)
    assert clerk_tab.key_place.text() == "本机密钥库（口令保护）"
    assert not clerk_tab.token_button.isVisible()


def test_moving_the_key_into_a_token_wrong_pin_first(
        qtbot: QtBot, province: Office, settings: QSettings, jobs: JobRunner, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    token: SoftToken = softhsm(tmp_path, monkeypatch)
    tab = _tab(qtbot, province, settings, jobs)
    dialog = tab.move_to_token()
    assert isinstance(dialog, TokenDialog)
    dialog.buttons.accepted.emit()
    assert dialog.error.text() == "请填写硬件令牌的标签"
    qtbot.keyClicks(dialog.token, token.label)
    qtbot.keyClicks(dialog.pin, "000000")
    dialog.module.setText(token.module)
    dialog.buttons.accepted.emit()
    writes_done(qtbot, jobs)
    assert "PIN 码不正确" in dialog.error.text() and "数据没有任何改变" in dialog.error.text()
    assert dialog.isVisible()
    with province.store.read_session() as s:
        assert trust.key_location(s).kind != PKCS11  # type: ignore[union-attr]
    dialog.pin.clear()
    qtbot.keyClicks(dialog.pin, token.pin)
    dialog.buttons.accepted.emit()
    writes_done(qtbot, jobs)
    assert is_deleted(dialog) or not dialog.isVisible()
    qtbot.waitUntil(lambda: tab.key_place.text() == "硬件令牌“sanlian-test”", timeout=5_000)
    assert not tab.token_button.isVisible()
    with province.store.read_session() as s:
        assert trust.key_location(s).kind == PKCS11  # type: ignore[union-attr]
