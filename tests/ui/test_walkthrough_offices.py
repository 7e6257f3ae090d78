"""One declaration between two offices by GUI actions alone: the files carried on a "USB stick" folder.

The community office declares and submits on the form, exports on the 同步 page; the street office
imports, its reviewer returns the declaration; the decision travels back; the community revises and
resubmits; the street approves, and the community sees that it now awaits the county.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt

from sanlian_desktop.kernel.vocab import Decision, Status
from sanlian_desktop.models import Declaration
from sanlian_desktop.offices import auth
from sanlian_desktop.store.engine import Store
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.form.dialog import DeclarationDialog
from sanlian_desktop.ui.inbox.page import DeclarationsPage, InboxPage
from sanlian_desktop.ui.jobs import JobRunner
from sanlian_desktop.ui.review.dialog import ReviewDialog
from sanlian_desktop.ui.sync.page import SyncPage
from tests.helpers import PASSWORD, example_declaration
from tests.sync.helpers_cli import CHAIN, Offices, certified_chain
from tests.ui.helpers import Modals, modals_fixture, settle, writes_done  # noqa: F401

COMMUNITY, STREET = "620102001001", "620102001"


@pytest.fixture
def offices(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Offices:
    o = certified_chain(tmp_path / "chain", capsys, monkeypatch)
    o.down([code for _, code, _ in CHAIN])  # the batch reaches the community
    return o


class Desk:
    """One office's program: its store and a signed-in context per user."""

    def __init__(self, home: Path, tmp: Path, jobs: JobRunner) -> None:
        self.store = Store.open(home)
        self.settings = QSettings(str(tmp / f"{home.name}.ini"), QSettings.Format.IniFormat)
        self.jobs = jobs

    def ctx(self, user: str) -> UiContext:
        with self.store.session() as s:
            actor = auth.sign_in(s, user, PASSWORD)
        return UiContext(store=self.store, actor=actor, settings=self.settings, jobs=self.jobs)

    def status(self, decl_id: str) -> Declaration:
        with self.store.read_session() as s:
            decl = s.get(Declaration, decl_id)
            assert decl is not None
            return decl


def carry(qtbot: Any, sender: Desk, recipient: Desk, to: str, usb: Path) -> None:
    """Export on the sender's 同步 page into the USB folder, import on the recipient's with its preview."""
    before = set(usb.glob("*.sanlian"))
    page = SyncPage(sender.ctx("admin"))
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.loading is None and page.ctx.jobs.active == 0, timeout=20_000)
    dialog = page.export_packages(to)
    dialog.destination.set_folder(usb)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.handle is None, timeout=20_000)
    dialog.close()
    (written,) = set(usb.glob("*.sanlian")) - before
    other = SyncPage(recipient.ctx("admin"))
    qtbot.addWidget(other)
    qtbot.waitUntil(lambda: other.loading is None and other.ctx.jobs.active == 0, timeout=20_000)
    importing = other.open_package(written)
    qtbot.waitUntil(lambda: importing.preview is not None, timeout=20_000)
    qtbot.mouseClick(importing.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: importing.import_result is not None, timeout=20_000)
    importing.close()
    qtbot.waitUntil(lambda: other.ctx.jobs.active == 0 and page.ctx.jobs.active == 0, timeout=20_000)


def test_declaration_between_two_offices_by_gui(qtbot: Any, jobs: JobRunner, offices: Offices, modals: Modals,
                                                tmp_path: Path) -> None:
    community = Desk(offices.homes[COMMUNITY], tmp_path, jobs)
    street = Desk(offices.homes[STREET], tmp_path, jobs)
    usb = tmp_path / "usb"
    usb.mkdir()
    try:
        # The community clerk declares on the form and submits.
        page = DeclarationsPage(community.ctx("clerk"))
        qtbot.addWidget(page)
        qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
        form_dialog = page.findChildren(DeclarationDialog)[-1]
        raw = example_declaration()
        raw["undertaker"]["phone"] = None
        form_dialog.form.load(raw)
        qtbot.keyClicks(form_dialog.form.widgets["undertaker.phone"], "0931-8812345")
        qtbot.mouseClick(form_dialog.submit_button, Qt.MouseButton.LeftButton)
        writes_done(qtbot, jobs)  # saved, confirmed and submitted on the job runner
        decl_id = form_dialog.decl_id
        assert decl_id is not None and community.status(decl_id).status == Status.UNDER_REVIEW
        form_dialog.close()

        carry(qtbot, community, street, STREET, usb)

        # The street reviewer returns it from 待办.
        inbox = InboxPage(street.ctx("rev"))
        qtbot.addWidget(inbox)
        settle(qtbot, inbox)
        assert inbox.model.ids() == [decl_id]
        review = inbox.open_declaration(decl_id)
        assert isinstance(review, ReviewDialog)
        qtbot.mouseClick(review.decision_buttons[Decision.RETURN], Qt.MouseButton.LeftButton)
        review.text.setPlainText("请补充资金来源说明")
        qtbot.mouseClick(review.submit_button, Qt.MouseButton.LeftButton)
        writes_done(qtbot, jobs)
        assert street.status(decl_id).status == Status.RETURNED

        carry(qtbot, street, community, COMMUNITY, usb)
        assert community.status(decl_id).status == Status.RETURNED

        # The community clerk revises the returned declaration and resubmits.
        clerk_inbox = InboxPage(community.ctx("clerk"))
        qtbot.addWidget(clerk_inbox)
        settle(qtbot, clerk_inbox)
        revise = clerk_inbox.open_declaration(decl_id)
        assert isinstance(revise, DeclarationDialog) and not revise.form.is_read_only()
        funding = revise.form.widgets["funding_sources"]
        funding.rows[1].amount.edit.clear()  # type: ignore[attr-defined]
        qtbot.keyClicks(funding.rows[1].amount.edit, "15000")  # type: ignore[attr-defined]
        qtbot.mouseClick(funding.add_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
        funding.rows[3].source.setCurrentText("爱心捐赠/慈善基金")  # type: ignore[attr-defined]
        qtbot.keyClicks(funding.rows[3].amount.edit, "5000")  # type: ignore[attr-defined]
        qtbot.mouseClick(revise.submit_button, Qt.MouseButton.LeftButton)
        writes_done(qtbot, jobs)
        assert community.status(decl_id).current_version == 2
        revise.close()

        carry(qtbot, community, street, STREET, usb)

        # The street reviewer sees what changed and approves; it goes on to the county.
        inbox.refresh()
        settle(qtbot, inbox)
        review = inbox.open_declaration(decl_id)
        assert isinstance(review, ReviewDialog)
        changed = {review.changes.item(r, 0).text() for r in range(review.changes.rowCount())}
        assert changed == {"资金来源"}
        qtbot.mouseClick(review.decision_buttons[Decision.APPROVE], Qt.MouseButton.LeftButton)
        review.text.setPlainText("同意上报")
        qtbot.mouseClick(review.submit_button, Qt.MouseButton.LeftButton)
        writes_done(qtbot, jobs)
        assert street.status(decl_id).awaiting_level == "county"

        carry(qtbot, street, community, COMMUNITY, usb)
        final = community.status(decl_id)
        assert (final.status, final.awaiting_level, final.current_version) == (Status.UNDER_REVIEW, "county", 2)
        assert len(list(usb.glob("*.sanlian"))) == 4
    finally:
        jobs.cancel_all()
        jobs.wait(10_000)  # before the stores close (the fixture deletes the runner itself)
        community.store.close()
        street.store.close()
