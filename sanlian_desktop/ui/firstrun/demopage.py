"""The demo choice: make (or open) the demo office in the background, then sign in as its reviewer."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

from sanlian_desktop.demo.office import DEMO_PASSWORD, DEMO_USERS, open_or_create_demo, sign_in_demo
from sanlian_desktop.ui.firstrun.steps import WizardStep
from sanlian_desktop.ui.jobs import FunctionJob, IsCancelled, JobFailure, JobHandle, Progress
from sanlian_desktop.ui.qtfix import emit
from sanlian_desktop.ui.widgets import InlineError


class DemoPage(WizardStep):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("试用演示数据"))
        self.setSubTitle(self.tr("演示单位：城关区民政局（620102）。演示数据与正式数据分开保存。"))
        layout = QVBoxLayout(self)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 0)
        self.accounts = QLabel(self)
        self.accounts.setWordWrap(True)
        self.accounts.hide()
        self.error = InlineError(self)
        layout.addWidget(self.status)
        layout.addWidget(self.bar)
        layout.addWidget(self.accounts)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.handle: JobHandle | None = None
        self._ready = False

    def initializePage(self) -> None:
        self._ready = False
        self.error.clear_message()
        self.accounts.hide()
        self.bar.show()
        self.status.setText(self.tr("正在准备演示数据，请稍候…"))
        home = self.owner().home

        def make(progress: Progress, _is_cancelled: IsCancelled) -> Any:
            store = open_or_create_demo(home, step=lambda text: progress(0, 0, text))
            try:
                return store, sign_in_demo(store)
            except BaseException:
                store.close()
                raise

        self.handle = self.owner().jobs.submit(
            FunctionJob(self.tr("生成演示数据"), make), parent=self,
            on_progress=self._progress, on_success=self._done, on_failure=self._failed)

    def _progress(self, _done: int, _total: int, text: str) -> None:
        if text:
            self.status.setText(self.tr(text))

    def _done(self, result: Any) -> None:
        store, actor = result
        if self.handle is not None and self.handle.cancel_requested:
            store.close()
            return
        self.owner().set_result(store, actor, demo=True)
        self.bar.hide()
        self.status.setText(self.tr("演示数据已准备好。点击“完成”，以审核人“{0}”的身份进入系统。")
                            .format(actor.display_name))
        lines = [self.tr("演示账号（密码都是 {0}）：").format(DEMO_PASSWORD)]
        lines += [f"  {name}　{role.label}" + (f"　{display}" if display != name else "")
                  for name, display, role in DEMO_USERS]
        lines.append(self.tr("切换用户：菜单“文件 → 切换用户”。"))
        self.accounts.setText("\n".join(lines))
        self.accounts.show()
        self._ready = True
        emit(self.completeChanged)

    def _failed(self, failure: JobFailure) -> None:
        self.bar.hide()
        self.status.setText("")
        self.error.show_message(failure.message())
        if not failure.is_user_error:
            from sanlian_desktop.ui.dialogs import show_details

            show_details(self, failure.message(), failure.details)

    def cleanupPage(self) -> None:
        """Going back: let go of the demo store so that the office can be created instead."""
        self.stop()
        self.owner().drop_result()
        self._ready = False

    def stop(self) -> None:
        """Ask a running preparation to stop; its store is closed when it ends."""
        if self.handle is not None and self.handle.is_running:
            self.handle.cancel()

    def isComplete(self) -> bool:
        return self._ready

    def nextId(self) -> int:
        return -1
