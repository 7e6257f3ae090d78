"""Flowables for the opinion boxes: free text at the top, signer and seal line at the bottom."""

from __future__ import annotations

from datetime import date

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus.flowables import Flowable

SEAL_ROOM = 30 * mm  # free height under an opinion's text for the seal (seals are 38–42 mm across)
MIN_SIGNER_SIZE = 8.5  # signer lines shrink to this size at most; longer ones belong in the body


def date_block_width(font: str, size: float) -> float:
    """Width of "____年__月__日" as drawn at the bottom right of a box."""
    return size * (3.4 + 2.2 + 2.2 + 0.5) + stringWidth("年月日", font, size)


def signer_line_fits(text: str, width: float, font: str, size: float) -> bool:
    """Whether ``text`` fits left of the date line in a box ``width`` wide (at the smallest size)."""
    return stringWidth(text, font, MIN_SIGNER_SIZE) <= width - date_block_width(font, size) - size


class SealBox(Flowable):
    """An opinion box's content: ``body`` flowables from the top, and at the bottom right the lines
    "（盖章）" and "____年__月__日" laid out at explicit positions (Paragraphs would collapse the
    blanks), with the office and reviewer at the bottom left. At least ``min_height`` tall so a
    seal fits.
    """

    def __init__(
        self,
        body: list[Flowable],
        *,
        font: str,
        size: float,
        min_height: float,
        signer_lines: list[str] | None = None,
        on: date | None = None,
        with_seal: bool = True,
    ) -> None:
        super().__init__()
        self.body = body
        self.font = font
        self.size = size
        self.min_height = min_height
        self.signer_lines = signer_lines or []
        self.on = on
        self.with_seal = with_seal
        self._body_heights: list[float] = []
        self._wrapped_width: float | None = None
        self.width = 0.0
        self.height = 0.0

    @property
    def _seal_block(self) -> float:
        lines = max(2, len(self.signer_lines)) if self.with_seal else 0
        return lines * self.size * 1.7 + (self.size if self.with_seal else 0)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        self.width = availWidth
        self._wrapped_width = availWidth
        self._body_heights = [f.wrap(availWidth, availHeight)[1] for f in self.body]
        content = sum(self._body_heights)
        # Below the text stays an area a seal can be pressed into, however long the opinion.
        content += max(self._seal_block, SEAL_ROOM) if self.with_seal else 0
        self.height = max(self.min_height, content)
        return availWidth, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        """Split a box whose text is too long for the page; the seal line stays with the last part."""
        # reportlab's Table offers the column width here, padding included; the width it wrapped
        # this cell's content at is the one the text must be broken for.
        availWidth = min(availWidth, self._wrapped_width or availWidth)  # noqa: N806
        self.wrap(availWidth, availHeight)
        if self.height <= availHeight:
            return [self]
        head: list[Flowable] = []
        used = 0.0
        rest = list(self.body)
        while rest:
            f = rest[0]
            h = f.wrap(availWidth, availHeight)[1]
            if used + h <= availHeight:
                head.append(rest.pop(0))
                used += h
                continue
            parts = f.split(availWidth, availHeight - used)
            if len(parts) == 2:
                head.append(parts[0])
                rest[0] = parts[1]
            break
        if not head:
            return []
        first = SealBox(head, font=self.font, size=self.size, min_height=0, with_seal=False)
        second = SealBox(
            rest,
            font=self.font,
            size=self.size,
            min_height=self.min_height,
            signer_lines=self.signer_lines,
            on=self.on,
            with_seal=self.with_seal,
        )
        return [first, second]

    def draw(self) -> None:
        canv = self.canv
        y = self.height
        for f, h in zip(self.body, self._body_heights, strict=True):
            y -= h
            f.drawOn(canv, 0, y)
        if self.with_seal:
            self._draw_seal_lines()

    def _draw_seal_lines(self) -> None:
        canv = self.canv
        size = self.size
        right = self.width - size * 0.5
        base = size * 0.4
        line_gap = size * 1.7
        canv.saveState()
        canv.setFont(self.font, size)
        # Date line laid out right to left (日, day, 月, month, 年, year) so it ends flush right;
        # blanks stay open for a pen. Drawn left to right so copied text reads in order.
        cells = [
            ("日", f"{self.on.day}" if self.on else "", size * 2.2),
            ("月", f"{self.on.month}" if self.on else "", size * 2.2),
            ("年", f"{self.on.year}" if self.on else "", size * 3.4),
        ]
        placed: list[tuple[float, str, float, str]] = []
        x = right
        for unit, value, gap in cells:
            x -= stringWidth(unit, self.font, size)
            placed.append((x - gap / 2, value, x, unit))
            x -= gap
        date_left = x
        # Signer lines top-down at the left; shrink a line rather than run into the date.
        room = date_left - size
        lines = len(self.signer_lines)
        for i, text in enumerate(self.signer_lines):
            fit = size
            while fit > MIN_SIGNER_SIZE and stringWidth(text, self.font, fit) > room:
                fit -= 0.5
            canv.setFont(self.font, fit)
            canv.drawString(0, base + (lines - 1 - i) * line_gap, text)
        canv.setFont(self.font, size)
        seal = "（盖章）"
        seal_w = stringWidth(seal, self.font, size)
        canv.drawString(right - seal_w - size * 1.5, base + line_gap, seal)
        for value_x, value, unit_x, unit in reversed(placed):
            if value:
                canv.drawCentredString(value_x, base, value)
            canv.drawString(unit_x, base, unit)
        canv.restoreState()
