"""Making a PDF of declarations (or a blank form) in the background, then opening it in the preview."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QWidget

from sanlian_desktop.declarations import paper
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Status
from sanlian_desktop.ui.context import UiContext
from sanlian_desktop.ui.dialogs import progress_dialog, show_error
from sanlian_desktop.ui.jobs import FunctionJob, IsCancelled, JobCancelled, JobHandle, Progress
from sanlian_desktop.ui.paper.folders import print_font
from sanlian_desktop.ui.paper.preview import PrintPreview


def _tr(text: str) -> str:
    return QCoreApplication.translate("printjob", text)


@dataclass(frozen=True)
class PrintRequest:
    """What to print: named declarations, all of a status in the jurisdiction, or a blank form."""

    keys: tuple[str, ...] = ()
    status: Status | None = None
    blank: bool = False

    def describe(self) -> str:
        """A short Chinese title for the preview window."""
        if self.blank:
            return _tr("空白申报表")
        if self.keys:
            return self.keys[0] if len(self.keys) == 1 else _tr("{0} 份申报").format(len(self.keys))
        return _tr("状态为“{0}”的申报").format(self.status.label) if self.status else _tr("辖区内全部申报")

    def file_name(self) -> str:
        """The name the 另存为 dialog suggests."""
        if self.blank:
            return _tr("空白申报表.pdf")
        if len(self.keys) == 1:
            return _tr("申报表-{0}.pdf").format(self.keys[0])
        return _tr("申报表.pdf")


@dataclass
class PrintResult:
    """What the background job made."""

    pdf: Path
    workdir: Path
    warnings: list[str] = field(default_factory=list)


def make_pdf(ctx: UiContext, request: PrintRequest, out: Path, progress: Progress,
             is_cancelled: IsCancelled) -> list[str]:
    """Run the print service into ``out`` (on a worker thread: its own session); returns warnings."""
    font = print_font(ctx.settings)
    if request.blank:
        return paper.print_blank(out, font_file=font)

    def step(done: int, total: int) -> None:
        if is_cancelled():
            raise JobCancelled
        progress(done, total, _tr("正在生成申报表：{0} / {1} 份").format(done, total))

    with ctx.store.read_session() as s:
        return paper.print_declarations(s, ctx.actor, out, keys=request.keys, status=request.status,
                                        font_file=font, progress=step)


def start_print(ctx: UiContext, parent: QWidget, request: PrintRequest,
                on_preview: Callable[[PrintPreview], None] | None = None) -> JobHandle:
    """Make the PDF of ``request`` in the background and open the preview when it is ready."""
    return start_pdf_preview(
        ctx, parent, title=request.describe(), file_name=request.file_name(), job_title=_tr("生成申报表"),
        make=lambda out, progress, cancelled: make_pdf(ctx, request, out, progress, cancelled),
        on_preview=on_preview)


def start_pdf_preview(ctx: UiContext, parent: QWidget, *, title: str, file_name: str, job_title: str,
                      make: Callable[[Path, Progress, IsCancelled], list[str]],
                      on_preview: Callable[[PrintPreview], None] | None = None) -> JobHandle:
    """Run ``make(out, progress, is_cancelled) -> warnings`` in the background with a progress dialog,
    into a temporary folder the preview owns, and open the preview when it is ready."""
    workdir = Path(tempfile.mkdtemp(prefix="sanlian-print-"))
    opened: list[bool] = []

    def ready(result: PrintResult) -> None:
        try:
            preview = PrintPreview(result.pdf, result.workdir, title, result.warnings, ctx.settings,
                                   parent, suggested_name=file_name)
        except UserError as exc:
            show_error(parent, exc)
            return
        opened.append(True)
        preview.show()
        if on_preview is not None:
            on_preview(preview)

    def finished() -> None:
        if not opened:  # failed, cancelled or could not be shown: nothing owns the folder
            shutil.rmtree(workdir, ignore_errors=True)

    def run(progress: Progress, cancelled: IsCancelled) -> PrintResult:
        out = workdir / file_name
        return PrintResult(out, workdir, make(out, progress, cancelled))

    handle = ctx.jobs.submit(FunctionJob(job_title, run), parent=parent, on_success=ready, on_finished=finished)
    progress_dialog(parent, handle, _tr("正在生成 {0}…").format(title))
    return handle
