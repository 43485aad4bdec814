"""Charts drawn with reportlab's graphics: the summary's bar chart of quantity by network."""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm

from health_responder.reports.data import TotalRow
from health_responder.reports.fonts import BASE_FONT, FontSet, clean_text
from health_responder.reports.styles import ACCENT


def network_chart(fonts: FontSet, rows: Sequence[TotalRow], width: float) -> Drawing:
    """A bar chart of the quantity dispatched per network."""
    height = 62 * mm
    names = [clean_text(row.name, max_length=24, single_line=True) or "—" for row in rows]
    values = [max(row.quantity, 0) for row in rows]
    top = max(values) if values else 0
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 14 * mm, 16 * mm
    chart.width, chart.height = width - 20 * mm, height - 24 * mm
    chart.data = [values]
    chart.bars[0].fillColor = ACCENT
    chart.bars[0].strokeColor = None
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = _nice_ceiling(top)
    chart.valueAxis.labels.fontName = BASE_FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = "%d"
    chart.categoryAxis.categoryNames = names
    chart.categoryAxis.labels.fontName = BASE_FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.boxAnchor = "n"
    if len(names) > 6:
        chart.categoryAxis.labels.angle = 30
        chart.categoryAxis.labels.boxAnchor = "ne"
    for i, name in enumerate(names):
        # A label is drawn in one font: the one that has its characters (a CJK name, say).
        chart.categoryAxis.labels[i].fontName = _single_font(fonts, name)
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = BASE_FONT
    chart.barLabels.fontSize = 7
    chart.barLabels.nudge = 6
    drawing.add(chart)
    return drawing


def _nice_ceiling(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value * 1.08:
            return step * magnitude
    return 10 * magnitude


def _single_font(fonts: FontSet, text: str) -> str:
    runs = fonts.runs(text)
    for font, _ in runs:
        if font != fonts.regular:
            return font
    return fonts.regular
