"""A form on a workstation of a server office lists stored attachments without fetching them; the one
shown is fetched from the server then (store/attachments.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from sanlian_desktop.declarations import drafts
from sanlian_desktop.store import attachments
from sanlian_desktop.ui.form.attachments import AttachmentPanel
from tests.helpers import Office, example_declaration


@pytest.mark.engines
def test_only_the_attachment_shown_is_fetched(qtbot: QtBot, county: Office, tmp_path: Path, engine: str) -> None:
    shas = []
    with county.session() as s:
        decl = drafts.create(s, county.clerk, example_declaration())
        for i, color in enumerate(("red", "blue")):
            image = QImage(40, 30, QImage.Format.Format_RGB32)
            image.fill(QColor(color))
            source = tmp_path / f"照片{i}.png"
            assert image.save(str(source))
            shas.append(drafts.attach(s, county.clerk, decl, county.store.paths, source, kind="photo").sha256)
        items = drafts.attachment_links(s, county.clerk, decl)
    if engine == "postgresql":  # a workstation that has none of the files yet
        shutil.rmtree(county.store.paths.attachments)
    panel = AttachmentPanel(county.store)
    qtbot.addWidget(panel)
    panel.load(items)
    fetched = [attachments.cache_path(county.store.paths, sha).exists() for sha in shas]
    assert fetched == ([True, True] if engine == "sqlite" else [False, False])
    panel.list.setCurrentRow(1)
    shown = items[1]["sha256"]
    assert attachments.cache_path(county.store.paths, shown).exists()
    assert panel.preview.pixmap() is not None and not panel.preview.pixmap().isNull()
