"""Charts for the printed indicator report, drawn with ``reportlab.graphics`` in the embedded CJK font.

Plain data in (:class:`~sanlian_desktop.indicators.views.Bar` lists and month series), a ``Drawing`` out.
"""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from sanlian_desktop.indicators.views import MET_COLOURS, Bar

BAR_COLOURS = {True: colors.HexColor("#4c9a4c"), False: colors.HexColor("#d0553f"), None: colors.HexColor("#9e9e9e")}
SERIES_COLOURS = [colors.HexColor("#4a78b5"), colors.HexColor("#4c9a4c"), colors.HexColor("#d0553f")]
FUNNEL_COLOUR = colors.HexColor("#4a78b5")
TEXT = colors.HexColor("#222222")
MUTED = colors.HexColor("#666666")
ROW = 15.0  # points per bar of a horizontal chart
DENSE_ROW = 9.5  # … when there are many bars (two rows of charts then fit a page)


def _drawing(width: float, height: float, font: str) -> Drawing:
    """A drawing whose initial font is the CJK one (else every chart references an unembedded Helvetica)."""
    d = Drawing(width, height)
    d.initialFontName = font
    return d


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` shortened with … so that it fits ``width`` points."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def ranking_chart(bars: Sequence[Bar], threshold: float | None, width: float, font: str, *,
                  percent: bool, threshold_label: str = "") -> Drawing:
    """Horizontal bars, best at the top, coloured by met / missed / cannot tell, with the value written beside
    each bar and the standard as a dashed line."""
    row = ROW if len(bars) <= 12 else DENSE_ROW
    size = 8.0 if len(bars) <= 12 else 7.0
    label_width = min(110.0, max(stringWidth(b.label, font, size) for b in bars) + 8) if bars else 40.0
    text_room = max((stringWidth(b.text, font, size) for b in bars), default=0) + 10
    height = row * len(bars) + 24
    d = _drawing(width, height, font)
    chart = HorizontalBarChart()
    chart.x, chart.y = label_width, 16
    chart.width, chart.height = max(60.0, width - label_width - text_room), row * len(bars)
    chart.data = [[b.value for b in bars]]
    chart.categoryAxis.categoryNames = [_fit(b.label, font, size, label_width - 8) for b in bars]
    chart.categoryAxis.reverseDirection = 1  # first (best) at the top
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = size
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -4
    chart.categoryAxis.strokeColor = MUTED
    chart.categoryAxis.visibleTicks = 0
    top = max([b.value for b in bars] + [threshold or 0.0, 1e-9])
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = 100.0 if percent and top <= 100 else top * 1.1
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = "%d%%" if percent else "%g"
    chart.valueAxis.strokeColor = MUTED
    chart.valueAxis.visibleGrid = 1
    chart.valueAxis.gridStrokeColor = colors.HexColor("#e3e3e3")
    chart.barWidth = row * 0.62
    chart.groupSpacing = row * 0.38
    chart.bars.strokeColor = None
    for i, b in enumerate(bars):
        chart.bars[(0, i)].fillColor = BAR_COLOURS[b.met]
    chart.barLabelFormat = "values"
    chart.barLabelArray = [[b.text for b in bars]]
    chart.barLabels.fontName = font
    chart.barLabels.fontSize = size
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    chart.barLabels.fillColor = TEXT
    chart.barLabels.boxFillColor = colors.white  # keeps the text readable over the grid and the standard
    chart.barLabels.leftPadding = chart.barLabels.rightPadding = 1
    if threshold is not None:  # drawn first, so bars and their labels lie over it
        span = chart.valueAxis.valueMax - chart.valueAxis.valueMin
        x = chart.x + chart.width * (threshold - chart.valueAxis.valueMin) / span
        d.add(Line(x, chart.y, x, chart.y + chart.height + 4, strokeColor=colors.HexColor("#333333"),
                   strokeWidth=0.8, strokeDashArray=[3, 2]))
        shown = threshold_label or (f"标准 {threshold:g}%" if percent else f"标准 {threshold:g}")
        d.add(String(x, chart.y + chart.height + 6, shown, fontName=font, fontSize=7, fillColor=TEXT,
                     textAnchor="middle"))
    d.add(chart)
    return d


def funnel_chart(bars: Sequence[Bar], width: float, font: str) -> Drawing:
    """Stages as centred bars, widest first, with the count and its share of the first stage."""
    size = 8.5
    row = 22.0
    label_width = max((stringWidth(b.label, font, size) for b in bars), default=0) + 10
    text_room = max((stringWidth(b.text, font, size) for b in bars), default=0) + 10
    d = _drawing(width, row * len(bars) + 4, font)
    room = max(40.0, width - label_width - text_room)
    top = max([b.value for b in bars] + [1.0])
    centre = label_width + room / 2
    for i, b in enumerate(bars):
        y = d.height - (i + 1) * row
        w = max(1.5, room * b.value / top) if b.value else 0
        if w:
            d.add(Rect(centre - w / 2, y + 3, w, row - 6, fillColor=FUNNEL_COLOUR, strokeColor=None))
        d.add(String(label_width - 6, y + row / 2 - 3, b.label, fontName=font, fontSize=size, fillColor=TEXT,
                     textAnchor="end"))
        d.add(String(label_width + room + 6, y + row / 2 - 3, b.text, fontName=font, fontSize=size,
                     fillColor=TEXT))
    return d


def trend_chart(months: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], width: float, font: str,
                height: float = 170) -> Drawing:
    """Grouped columns per month, one colour per series, with a legend; counts over the columns when
    there are few months."""
    d = _drawing(width, height, font)
    chart = VerticalBarChart()
    chart.x, chart.y = 34, 30
    chart.width, chart.height = width - 44, height - 58
    chart.data = [list(values) for _, values in series]
    chart.categoryAxis.categoryNames = list(months)
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 30 if len(months) > 8 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(months) > 8 else "n"
    chart.categoryAxis.strokeColor = MUTED
    top = max([v for _, values in series for v in values] + [1])
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = top * 1.15
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = "%d"
    chart.valueAxis.strokeColor = MUTED
    chart.valueAxis.visibleGrid = 1
    chart.valueAxis.gridStrokeColor = colors.HexColor("#e3e3e3")
    chart.bars.strokeColor = None
    for i, colour in enumerate(SERIES_COLOURS[: len(series)]):
        chart.bars[i].fillColor = colour
    if len(months) <= 8:
        chart.barLabelFormat = "%d"
        chart.barLabels.fontName = font
        chart.barLabels.fontSize = 6
        chart.barLabels.boxAnchor = "s"
        chart.barLabels.dy = 1
    d.add(chart)
    legend = Legend()
    legend.x, legend.y = chart.x, height - 6
    legend.fontName = font
    legend.fontSize = 8
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 60
    legend.dxTextSpace = 4
    legend.boxAnchor = "nw"
    legend.colorNamePairs = [(SERIES_COLOURS[i], name) for i, (name, _) in enumerate(series)]
    d.add(legend)
    return d


def met_fill(met: bool | None) -> colors.Color:
    """The light fill of a table cell for met / missed / cannot tell."""
    return colors.HexColor(MET_COLOURS[met][0])


def met_text(met: bool | None) -> colors.Color:
    return colors.HexColor(MET_COLOURS[met][1])
