"""What an empty list says: instead of a blank table, a sentence in the middle of it telling what to do
first and where (``申报批次由省民政厅设立……请在“同步”页导入``).

The hint lies over the table's viewport, so it changes no layout; it shows whenever the model has no
rows and follows the model as rows come and go::

    self.empty = EmptyHint(self.view)
    self.empty.set_text(self.tr("还没有……：请在“同步”页导入"))
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QAbstractItemModel, QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractItemView, QLabel

HINT_STYLE = "color: #5f6368; font-size: 14px; padding: 24px; background: transparent;"


class EmptyHint(QLabel):
    """A sentence shown over ``view`` while its model has no rows (``text`` may be a function, asked
    each time the list becomes empty, for a hint that depends on the filters or the office)."""

    def __init__(self, view: QAbstractItemView, text: str | Callable[[], str] = "") -> None:
        super().__init__(view.viewport())
        self._text = text
        self.setObjectName("emptyHint")
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet(HINT_STYLE)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, False)
        view.viewport().installEventFilter(self)
        self._watched: QAbstractItemModel | None = None
        self.watch()
        self.update_hint()

    @property
    def view(self) -> QAbstractItemView:
        """The view (the viewport's parent; not kept as a Python reference, so no cycle holds it)."""
        viewport = self.parentWidget()
        view = viewport.parentWidget() if viewport is not None else None
        assert isinstance(view, QAbstractItemView)
        return view

    def watch(self) -> None:
        """Follow the view's current model (call again after ``setModel``)."""
        model = self.view.model()
        if model is None or model is self._watched:
            return
        self._watched = model
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved, model.layoutChanged):
            signal.connect(self.update_hint)

    def set_text(self, text: str | Callable[[], str]) -> None:
        self._text = text
        self.update_hint()

    def is_empty(self) -> bool:
        model = self.view.model()
        return model is None or model.rowCount() == 0

    def update_hint(self, *_args: object) -> None:
        empty = self.is_empty()
        if empty:
            text = self._text() if callable(self._text) else self._text
            self.setText(text)
            self.setVisible(bool(text))
            self._fill()
        else:
            self.hide()

    def _fill(self) -> None:
        viewport = self.view.viewport()
        self.setGeometry(0, 0, viewport.width(), viewport.height())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.view.viewport() and event.type() == QEvent.Type.Resize:
            self._fill()
        return False
