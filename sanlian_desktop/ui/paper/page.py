"""The 打印与报表 page: print declarations (with preview), a blank form, progress reports, check a printed
copy, Excel."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.kernel.vocab import Status
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.jobs import JobHandle
from sanlian_desktop.ui.paper.excel import ExcelSection
from sanlian_desktop.ui.paper.folders import print_font
from sanlian_desktop.ui.paper.preview import PrintPreview
from sanlian_desktop.ui.paper.printjob import PrintRequest, start_print
from sanlian_desktop.ui.paper.reports import ReportsBox
from sanlian_desktop.ui.paper.verify import VerifyBox
from sanlian_desktop.ui.widgets import InlineError

# Numbers typed or pasted from Excel: separated by spaces, new lines, commas or 顿号.
_SEPARATORS = re.compile(r"[\s,，、;；]+")


def split_numbers(text: str) -> tuple[str, ...]:
    """The declaration numbers in ``text``, in order, each once."""
    return tuple(dict.fromkeys(part for part in _SEPARATORS.split(text) if part))


class PaperPage(QWidget):
    """打印与报表."""

    title = "打印与报表"

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.preview: PrintPreview | None = None
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(self._print_box(), 3)
        top.addWidget(self._blank_box(), 1)
        reports_box = QGroupBox(self.tr("进展情况报告"), self)
        self.reports = ReportsBox(ctx, reports_box)
        QVBoxLayout(reports_box).addWidget(self.reports)
        top.addWidget(reports_box, 2)
        layout.addLayout(top)
        verify_box = QGroupBox(self.tr("核对纸质件"), self)
        self.verify = VerifyBox(ctx, verify_box)
        QVBoxLayout(verify_box).addWidget(self.verify)
        layout.addWidget(verify_box, 1)
        layout.addStretch(0)
        excel_box = QGroupBox(self.tr("Excel 台账与导入"), self)
        self.excel = ExcelSection(ctx, excel_box)
        QVBoxLayout(excel_box).addWidget(self.excel)
        layout.addWidget(excel_box)

    def _print_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("打印申报表"), self)
        self.by_number = QRadioButton(self.tr("按编号："), box)
        self.by_status = QRadioButton(self.tr("按状态："), box)
        self.by_number.setChecked(True)
        group = QButtonGroup(box)
        group.addButton(self.by_number)
        group.addButton(self.by_status)
        self.numbers = QLineEdit(box)
        self.numbers.setPlaceholderText(self.tr("输入或粘贴申报编号，多个编号用空格、逗号或顿号隔开"))
        self.status = QComboBox(box)
        for st in Status:
            self.status.addItem(st.label, st.value)
        self.status.setCurrentIndex(self.status.findData(Status.APPROVED.value))
        self.status_note = QLabel(self.tr("本单位辖区内该状态的全部申报，合成一个 PDF"), box)
        self.status_note.setStyleSheet("color: #666;")
        self.print_error = InlineError(box)
        self.font_note = QLabel(box)
        self.font_note.setStyleSheet("color: #666;")
        for note in (self.status_note, self.font_note):  # wrap rather than widen the window
            note.setWordWrap(True)
        self.print_button = QPushButton(self.tr("生成并预览…"), box)
        self.print_button.setDefault(True)
        grid = QGridLayout(box)
        grid.addWidget(self.by_number, 0, 0)
        grid.addWidget(self.numbers, 0, 1, 1, 2)
        grid.addWidget(self.by_status, 1, 0)
        grid.addWidget(self.status, 1, 1)
        grid.addWidget(self.status_note, 1, 2)
        grid.addWidget(self.print_error, 2, 1, 1, 2)
        last = QHBoxLayout()
        last.addWidget(self.font_note, 1)
        last.addWidget(self.print_button, 0, Qt.AlignmentFlag.AlignBottom)
        grid.addLayout(last, 3, 0, 1, 3)
        grid.setColumnStretch(2, 1)
        self.numbers.textEdited.connect(lambda _t: self.by_number.setChecked(True))
        self.numbers.returnPressed.connect(self.print_chosen)
        self.status.activated.connect(lambda _i: self.by_status.setChecked(True))
        self.print_button.clicked.connect(self.print_chosen)
        self._show_font()
        return box

    def _blank_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("空白申报表"), self)
        note = QLabel(self.tr("供社区手工填写的空白表格"), box)
        note.setWordWrap(True)
        self.blank_button = QPushButton(self.tr("预览空白表…"), box)
        self.blank_button.clicked.connect(self.print_blank)
        column = QVBoxLayout(box)
        column.addWidget(note)
        column.addStretch(1)
        column.addWidget(self.blank_button)
        return box

    # -- page interface ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """The print font may have been changed in 设置."""
        self._show_font()

    def focus_search(self) -> None:
        self.verify.code.setFocus()
        self.verify.code.selectAll()

    def _show_font(self) -> None:
        font = print_font(self.ctx.settings)
        self.font_note.setText(self.tr("打印字体：{0}（在“设置 → 打印字体”中更改）").format(font) if font
                               else self.tr("打印字体：自动查找（可在“设置 → 打印字体”中指定）"))

    # -- printing ------------------------------------------------------------------------------------

    def chosen_request(self) -> PrintRequest | None:
        """What the print box asks for, or None (with a message under the box) when nothing is given."""
        if self.by_status.isChecked():
            return PrintRequest(status=Status(self.status.currentData()))
        keys = split_numbers(self.numbers.text())
        if not keys:
            self.print_error.show_message(self.tr("请输入要打印的申报编号，或选择“按状态”"))
            self.numbers.setFocus()
            return None
        return PrintRequest(keys=keys)

    def print_chosen(self) -> JobHandle | None:
        """Make the PDF of the chosen declarations and open the preview."""
        self.print_error.clear_message()
        request = self.chosen_request()
        return None if request is None else self.start(request)

    def print_blank(self) -> JobHandle:
        return self.start(PrintRequest(blank=True))

    def start(self, request: PrintRequest) -> JobHandle:
        return start_print(self.ctx, self, request, on_preview=self._opened)

    def _opened(self, preview: PrintPreview) -> None:
        self.preview = preview
