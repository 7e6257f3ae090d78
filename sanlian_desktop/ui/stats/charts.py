"""Small charts drawn with QPainter: a ranking of regions, the review funnel and the monthly trend.

No QtCharts (it would pull Qt's OpenGL libraries into the bundle). Every bar carries its value as text
beside it and a tooltip, and met / missed is told by a mark (✓ ×) as well as by colour.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QHelpEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from sanlian_desktop.indicators.views import Bar

BAR_COLOURS = {True: QColor("#4c9a4c"), False: QColor("#d0553f"), None: QColor("#9e9e9e")}
SERIES_COLOURS = [QColor("#4a78b5"), QColor("#4c9a4c"), QColor("#d0553f")]
FUNNEL_COLOUR = QColor("#4a78b5")
GRID_COLOUR = QColor("#e3e3e3")
AXIS_COLOUR = QColor("#888888")
PAD = 8.0


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above ``value`` (an axis end with round ticks)."""
    if value <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(value))
    return next(step * magnitude for step in (1, 2, 2.5, 5, 10) if step * magnitude >= value * (1 - 1e-12))


class ChartWidget(QWidget):
    """Common ground: the empty message, a tooltip for the part under the mouse, the palette's text colour."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.empty_text = self.tr("没有数据")
        self._hits: list[tuple[QRectF, str]] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, False)

    def tooltip_at(self, point: QPointF) -> str:
        """The tooltip of the bar or column under ``point`` (widget coordinates), or an empty string."""
        for rect, text in self._hits:
            if rect.contains(point):
                return text
        return ""

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(QPointF(event.pos()))
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def _begin(self) -> QPainter:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.fillRect(self.rect(), self.palette().base())
        self._hits = []
        return painter

    def _text_colour(self) -> QColor:
        return self.palette().text().color()

    def _draw_empty(self, painter: QPainter) -> None:
        painter.setPen(AXIS_COLOUR)
        painter.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter, self.empty_text)


class RankingChart(ChartWidget):
    """Horizontal bars, one per region, best at the top, with the standard as a dashed line."""

    ROW = 24.0

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bars: list[Bar] = []
        self.threshold: float | None = None
        self.threshold_label = ""
        self.percent = True

    def set_bars(self, bars: Sequence[Bar], threshold: float | None, threshold_label: str, *,
                 percent: bool) -> None:
        self.bars = list(bars)
        self.threshold, self.threshold_label, self.percent = threshold, threshold_label, percent
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(600, int(self.ROW * max(len(self.bars), 3) + 60))

    def minimumSizeHint(self) -> QSize:
        return QSize(320, int(self.ROW * max(len(self.bars), 3) + 60))

    def _axis_end(self) -> float:
        top = max([b.value for b in self.bars] + [self.threshold or 0.0])
        return 100.0 if self.percent and top <= 100 else nice_ceiling(top * 1.05)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = self._begin()
        if not self.bars:
            self._draw_empty(painter)
            painter.end()
            return
        fm = QFontMetricsF(self.font())
        label_w = min(self.width() * 0.3, max(fm.horizontalAdvance(b.label) for b in self.bars) + PAD * 2)
        text_w = max(fm.horizontalAdvance(b.text) for b in self.bars) + PAD * 2
        top, bottom = 26.0, 24.0
        plot = QRectF(label_w, top, max(40.0, self.width() - label_w - text_w - PAD), self.ROW * len(self.bars))
        end = self._axis_end()

        def x_of(value: float) -> float:
            return plot.left() + plot.width() * min(value, end) / end

        # Grid and axis labels.
        painter.setPen(QPen(GRID_COLOUR, 1))
        ticks = 5
        for i in range(ticks + 1):
            value = end * i / ticks
            x = x_of(value)
            painter.setPen(QPen(GRID_COLOUR, 1))
            painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
            painter.setPen(AXIS_COLOUR)
            label = f"{value:.0f}%" if self.percent else f"{value:g}"
            painter.drawText(QRectF(x - 30, plot.bottom() + 2, 60, bottom - 4), Qt.AlignmentFlag.AlignCenter, label)
        text = self._text_colour()
        for i, bar in enumerate(self.bars):
            row = QRectF(0, plot.top() + i * self.ROW, self.width(), self.ROW)
            painter.setPen(text)
            name = fm.elidedText(bar.label, Qt.TextElideMode.ElideRight, label_w - PAD * 2)
            painter.drawText(QRectF(PAD, row.top(), label_w - PAD * 2, self.ROW),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)
            width = x_of(bar.value) - plot.left()
            rect = QRectF(plot.left(), row.top() + self.ROW * 0.18, max(width, 0.0), self.ROW * 0.64)
            if width > 0:
                painter.fillRect(rect, BAR_COLOURS[bar.met])
            painter.setPen(text)
            painter.drawText(QRectF(rect.right() + PAD / 2, row.top(), text_w, self.ROW),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, bar.text)
            self._hits.append((row, bar.tooltip or f"{bar.label}：{bar.text}"))
        painter.setPen(QPen(AXIS_COLOUR, 1))
        painter.drawLine(QPointF(plot.left(), plot.top()), QPointF(plot.left(), plot.bottom()))
        if self.threshold is not None:
            x = x_of(self.threshold)
            pen = QPen(QColor("#333333"), 1.2, Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.drawLine(QPointF(x, plot.top() - 4), QPointF(x, plot.bottom()))
            painter.setPen(text)
            label = self.threshold_label
            w = fm.horizontalAdvance(label) + 4
            painter.drawText(QRectF(min(x - w / 2, self.width() - w), 2, w, top - 6), Qt.AlignmentFlag.AlignCenter,
                             label)
        painter.end()


class FunnelChart(ChartWidget):
    """Stages as centred bars, widest first, with the count and its share of the first stage."""

    ROW = 34.0

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bars: list[Bar] = []

    def set_bars(self, bars: Sequence[Bar]) -> None:
        self.bars = list(bars)
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(420, int(self.ROW * max(len(self.bars), 3) + 2 * PAD))

    def minimumSizeHint(self) -> QSize:
        return QSize(300, int(self.ROW * max(len(self.bars), 3) + 2 * PAD))

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = self._begin()
        if not self.bars or not any(b.value for b in self.bars):
            self._draw_empty(painter)
            painter.end()
            return
        fm = QFontMetricsF(self.font())
        label_w = max(fm.horizontalAdvance(b.label) for b in self.bars) + PAD * 2
        text_w = max(fm.horizontalAdvance(b.text) for b in self.bars) + PAD * 2
        room = max(40.0, self.width() - label_w - text_w)
        top = max(b.value for b in self.bars)
        centre = label_w + room / 2
        text = self._text_colour()
        for i, bar in enumerate(self.bars):
            y = PAD + i * self.ROW
            width = room * bar.value / top if top else 0.0
            rect = QRectF(centre - width / 2, y + 5, width, self.ROW - 10)
            painter.fillRect(rect, FUNNEL_COLOUR.lighter(100 + i * 12))
            painter.setPen(text)
            painter.drawText(QRectF(0, y, label_w - PAD, self.ROW),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, bar.label)
            painter.drawText(QRectF(label_w + room + PAD, y, text_w, self.ROW),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, bar.text)
            self._hits.append((QRectF(0, y, self.width(), self.ROW), bar.tooltip or f"{bar.label}：{bar.text}"))
        painter.end()


class TrendChart(ChartWidget):
    """Grouped columns per month, one colour per series, a legend on top; counts over the columns when they fit."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.months: list[str] = []
        self.series: list[tuple[str, list[int]]] = []

    def set_series(self, months: Sequence[str], series: Sequence[tuple[str, Sequence[int]]]) -> None:
        self.months = list(months)
        self.series = [(name, list(values)) for name, values in series]
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(520, 260)

    def minimumSizeHint(self) -> QSize:
        return QSize(320, 200)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = self._begin()
        if not self.months:
            self._draw_empty(painter)
            painter.end()
            return
        fm = QFontMetricsF(self.font())
        text = self._text_colour()
        end = nice_ceiling(max([v for _, values in self.series for v in values] + [1]) * 1.1)
        axis_w = fm.horizontalAdvance(f"{end:g}") + PAD * 2
        legend_h = fm.height() + PAD
        plot = QRectF(axis_w, legend_h + PAD * 2, self.width() - axis_w - PAD,
                      self.height() - legend_h - PAD * 2 - fm.height() - PAD * 1.5)
        # Legend.
        x = plot.left()
        for i, (name, _values) in enumerate(self.series):
            painter.fillRect(QRectF(x, PAD, 12, 12), SERIES_COLOURS[i % len(SERIES_COLOURS)])
            painter.setPen(text)
            painter.drawText(QPointF(x + 16, PAD + 11), name)
            x += 16 + fm.horizontalAdvance(name) + PAD * 2
        # Grid.
        for i in range(5):
            value = end * i / 4
            y = plot.bottom() - plot.height() * value / end
            painter.setPen(QPen(GRID_COLOUR, 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(AXIS_COLOUR)
            painter.drawText(QRectF(0, y - fm.height() / 2, axis_w - PAD / 2, fm.height()),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{value:g}")
        group_w = plot.width() / len(self.months)
        bar_w = group_w * 0.8 / max(len(self.series), 1)
        value_font = QFont(self.font())
        value_font.setPointSizeF(value_font.pointSizeF() * 0.85)
        vfm = QFontMetricsF(value_font)
        show_values = all(vfm.horizontalAdvance(str(v)) <= bar_w * 1.2 for _, values in self.series for v in values)
        label_step = max(1, int((fm.horizontalAdvance("2016-08") + PAD) // group_w) + 1)
        for m, month in enumerate(self.months):
            gx = plot.left() + m * group_w + group_w * 0.1
            for s, (name, values) in enumerate(self.series):
                value = values[m]
                h = plot.height() * value / end
                rect = QRectF(gx + s * bar_w, plot.bottom() - h, bar_w * 0.92, h)
                painter.fillRect(rect, SERIES_COLOURS[s % len(SERIES_COLOURS)])
                if show_values and value:
                    painter.setPen(text)
                    painter.setFont(value_font)
                    painter.drawText(QRectF(rect.left() - 10, rect.top() - vfm.height(), rect.width() + 20,
                                            vfm.height()), Qt.AlignmentFlag.AlignCenter, str(value))
                    painter.setFont(self.font())
                hit = QRectF(gx + s * bar_w, plot.top(), bar_w, plot.height())
                self._hits.append((hit, f"{month} {name}：{value} 份"))
            if m % label_step == 0:
                painter.setPen(text)
                painter.drawText(QRectF(plot.left() + m * group_w - 20, plot.bottom() + 2, group_w + 40, fm.height() + 4),
                                 Qt.AlignmentFlag.AlignCenter, month)
        painter.setPen(QPen(AXIS_COLOUR, 1))
        painter.drawLine(QPointF(plot.left(), plot.bottom()), QPointF(plot.right(), plot.bottom()))
        painter.end()
