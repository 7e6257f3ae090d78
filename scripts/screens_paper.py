"""Render the 打印与报表 page and the print preview with demo data offscreen into docs/screenshots/.

Usage: python scripts/screens_paper.py [OUTPUT_DIR]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("SANLIAN_FAST_HASH", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SIZE = (1280, 800)


def main() -> int:
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication
    from sqlalchemy import select

    from sanlian_desktop import declarations, demo, paper, printing
    from sanlian_desktop.models import Declaration
    from sanlian_desktop.ui.context import UiContext
    from sanlian_desktop.ui.jobs import JobRunner
    from sanlian_desktop.ui.paper.page import PaperPage
    from sanlian_desktop.ui.paper.preview import PrintPreview
    from sanlian_desktop.vocab import Status
    from tests.helpers import make_office

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication([])
    app.setFont(QFont("WenQuanYi Micro Hei", 10))
    home = Path(tempfile.mkdtemp()) / "county"
    office = make_office(home, "county", "620102", "城关区民政局")
    demo.generate(office.store, office.admin, count=300, seed=2016)
    settings = QSettings(str(home / "settings.ini"), QSettings.Format.IniFormat)
    ctx = UiContext(office.store, office.reviewer, settings, JobRunner())

    def shot(widget: object, name: str) -> None:
        widget.resize(*SIZE)  # type: ignore[attr-defined]
        widget.show()  # type: ignore[attr-defined]
        deadline = time.monotonic() + 2  # QPdfView renders its pages asynchronously
        while time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.02)
        widget.grab().save(str(out / name))  # type: ignore[attr-defined]
        print("wrote", out / name)

    with office.store.read_session() as s:
        decl = s.scalars(select(Declaration).where(Declaration.current_version >= 2,
                                                   Declaration.status == Status.APPROVED.value).limit(1)).first()
        assert decl is not None
        first = declarations.version_row(s, decl, 1)
        code = printing.qr_payload(decl.number, 1, first.content_hash)
        numbers = list(s.scalars(select(Declaration.number).where(
            Declaration.status == Status.APPROVED.value).order_by(Declaration.number).limit(3)))

    page = PaperPage(ctx)
    page.numbers.setText("  ".join(numbers))
    page.verify.code.setText(code)
    page.verify.verify()
    page.excel._show_result(
        "有 2 行填写有误，未导入任何申报；已在 已填写-错误标注.xlsx 中标出错误，改正后重新导入（或选择只导入正确的行）",
        "color: #b3261e; font-weight: bold;", Path("D:/申报/已填写-错误标注.xlsx"),
        ["第4行 统一社会信用代码：校验位不正确", "第6行 申请金额：不能超过项目总预算"])
    page.excel.accept_valid_button.setText("只导入正确的 3 行")
    page.excel.accept_valid_button.show()
    shot(page, "paper.png")

    workdir = Path(tempfile.mkdtemp())
    pdf = workdir / "申报表.pdf"
    with office.store.read_session() as s:
        warnings = paper.print_declarations(s, office.reviewer, pdf, keys=numbers)
    preview = PrintPreview(pdf, workdir, f"{len(numbers)} 份申报", warnings or [], settings)
    shot(preview, "print-preview.png")
    preview.close()
    page.close()
    ctx.jobs.wait(5000)
    office.store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
