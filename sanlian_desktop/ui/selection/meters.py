"""A meter: a progress bar with the numbers on it, amber near its limit and red at it."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

from sanlian_desktop.selection.limits import Meter

# Light shades, so that the black numbers on the bar stay readable.
COLOURS = {"ok": "#8bc34a", "near": "#ffb300", "full": "#ef5350", "over": "#ef5350"}
_RANGE = 1000


class MeterBar(QWidget):
    """The meter's label over a bar reading ``已用 / 上限``; its colour follows the meter's state."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(self)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, _RANGE)
        self.bar.setTextVisible(True)
        self.bar.setMinimumWidth(220)
        self.state = "ok"
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(2)
        col.addWidget(self.label)
        col.addWidget(self.bar)

    def set_meter(self, meter: Meter) -> None:
        """Show ``meter``: its numbers, how full it is and its colour."""
        self.state = meter.state
        self.label.setText(meter.label)
        if meter.limit is None:
            self.bar.setValue(0)
            self.bar.setFormat(self.tr("{0}（未设上限）").format(meter.shown()))
        else:
            share = min(_RANGE, meter.used * _RANGE // meter.limit) if meter.limit else _RANGE
            self.bar.setValue(share)
            percent = meter.used * 100 // meter.limit if meter.limit else 100
            self.bar.setFormat(f"{meter.shown()} / {meter.shown(meter.limit)}（{percent}%）")
        colour = COLOURS[self.state]
        self.bar.setStyleSheet(
            f"QProgressBar {{ border: 1px solid #999; border-radius: 3px; text-align: center; height: 20px; }}"
            f"QProgressBar::chunk {{ background-color: {colour}; }}")
        self.bar.setToolTip(meter.text)
