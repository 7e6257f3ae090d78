"""Render the first-run wizard's evaluator path, the evaluator office's 评估 page (with a withdrawn assignment), its visit and evaluation dialogs,
the province's assign and withdraw dialogs, and the 第三方评估 tab of a declaration at the community,
offscreen, with offices built through the command line.

Usage: python scripts/screens_evaluation.py [OUTPUT_DIR]
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import screenkit


def _offices(work: Path) -> tuple[object, str]:
    from screens_sync import _Capture  # type: ignore[import-not-found]

    from tests.helpers import PASSWORD
    from tests.sync.helpers_cli import Offices
    from tests.sync.helpers_evaluation import CODES, EVAL, PDF, PROVINCE, add_evaluator, approved_project

    os.environ["SANLIAN_PASSWORD"] = PASSWORD
    os.environ["SANLIAN_NEW_PASSWORD"] = PASSWORD
    capture = _Capture()
    try:
        o = Offices(work, capture)  # type: ignore[arg-type]
        o.setup()
        today = date.today()
        o.ok(PROVINCE, "batch", "add", "--name", "2016年试点项目申报", "--code", "2016", "--opens",
             (today - timedelta(days=30)).isoformat(), "--closes", (today + timedelta(days=30)).isoformat())
        add_evaluator(o, EVAL, "甘肃省社会工作评估中心")
        o.down(CODES)
        first = approved_project(o, work)
        second = approved_project(o, work, "东岗西路社区“四点半课堂”留守儿童关爱项目")
        third = approved_project(o, work, "东岗西路社区“邻里守望”社区融合项目")
        for decl in (first, second, third):
            o.ok(PROVINCE, "evaluate", "assign", decl, "--to", EVAL, "--note", "中期、结项各评估一次", user="rev")
        o.carry(PROVINCE, EVAL)
        o.ok(PROVINCE, "evaluate", "withdraw", third, "--reason", "项目已合并到“银龄守望”项目", user="rev")
        o.carry(PROVINCE, EVAL)
        report = work / "银龄守望项目成效评估报告.pdf"
        report.write_bytes(PDF)
        o.ok(EVAL, "evaluate", "visit", first, "--date", (today - timedelta(days=9)).isoformat(), "--who",
             "李评估、王督导", "--findings", "走访12户空巢老人，服务记录完整；助餐点运行正常，建议增加心理疏导频次。",
             user="rev")
        o.ok(EVAL, "evaluate", "visit", first, "--date", (today - timedelta(days=2)).isoformat(), "--who", "李评估",
             "--findings", "志愿者队伍稳定，居民满意度调查 92%。", user="rev")
        o.ok(EVAL, "evaluate", "score", first, "--points", "需求回应=18,目标达成=22,服务质量=17,资金使用=18,三社联动=12",
             "--report", str(report), user="rev")
        o.carry(EVAL, PROVINCE)
        o.down(CODES)
        return o, first
    finally:
        capture.close()


def main() -> int:
    from sanlian_desktop.offices import auth
    from sanlian_desktop.store.engine import Store
    from sanlian_desktop.ui.context import UiContext
    from sanlian_desktop.ui.form.dialog import DeclarationDialog
    from tests.helpers import PASSWORD

    screens = screenkit.start()
    from sanlian_desktop import app as composition

    composition.compose_cli()  # the offices are made through the command line, as in tests/sync
    save = screens.save
    work = Path(tempfile.gettempdir()) / "sanlian-evaluation-shots"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    o, decl_id = _offices(work)
    settings = screens.settings(work)

    def context(code: str, user: str) -> UiContext:
        store = Store.open(o.homes[code])  # type: ignore[attr-defined]
        with store.session() as s:
            actor = auth.sign_in(s, user, PASSWORD)
        return UiContext(store=store, actor=actor, settings=settings, jobs=screens.jobs)

    _wizard_screens(work, settings, screens.jobs, save)

    window = screens.main_window(context("620000E001", "rev"), "evaluation")
    save(window, "evaluation-page.png")
    page = window.current_page()
    visit = page.add_visit()  # type: ignore[union-attr]
    visit.who.setText("李评估、王督导")
    visit.findings.setPlainText("第三次回访：活动按计划开展。")
    save(visit, "evaluation-visit.png")
    visit.close()
    page.table.selectRow(0)  # type: ignore[union-attr]
    score = page.add_evaluation()  # type: ignore[union-attr]
    for name, value in zip(score.points, (17, 20, 15, 16, 11), strict=True):
        score.points[name].setValue(value)
    score.report.setText("/home/评估中心/报告/四点半课堂中期评估报告.pdf")
    save(score, "evaluation-score.png")
    score.close()
    window.show_page("sync")
    save(window, "evaluation-sync.png")
    window.show_page("settings")
    window.current_page().tabs.setCurrentIndex(1)  # type: ignore[union-attr]
    save(window, "evaluation-settings-office.png")
    window.current_page().tabs.setCurrentIndex(3)  # type: ignore[union-attr]
    save(window, "evaluation-settings-certificates.png")
    window.close()

    window = screens.main_window(context("620000", "rev"), "evaluation")
    save(window, "evaluation-province-page.png")
    assign = window.current_page().assign()  # type: ignore[union-attr]
    save(assign, "evaluation-assign.png")
    assign.close()
    page = window.current_page()
    page.table.selectRow(1)  # type: ignore[union-attr]
    withdraw = page.withdraw()  # type: ignore[union-attr]
    withdraw.reason.setPlainText("指派的评估机构与项目承接机构有合作关系，需回避")
    save(withdraw, "evaluation-withdraw.png")
    withdraw.close()
    window.close()

    community = context("620102001001", "clerk")
    dialog = DeclarationDialog(community.store, community.actor, decl_id, jobs=community.jobs)
    dialog.show()
    dialog.tabs.setCurrentIndex(1)
    save(dialog, "evaluation-community-tab.png")
    dialog.close()
    return 0


def _wizard_screens(work: Path, settings: object, jobs: object, save: object) -> None:
    """The wizard's evaluator path: the level, the code refused, the code accepted, the request, done."""
    from PySide6.QtWidgets import QApplication, QWizard

    from sanlian_desktop.kernel.vocab import Level
    from sanlian_desktop.ui.firstrun.certpage import CertificateRequestPage
    from sanlian_desktop.ui.firstrun.wizard import FirstRunWizard

    wizard = FirstRunWizard(work / "new-evaluator", settings, jobs,  # type: ignore[arg-type]
                            after_setup=[CertificateRequestPage])
    wizard.resize(820, 600)
    wizard.show()
    wizard.next()
    wizard.level_page.set_level(Level.EVALUATOR)
    save(wizard, "firstrun-evaluator-level.png")  # type: ignore[operator]
    wizard.next()
    office = wizard.office_page
    office.code_edit.setText("620100E001")
    office.office_name.setText("甘肃省社会工作评估中心")
    office.name_edit.setText("陈评估")
    office.passwords.set_passwords("screen-pass-1")
    wizard.button(QWizard.WizardButton.CommitButton).click()
    save(wizard, "firstrun-evaluator-office-refused.png")  # type: ignore[operator]
    office.code_edit.setText("620000E001")
    save(wizard, "firstrun-evaluator-office.png")  # type: ignore[operator]
    wizard.button(QWizard.WizardButton.CommitButton).click()
    while wizard.office_page.creating():  # created on the job runner; the wizard moves on when it is done
        QApplication.processEvents()
        time.sleep(0.02)
    usb = work / "usb-evaluator"
    usb.mkdir(exist_ok=True)
    page = wizard.currentPage()
    page.destination.set_folder(usb)  # type: ignore[attr-defined]
    page.write_request()  # type: ignore[attr-defined]
    save(wizard, "firstrun-evaluator-request.png")  # type: ignore[operator]
    wizard.next()
    save(wizard, "firstrun-evaluator-done.png")  # type: ignore[operator]
    wizard.drop_result()
    wizard.close()


if __name__ == "__main__":
    raise SystemExit(main())
