"""Render the 项目实施 page and a project's dialog (each tab) offscreen into docs/screenshots/.

The county office holds approved projects of 2016: one with a tender, an undertaking, workers, two
disbursements (the first corrected) and a progress report (corrected), one with nothing recorded yet, and a
few more in other states (so every kind of warning shows). The correction dialogs are rendered too.
Usage: python scripts/screens_implementation.py [OUTPUT_DIR]
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import screenkit

ORG = "城关区和煦社会工作服务中心"


def _projects(office: object, work: Path) -> str:
    from sanlian_desktop.declarations import drafts
    from sanlian_desktop.implementation import service as impl
    from tests.helpers import example_declaration
    from tests.implementation.conftest import approve

    today = date(2017, 4, 1)
    with office.session() as s:  # type: ignore[attr-defined]
        clerk = office.clerk  # type: ignore[attr-defined]
        decl = drafts.create(s, clerk, example_declaration(period_start="2016-10-01", period_end="2017-09-30"),
                                   now=datetime(2016, 7, 30, tzinfo=UTC))
        approve(s, decl)
        other = drafts.create(s, clerk, example_declaration(
            title="东岗西路社区“阳光童伴”留守儿童关爱项目", period_start="2016-10-01", period_end="2017-06-30",
            target_groups=["农村“三留守”人员"]), now=datetime(2016, 7, 30, tzinfo=UTC))
        approve(s, other, granted_fen=30_000_00)
        impl.record_tender(s, clerk, decl, tendered_on="2016-09-25", bidders=[ORG, "兰州益民社会工作服务中心"],
                           winner=ORG, today=today)
        impl.record_undertaking(s, clerk, decl, org_name=ORG, credit_code="52620102MJ0000123U", amount="45000",
                                starts_on="2016-10-01", ends_on="2017-09-30", today=today)
        impl.add_worker(s, clerk, decl, name="李娟", certificate_level="社会工作师")
        impl.add_worker(s, clerk, decl, name="王芳", certificate_level="助理社会工作师")
        first = impl.record_disbursement(s, clerk, decl, paid_on="2016-10-10", amount="25000", tranche=1, today=today)
        impl.record_disbursement(s, clerk, decl, paid_on="2016-10-10", amount="20000", tranche=1, today=today,
                                 supersedes=first.id, reason="拨付凭证金额为20000元，登记时误填为25000元")
        impl.record_disbursement(s, clerk, decl, paid_on="2017-01-10", amount="10000", tranche=2, today=today)
        photo = work / "小组活动照片.jpg"
        photo.write_bytes(b"\xff\xd8 photo")
        report = impl.record_progress(
            s, clerk, decl, office.store.paths, period_start="2016-10-01",  # type: ignore[attr-defined]
            period_end="2016-12-31", activities="建立空巢老人档案120份，开展小组活动6次", beneficiaries=25,
            spent="24000", problems="冬季入户困难，志愿者不足", files=[photo], today=today)
        impl.record_progress(s, clerk, decl, office.store.paths, period_start="2016-10-01",  # type: ignore[attr-defined]
                             period_end="2016-12-31", activities="建立空巢老人档案120份，开展小组活动6次、个案服务12例",
                             beneficiaries=30, spent="24000", problems="冬季入户困难，志愿者不足",
                             keep_attachments=[report.attachments[0]["sha256"]], supersedes=report.id,
                             reason="漏报个案服务12例及其服务对象5人", today=today)
        # More projects, so the list shows every kind of warning.
        for title, granted, spent, people in (("社区“书香家园”青少年成长项目", 40_000_00, "5000", 10),
                                             ("社区“邻里守望”助残服务项目", 20_000_00, "21000", 60)):
            more = drafts.create(s, clerk, example_declaration(
                title=title, period_start="2016-10-01", period_end="2017-03-31"), now=datetime(2016, 7, 30, tzinfo=UTC))
            approve(s, more, granted_fen=granted)
            impl.record_progress(s, clerk, more, office.store.paths, period_start="2016-10-01",  # type: ignore[attr-defined]
                                 period_end="2016-12-31", activities="入户走访，开展小组活动", beneficiaries=people,
                                 spent=spent, today=today)
        return str(decl.id)


def main() -> int:
    from PySide6.QtWidgets import QApplication

    from sanlian_desktop.ui.context import UiContext
    from sanlian_desktop.ui.implementation.dialog import ProjectDialog
    from sanlian_desktop.ui.implementation.page import ImplementationPage

    screens = screenkit.start()
    app, out = screens.app, screens.out
    office = screens.office("county", "620102", "城关区民政局", prefix="sanlian-impl-shot-")
    work = office.home.parent
    decl_id = _projects(office, work)
    ctx = UiContext(office.store, office.clerk, screens.settings(work), screens.jobs)
    page = ImplementationPage(ctx)
    page.today = date(2017, 4, 20)  # warnings as they stood then
    page.refresh()
    page.resize(*screenkit.SIZE)
    page.show()
    app.processEvents()
    page.grab().save(str(out / "implementation-computing.png"))
    print(out / "implementation-computing.png")
    while page.computing:
        app.processEvents()
    app.processEvents()
    page.grab().save(str(out / "implementation.png"))
    print(out / "implementation.png")
    dialog = ProjectDialog(ctx, decl_id, today=page.today)
    dialog.show()
    for i, name in enumerate(["tender", "undertaking", "workers", "disbursement", "progress"]):
        dialog.tabs.setCurrentIndex(i)
        for _ in range(5):
            app.processEvents()
        target = out / f"implementation-{name}.png"
        dialog.grab().save(str(target))
        print(target)
    for index, tab, name in ((3, dialog.tab_pages[3], "disbursement"), (4, dialog.tab_pages[4], "progress")):
        dialog.tabs.setCurrentIndex(index)
        tab.table.selectRow(tab.table.rowCount() - 1)  # type: ignore[attr-defined]
        fix = tab.correct_selected()  # type: ignore[attr-defined]
        fix.reason.setPlainText("金额登记有误" if name == "disbursement" else "补充活动内容")
        for _ in range(5):
            app.processEvents()
        target = out / f"implementation-correct-{name}.png"
        fix.grab().save(str(target))
        print(target)
        fix.close()
    dialog.close()
    page.close()
    QApplication.processEvents()
    office.store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
