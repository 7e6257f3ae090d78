"""A canvas that holds pages back until the end, so each page can show "第 x 页 共 y 页".

Pages are grouped by the declaration they belong to (a marker flowable sets the current group
at the start of each declaration), and the numbering restarts for each group.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus.flowables import Flowable

# Called once per page before it is emitted: (canvas, group index, page in group, pages in group).
PageOverlay = Callable[[Canvas, int, int, int], None]


class DeferredCanvas(Canvas):
    """Keeps each finished page's drawing state and paints the overlays in ``save()``."""

    def __init__(self, *args: Any, overlay: PageOverlay, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._overlay = overlay
        self._held_pages: list[tuple[dict[str, Any], int]] = []
        self.current_group = 0

    def showPage(self) -> None:
        self._held_pages.append((dict(self.__dict__), self.current_group))
        self._startPage()

    def save(self) -> None:
        held = self._held_pages
        totals = Counter(group for _, group in held)
        seen: Counter[int] = Counter()
        for state, group in held:
            self.__dict__.update(state)
            seen[group] += 1
            self._overlay(self, group, seen[group], totals[group])
            Canvas.showPage(self)
        held.clear()
        Canvas.save(self)


def deferred_canvas_maker(overlay: PageOverlay) -> Callable[..., DeferredCanvas]:
    """A ``canvasmaker`` for ``BaseDocTemplate.build`` that paints ``overlay`` on every page."""

    def make(*args: Any, **kwargs: Any) -> DeferredCanvas:
        return DeferredCanvas(*args, overlay=overlay, **kwargs)

    return make


class GroupStart(Flowable):
    """Zero-size marker: pages from here on belong to group ``index`` (one declaration).

    ``on_start`` is told when layout reaches the group (for progress reports; it may raise to
    cancel).
    """

    def __init__(self, index: int, on_start: Callable[[int], None] | None = None) -> None:
        super().__init__()
        self.index = index
        self.on_start = on_start

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        return 0, 0

    def draw(self) -> None:
        canv = self.canv
        if isinstance(canv, DeferredCanvas):
            canv.current_group = self.index
        if self.on_start is not None:
            self.on_start(self.index)
