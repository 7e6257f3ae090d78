"""Render the 遴选 page, its dialogs and the 公示 PDF of a demo province office into docs/screenshots/.

Usage: python scripts/screens_selection.py [OUTPUT_DIR]
"""

from __future__ import annotations

import random
import subprocess

import screenkit


def main() -> int:
    from datetime import date, timedelta

    from sqlalchemy import select

    from sanlian_desktop.declarations import lookup
    from sanlian_desktop.kernel.vocab import Level, Status
    from sanlian_desktop.models import Batch, Declaration
    from sanlian_desktop.selection import notices, scoring, shortlist
    from sanlian_desktop.ui.context import UiContext
    from sanlian_desktop.ui.selection.dialogs import ChooseDialog, ScoreDialog
    from sanlian_desktop.ui.selection.page import SelectionPage

    screens = screenkit.start()
    out = screens.out
    office = screens.office("province", "620000", "甘肃省民政厅", declarations=480, with_batch=False)
    rng = random.Random(7)
    with office.store.session() as s:
        batch = s.scalars(select(Batch)).one()
        approved = list(s.scalars(select(Declaration).where(Declaration.status == Status.APPROVED.value)))
        batch.quota_projects = len(approved) + 12
        batch.quota_communities = len({d.community_code for d in approved}) + 20
        batch.budget_fen = sum(d.granted_fen or 0 for d in approved) + 400_000_00
        waiting = list(s.scalars(select(Declaration).where(
            Declaration.status == Status.UNDER_REVIEW.value, Declaration.awaiting_level == Level.PROVINCE.value)))
        experts = ["张教授", "李研究员", "王主任", "赵老师", "孙专家"]
        for d in waiting[: len(waiting) * 2 // 3]:
            for expert in rng.sample(experts, rng.randint(2, 4)):
                points = {c.name: str(rng.randint(c.max_points * 5 // 10, c.max_points))
                          for c in scoring.criteria(s, batch)}
                scoring.add_score(s, office.reviewer, d, scorer=expert, points=points)
        ranked = shortlist.rows(s, batch, sort="score")
        for r in [r for r in ranked if r.state == "pending"][:6]:
            shortlist.shortlist(s, office.reviewer, lookup.get(s, r.id))
        scored_id = ranked[0].id
        pending_id = next(r.id for r in shortlist.rows(s, batch, sort="score") if r.state == "pending")
        today = date.today()
        notice = notices.issue_notice(s, office.reviewer, batch, starts=today, ends=today + timedelta(days=6))
        notice_id = notice.id
    settings = screens.settings(office.home)

    def shot(widget: object, name: str, size: tuple[int, int] = screenkit.SIZE) -> None:
        screens.save(widget, name, size, seconds=0.1)

    page = SelectionPage(UiContext(office.store, office.reviewer, settings, screens.jobs))
    page.select(pending_id)
    shot(page, "selection.png")
    shot(ScoreDialog(office.store, office.reviewer, scored_id, jobs=screens.jobs), "selection-score.png", (900, 560))
    choose = ChooseDialog(office.store, office.reviewer, pending_id, approve=True, jobs=screens.jobs)
    choose.amount.set_value("25000")
    shot(choose, "selection-approve.png", (960, 360))
    from sanlian_desktop.ui.selection.dialogs import NoticeDialog

    with office.store.read_session() as s:
        batch_id = s.scalars(select(Batch.id)).one()
    shot(NoticeDialog(office.store, office.reviewer, batch_id, jobs=screens.jobs), "selection-notice-dialog.png", (640, 300))
    pdf = out / "selection-notice.pdf"
    with office.store.read_session() as s:
        from sanlian_desktop.models import PublicNotice

        found = s.get(PublicNotice, notice_id)
        assert found is not None
        notices.export_notice(s, found, pdf=pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(out / "selection-notice")],
                   check=True)
    pdf.unlink()
    return screens.finish(office.store)


if __name__ == "__main__":
    raise SystemExit(main())
