"""The print preview: the PDF the service made, with page navigation, zoom, 打印… and 另存为 PDF…."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPointF, QSettings, QSize, Qt
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QImage,
    QKeySequence,
    QPageLayout,
    QPageSize,
    QPainter,
    QShortcut,
)
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressDialog,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.fileio import atomic_write
from sanlian_desktop.ui.dialogs import show_error
from sanlian_desktop.ui.geometry import place_window
from sanlian_desktop.ui.paper.folders import PDF, choose_save

# A4 at 600 dpi is ≈ 140 MB as an image; higher printer resolutions add nothing a sealed form needs.
MAX_PRINT_DPI = 600
FIT_WIDTH, FIT_PAGE = -1.0, -2.0
ZOOM_STEPS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0)
WARNING_STYLE = "background: #fff4ce; color: #5c4400; padding: 6px; border: 1px solid #e0c060;"

PageProgress = Callable[[int, int], bool]
"""``progress(done, total)`` while printing; returning False stops."""


def page_image(document: QPdfDocument, page: int, dpi: float) -> QImage:
    """Page ``page`` rendered at ``dpi``, on white (QtPdf renders onto a transparent background)."""
    points = document.pagePointSize(page)
    size = QSize(max(1, round(points.width() * dpi / 72)), max(1, round(points.height() * dpi / 72)))
    rendered = document.render(page, size)
    image = QImage(size, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.drawImage(0, 0, rendered)
    painter.end()
    return image


class PrintPreview(QWidget):
    """A window over one generated PDF; it owns ``workdir`` (the temporary folder) and removes it on close."""

    def __init__(self, pdf: Path, workdir: Path | None, title: str, warnings: list[str],
                 settings: QSettings, parent: QWidget | None = None, *, suggested_name: str = "申报表.pdf") -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("打印预览 — {0}").format(title))
        place_window(self, "print_preview", QSize(980, 760), settings)
        self.pdf = pdf
        self.workdir = workdir
        self.settings = settings
        self.suggested_name = suggested_name
        self.document = QPdfDocument(self)
        error = self.document.load(str(pdf))
        if error != QPdfDocument.Error.None_:
            self.deleteLater()
            raise UserError(self.tr("无法打开生成的 PDF 文件（{0}）").format(error.name), f"cannot load {pdf}: {error}")

        self.warning_label = QLabel("\n".join(warnings), self)
        self.warning_label.setWordWrap(True)
        self.warning_label.setStyleSheet(WARNING_STYLE)
        self.warning_label.setVisible(bool(warnings))

        self.view = QPdfView(self)
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setPageSpacing(12)
        self.view.setStyleSheet("QPdfView { background: #6d6d6d; }")
        self.view.pageNavigator().currentPageChanged.connect(self._page_shown)

        self.previous_button = QPushButton(self.tr("上一页"), self)
        self.next_button = QPushButton(self.tr("下一页"), self)
        self.page_box = QSpinBox(self)
        self.page_box.setRange(1, max(1, self.page_count()))
        self.page_box.setKeyboardTracking(False)
        self.page_total = QLabel(self.tr("/ 共 {0} 页").format(self.page_count()), self)
        self.zoom_box = QComboBox(self)
        self.zoom_box.addItem(self.tr("整页"), FIT_PAGE)
        self.zoom_box.addItem(self.tr("适合宽度"), FIT_WIDTH)
        for factor in ZOOM_STEPS:
            self.zoom_box.addItem(f"{factor:.0%}", factor)
        self.zoom_out_button = QPushButton("−", self)
        self.zoom_in_button = QPushButton("+", self)
        for small in (self.zoom_out_button, self.zoom_in_button):
            small.setFixedWidth(36)
        self.zoom_out_button.setToolTip(self.tr("缩小"))
        self.zoom_in_button.setToolTip(self.tr("放大"))
        self.save_button = QPushButton(self.tr("另存为 PDF…"), self)
        self.print_button = QPushButton(self.tr("打印…"), self)
        self.print_button.setDefault(True)
        self.close_button = QPushButton(self.tr("关闭"), self)

        bar = QHBoxLayout()
        w: QWidget
        for w in (self.previous_button, self.page_box, self.page_total, self.next_button):
            bar.addWidget(w)
        bar.addSpacing(24)
        bar.addWidget(QLabel(self.tr("缩放："), self))
        for w in (self.zoom_out_button, self.zoom_box, self.zoom_in_button):
            bar.addWidget(w)
        bar.addStretch(1)
        for w in (self.save_button, self.print_button, self.close_button):
            bar.addWidget(w)
        layout = QVBoxLayout(self)
        layout.addWidget(self.warning_label)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)

        self.previous_button.clicked.connect(lambda: self.go_to_page(self.current_page() - 1))
        self.next_button.clicked.connect(lambda: self.go_to_page(self.current_page() + 1))
        self.page_box.valueChanged.connect(lambda value: self.go_to_page(value - 1))
        self.zoom_box.currentIndexChanged.connect(self._zoom_chosen)
        self.zoom_in_button.clicked.connect(lambda: self.step_zoom(+1))
        self.zoom_out_button.clicked.connect(lambda: self.step_zoom(-1))
        self.save_button.clicked.connect(self.save_as)
        self.print_button.clicked.connect(self.print_document)
        self.close_button.clicked.connect(self.close)
        QShortcut(QKeySequence.StandardKey.Print, self, self.print_document)
        QShortcut(QKeySequence.StandardKey.ZoomIn, self, lambda: self.step_zoom(+1))
        QShortcut(QKeySequence.StandardKey.ZoomOut, self, lambda: self.step_zoom(-1))
        self._zoom_chosen()
        self._page_shown(0)

    # -- pages and zoom ----------------------------------------------------------------------------

    def page_count(self) -> int:
        return int(self.document.pageCount())

    def current_page(self) -> int:
        """The page shown, from 0."""
        return int(self.view.pageNavigator().currentPage())

    def go_to_page(self, page: int) -> None:
        """Scroll to ``page`` (from 0), clamped to the document."""
        page = max(0, min(page, self.page_count() - 1))
        if page != self.current_page():
            self.view.pageNavigator().jump(page, QPointF(), self.view.zoomFactor())

    def _page_shown(self, page: int) -> None:
        self.page_box.blockSignals(True)
        self.page_box.setValue(page + 1)
        self.page_box.blockSignals(False)
        self.previous_button.setEnabled(page > 0)
        self.next_button.setEnabled(page < self.page_count() - 1)

    def _zoom_chosen(self) -> None:
        factor = float(self.zoom_box.currentData())
        if factor == FIT_WIDTH:
            self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        elif factor == FIT_PAGE:
            self.view.setZoomMode(QPdfView.ZoomMode.FitInView)
        else:
            self.view.setZoomMode(QPdfView.ZoomMode.Custom)
            self.view.setZoomFactor(factor)

    def step_zoom(self, direction: int) -> None:
        """One step larger (+1) or smaller (-1) than the zoom shown now."""
        now = self.view.zoomFactor()
        steps = [f for f in ZOOM_STEPS if (f > now + 0.01 if direction > 0 else f < now - 0.01)]
        if steps:
            target = steps[0] if direction > 0 else steps[-1]
            self.zoom_box.setCurrentIndex(self.zoom_box.findData(target))

    # -- save and print ----------------------------------------------------------------------------

    def save_as(self) -> Path | None:
        """Ask where, then save a copy of the PDF."""
        target = choose_save(self, self.settings, PDF, self.tr("另存为 PDF"), self.suggested_name)
        if target is None:
            return None
        return target if self.save_to(target) else None

    def save_to(self, target: Path) -> bool:
        """Copy the PDF to ``target`` (written beside it first, then renamed); whether it worked."""
        try:
            with self.pdf.open("rb") as source, atomic_write(target) as fh:
                shutil.copyfileobj(source, fh)
        except OSError as exc:
            show_error(self, UserError(self.tr("无法保存到 {0}：{1}").format(target, exc.strerror or exc),
                                       f"cannot write {target}: {exc}"))
            return False
        return True

    def print_document(self) -> None:
        """The system print dialog, then the chosen pages to the chosen printer."""
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        printer.setPageOrientation(QPageLayout.Orientation.Portrait)
        printer.setDocName(self.suggested_name)
        printer.setFromTo(1, self.page_count())
        dialog = QPrintDialog(printer, self)
        dialog.setOption(QPrintDialog.PrintDialogOption.PrintPageRange, True)
        dialog.setOption(QPrintDialog.PrintDialogOption.PrintToFile, True)
        dialog.setMinMax(1, self.page_count())
        accepted = dialog.exec() == QPrintDialog.DialogCode.Accepted.value
        dialog.deleteLater()
        if not accepted:
            return
        progress = QProgressDialog(self.tr("正在打印…"), self.tr("取消"), 0, self.page_count(), self)
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(500)

        def step(done: int, total: int) -> bool:
            progress.setMaximum(total)
            progress.setValue(done)
            return not progress.wasCanceled()

        try:
            self.print_to(printer, step)
        except UserError as exc:
            show_error(self, exc)
        finally:
            progress.deleteLater()

    def print_to(self, printer: QPrinter, progress: PageProgress | None = None) -> int:
        """Paint the pages the printer asks for (all, or its from–to range); how many pages were painted.

        Each page is rendered at the printer's resolution (at most ``MAX_PRINT_DPI``) and laid on the
        whole sheet at its real size, so the form's own margins are kept.
        """
        printer.setFullPage(True)
        first, last = 0, self.page_count() - 1
        if printer.fromPage() > 0:
            first, last = printer.fromPage() - 1, min(printer.toPage() - 1, last)
        # Drivers that cannot make copies themselves (PDF output among them) get the pages repeated.
        copies = 1 if printer.supportsMultipleCopies() else max(1, printer.copyCount())
        pages = list(range(first, last + 1)) * copies
        painter = QPainter()
        if not pages or not painter.begin(printer):
            raise UserError(self.tr("无法开始打印：打印机没有准备好，或无法写入输出文件"), "QPainter.begin failed")
        printed = 0
        try:
            dpi = float(min(printer.resolution(), MAX_PRINT_DPI))
            sheet = printer.paperRect(QPrinter.Unit.DevicePixel)
            for n, page in enumerate(pages):
                if progress is not None and not progress(n, len(pages)):
                    printer.abort()
                    break
                if n:
                    printer.newPage()
                image = page_image(self.document, page, dpi)
                scale = min(sheet.width() / image.width(), sheet.height() / image.height(),
                            printer.resolution() / dpi)
                painter.save()
                painter.scale(scale, scale)
                painter.drawImage(0, 0, image)
                painter.restore()
                printed += 1
            if progress is not None:
                progress(len(pages), len(pages))
        finally:
            painter.end()
        return printed

    # -- closing -----------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        self.document.close()  # Windows keeps an open file locked
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
        super().closeEvent(event)
