"""Server-side SVG bar charts: no JavaScript, readable by screen readers, safe under a strict CSP."""

from __future__ import annotations

from xml.sax.saxutils import escape

BAR_COLOURS = ("#0b5cad", "#a1141d", "#116b2e", "#8a4b00", "#5b3a9e", "#00727a")


def bar_chart(title: str, rows: list[tuple[str, list[float]]], series: list[str], width: int = 640) -> str:
    """A horizontal grouped bar chart as an SVG string; every label is escaped text."""
    bar_h, gap, label_w = 14, 10, 140
    group_h = bar_h * len(series) + gap
    height = 40 + group_h * max(len(rows), 1) + 20 * len(series)
    peak = max([v for _label, values in rows for v in values] + [1])
    scale = (width - label_w - 60) / peak
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="t"><title id="t">{escape(title)}</title>',
        f'<text x="0" y="16" font-weight="bold" font-size="14">{escape(title)}</text>',
    ]
    y = 30
    for label, values in rows:
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar_h}" text-anchor="end" font-size="12">{escape(label)}</text>'
        )
        for index, value in enumerate(values):
            w = max(value * scale, 0)
            colour = BAR_COLOURS[index % len(BAR_COLOURS)]
            parts.append(
                f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" fill="{colour}">'
                f"<title>{escape(series[index])}: {value:g}</title></rect>"
            )
            parts.append(
                f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 3}" font-size="11">{value:g}</text>'
            )
            y += bar_h
        y += gap
    for index, name in enumerate(series):
        colour = BAR_COLOURS[index % len(BAR_COLOURS)]
        parts.append(
            f'<rect x="{label_w}" y="{y + 6 + 20 * index}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{label_w + 18}" y="{y + 16 + 20 * index}" font-size="12">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
