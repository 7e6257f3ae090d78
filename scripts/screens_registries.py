"""Render the 台账 page (each registry, an edit dialog with a refusal, the import error list) with demo
data offscreen into docs/screenshots/.

Usage: python scripts/screens_registries.py [OUTPUT_DIR]
"""

from __future__ import annotations

import screenkit


def main() -> int:
    from openpyxl import load_workbook
    from PySide6.QtWidgets import QWidget

    from sanlian_desktop.registries import workbook as registryexcel
    from sanlian_desktop.ui.context import UiContext
    from sanlian_desktop.ui.registries.page import RegistriesPage

    screens = screenkit.start()
    office = screens.office("county", "620102", "城关区民政局", declarations=120, communities=40)
    ctx = UiContext(office.store, office.clerk, screens.settings(office.home), screens.jobs)

    def shot(widget: QWidget, name: str, size: tuple[int, int] | None = screenkit.SIZE) -> None:
        screens.save(widget, name, size, seconds=0.3)

    page = RegistriesPage(ctx)
    for index, name in enumerate(["registries-orgs.png", "registries-workers.png", "registries-communities.png",
                                  "registries-areas.png"]):
        page.tabs.setCurrentIndex(index)
        page.views[index].selectRow(0)
        shot(page, name)

    page.tabs.setCurrentIndex(0)
    dialog = page.add()
    assert dialog is not None
    dialog.name.setText("东岗西路社区老年协会")  # type: ignore[attr-defined]
    dialog.credit_code.setText("52620102MJ000012X")  # type: ignore[attr-defined]
    dialog.apply()
    shot(dialog, "registries-org-dialog.png", None)
    dialog.close()

    template = office.home.parent / "台账模板.xlsx"
    with office.store.read_session() as s:
        registryexcel.write_registry_template(s, office.clerk, template)
    wb = load_workbook(template)
    rows = [["620102001001", "东岗书画社", "文体娱乐类", None, "城关备字第101号", "否", "否"],
            ["620102001001", "", "兴趣小组", None, None, "也许", None],
            ["620103001001", "外区的组织", "其他", None, "备001", None, None]]
    for r, row in enumerate(rows, 2):
        for c, value in enumerate(row, 1):
            wb["社区社会组织"].cell(r, c, value)
    wb["社会工作者"].append(["620102001001", "王芳", "社会工作师", None, None])
    wb.save(template)
    page.import_from(template)
    screens.settle(1)
    assert page.dialog is not None
    shot(page.dialog, "registries-import-errors.png", (900, 360))
    return screens.finish(office.store, page)


if __name__ == "__main__":
    raise SystemExit(main())
