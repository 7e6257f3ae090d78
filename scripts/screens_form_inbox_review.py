"""Render the form, inbox and review pages with demo data offscreen into docs/screenshots/: the inbox at
1366×768, the form and the review dialog as they open on an old 1024×728 screen.

Usage: python scripts/screens_form_inbox_review.py [OUTPUT_DIR]
"""

from __future__ import annotations

import screenkit


def main() -> int:
    from PySide6.QtCore import QPoint
    from sqlalchemy import select

    from sanlian_desktop.kernel.vocab import Status
    from sanlian_desktop.models import Declaration
    from sanlian_desktop.ui.context import UiContext
    from sanlian_desktop.ui.form.dialog import DeclarationDialog
    from sanlian_desktop.ui.inbox.page import InboxPage
    from sanlian_desktop.ui.review.dialog import ReviewDialog
    from tests.helpers import example_declaration

    screens = screenkit.start()
    office = screens.office("county", "620102", "城关区民政局", declarations=1500)
    settings = screens.settings(office.home)

    def shot(widget: object, name: str) -> None:
        screens.save(widget, name, screenkit.SIZE, seconds=0.1)

    def on_small_screen(widget: object, name: str) -> None:
        screens.save_on_screen(widget, name, screenkit.SMALL, seconds=0.1)

    # The form: a paper declaration being keyed in, with one live-validation message showing.
    screens.use_screen(screenkit.SMALL)
    form = DeclarationDialog(office.store, office.clerk, jobs=screens.jobs)
    raw = example_declaration()
    raw["undertaker"]["phone"] = "0931-88"
    raw["budget_total"] = "85000"  # the sources add up to 80,000: the form says so
    form.form.load(raw)
    form.form.validate_now()
    on_small_screen(form, "form-top.png")
    body = form.form.scroll_area.widget()
    funding = form.form.widgets["budget_total"]
    form.form.scroll_area.verticalScrollBar().setValue(funding.mapTo(body, QPoint(0, 0)).y() - 260)
    on_small_screen(form, "form.png")

    inbox = InboxPage(UiContext(office.store, office.reviewer, settings, screens.jobs))
    shot(inbox, "inbox.png")

    with office.store.read_session() as s:
        decl_id = s.scalar(select(Declaration.id).where(
            Declaration.awaiting_office == "620102", Declaration.status == Status.UNDER_REVIEW.value,
            Declaration.current_version == 2).limit(1))
    review = ReviewDialog(office.store, office.reviewer, decl_id or "", jobs=screens.jobs)
    review.tabs.setCurrentIndex(1)
    on_small_screen(review, "review-opinions.png")
    review.tabs.setCurrentWidget(review.changes)
    on_small_screen(review, "review.png")
    return screens.finish(office.store)


if __name__ == "__main__":
    raise SystemExit(main())
