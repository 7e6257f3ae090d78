"""设置 → 本单位: where the office's data live (this computer's SQLite file or the office's database
server) and where backups go, on both engines."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import make_url

from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.settings.page import SettingsPage
from tests.helpers import Office


@pytest.mark.engines
@pytest.mark.parametrize("who", ["admin", "clerk"])
def test_the_office_tab_says_where_the_data_live(qtbot: QtBot, county: Office, engine: str, who: str,
                                                  admin_ctx: UiContext, clerk_ctx: UiContext) -> None:
    ctx = admin_ctx if who == "admin" else clerk_ctx
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    tab = next(i for i in range(page.tabs.count()) if page.tabs.tabText(i) == "本单位")
    page.tabs.setCurrentIndex(tab)
    assert page.storage_place.isVisible() and page.backup_place.isVisible()
    place, backups, note = page.storage_place.text(), page.backup_place.text(), page.storage_note.text()
    if engine == "sqlite":
        assert place == f"本机（SQLite 文件 {county.home / 'sanlian.db'}）"
        assert backups == str(county.home / "backups")
        assert "sanlian move --database postgresql+psycopg://用户名@服务器/数据库名" in note
        assert "原数据文件保留" in note
    else:
        url = make_url(county.store.url)
        assert place == f"单位服务器 {url.query['host']}:5432/{url.database}（用户 sanlian）"
        assert backups.startswith(str(county.home / "backups")) and "pg_dump" in backups and "备份文件加密" in backups
        assert "不保存在这台电脑上" in note
        assert "password" not in place.lower() and "PGPASSWORD" not in place
