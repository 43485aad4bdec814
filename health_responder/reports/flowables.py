"""Flowables and cells of our own: the vector QR code, the page-by-page table, text cells wrapped by us.

Long tables are laid out one page-sized slice at a time (`PagedTable`), each slice a small platypus
`Table` with the header row repeated, so the cost grows with the number of rows rather than with
rows × pages as with one huge table that is re-split on every page.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from datetime import date
from itertools import groupby

import zxingcpp
from flask import has_app_context
from flask_babel import format_date, get_locale
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.pathobject import PDFPathObject
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from health_responder.labels import label
from health_responder.reports.fonts import BASE_FONT, BOLD_FONT, FontSet, clean_text, get_fonts
from health_responder.reports.styles import (
    CELL_FONT_SIZE,
    CELL_LEADING,
    CELL_PAD_X,
    DATA_TABLE_STYLE,
    INK,
    MAX_CELL,
    MAX_NOTES,
    MIN_ROW_HEIGHT,
    MUTED,
    STYLE_CELL,
    STYLE_CELL_BOLD,
    TOTAL_BG,
)


def qr_code(url: str, size: float) -> QrCode | None:
    """The QR code of ``url``, or None without a URL."""
    value = clean_text(url, max_length=1000, single_line=True).strip()
    return QrCode(value, size) if value else None


@functools.lru_cache(maxsize=256)
def qr_runs(value: str, level: str = "M") -> tuple[int, tuple[tuple[tuple[int, int], ...], ...]]:
    """The QR code of ``value`` as its size in modules and, per row, the (start, length) of each dark run.

    Encoded by zxing-cpp (C++, already ours for reading codes), which picks version and mask by the
    standard's rules and always the same way for the same text, so the same document gets the same
    code (the registry's "current" compares content). segno, pure Python, spent 3.7 ms of a one-line
    document's 11 choosing the mask; zxing-cpp takes 0.2 ms. A document rebuilt for the same URL
    reuses the runs.
    """
    code = zxingcpp.create_barcode(value, zxingcpp.BarcodeFormat.QRCode, ec_level=level)
    image = code.to_image(scale=1, add_quiet_zones=False)
    size, pixels = image.shape[0], bytes(memoryview(image))  # one byte per module: 0 dark, 255 light
    rows = []
    for start in range(0, size * size, size):
        runs, column = [], 0
        for dark, run in groupby(pixels[start : start + size], key=lambda pixel: pixel == 0):
            length = len(list(run))
            if dark:
                runs.append((column, length))
            column += length
        rows.append(tuple(runs))
    return size, tuple(rows)


class QrCode(Flowable):
    """A QR code drawn as one vector path: no image, and text extraction is not disturbed.

    The modules come from zxing-cpp (see `qr_runs`); drawing each row's dark runs into a single path is
    several times faster than one shape per run, and the PDF is smaller.
    """

    #: Modules of white around the code: the quiet zone scanners need.
    QUIET_ZONE = 4

    def __init__(self, value: str, size: float, level: str = "M"):
        super().__init__()
        # Level M survives a crease or a smudge on a printed sheet.
        self.value, self.level = value, level
        qr_runs(value, level)  # encoded now: a text too long for a QR code fails here, not at drawing
        self.width = self.height = size

    def wrap(self, availWidth, availHeight):  # noqa: N803 - reportlab's names
        """Reportlab: the size this flowable takes."""
        return self.width, self.height

    def draw(self):
        """Reportlab: draw it on the canvas (the path's operators, built once per code and size)."""
        canvas = self.canv
        canvas.saveState()
        canvas.setFillColor(colors.black)
        canvas.addLiteral(qr_path(self.value, self.level, self.width))
        canvas.addLiteral("f")  # fill, non-zero winding: what drawPath(stroke=0, fill=1) writes
        canvas.restoreState()


@functools.lru_cache(maxsize=256)
def qr_path(value: str, level: str, size: float) -> str:
    """The PDF path operators of the QR code of ``value`` drawn ``size`` wide: one rectangle per dark run.

    Formatting the few hundred rectangles' numbers cost more than the rest of a one-line document's
    drawing; a document rebuilt for the same URL reuses the text.
    """
    count, rows = qr_runs(value, level)
    box = size / (count + 2 * QrCode.QUIET_ZONE)
    path = PDFPathObject()
    for r, runs in enumerate(rows):
        y = size - (r + QrCode.QUIET_ZONE + 1) * box
        for column, length in runs:
            path.rect((column + QrCode.QUIET_ZONE) * box, y, length * box, box)
    return path.getCode()


# --- text ------------------------------------------------------------------------------------------


def text_block(
    fonts: FontSet, value: object, style: ParagraphStyle, *, bold: bool = False, max_length: int = MAX_NOTES
) -> Flowable:
    """User or fixed ``value`` as a block of text in ``style``, drawn literally (never read as markup).

    Text the base font covers becomes a `PlainText` (several times cheaper than a Paragraph: no markup
    to parse, no fragments); other text (CJK, say) a Paragraph of escaped markup switching fonts run by
    run. Both break lines at spaces and print the same words.
    """
    text = clean_text(value, max_length=max_length)
    if fonts.covers(text) and PlainText.handles(style):
        return PlainText(text, style)
    return Paragraph(fonts.markup(text, bold=bold), style)


class PlainText(Flowable):
    """Text in a single font, broken at spaces and drawn line by line: a Paragraph without markup.

    It takes the place of a Paragraph for plain text the base font covers and lays out as one does:
    as wide as offered, ``leading`` per line, the first baseline ``fontSize`` below the top, whitespace
    runs collapsed, the style's indents, alignment and spacing; it splits between lines.
    """

    @staticmethod
    def handles(style: ParagraphStyle) -> bool:
        """Whether ``style`` asks for nothing but font, colour, indents, alignment and spacing."""
        return (
            style.alignment in (TA_LEFT, TA_CENTER, TA_RIGHT)
            and not style.firstLineIndent
            and not style.backColor
            and not style.borderWidth
            and style.wordWrap in (None, "LTR")
        )

    def __init__(self, text: str, style: ParagraphStyle, *, lines: list[str] | None = None):
        super().__init__()
        self.style = style
        self.text = text
        # Lines handed over by a split are final; otherwise they are broken for the width offered.
        self._fixed = lines is not None
        self._lines = lines or []
        self._wrapped_width: float | None = None

    def wrap(self, availWidth, availHeight):  # noqa: N803 - reportlab's names
        """Reportlab: as wide as offered, one leading per line."""
        style = self.style
        room = availWidth - style.leftIndent - style.rightIndent
        if not self._fixed and self._wrapped_width != room:
            lines: list[str] = []
            for paragraph in self.text.split("\n"):
                words = " ".join(paragraph.split())
                lines += _wrap(words, style.fontName, style.fontSize, room) if words else [""]
            if lines == [""]:
                lines = []
            self._lines, self._wrapped_width = lines, room
        self.width, self.height = availWidth, len(self._lines) * style.leading
        return self.width, self.height

    def split(self, availWidth, availHeight):  # noqa: N803
        """Reportlab: the lines that fit, and the rest."""
        self.wrap(availWidth, availHeight)
        fit = int((availHeight + 1e-8) // self.style.leading)
        if fit <= 0 or fit >= len(self._lines):
            return [] if fit <= 0 else [self]
        rest = ParagraphStyle("rest", parent=self.style, spaceBefore=0)
        return [
            PlainText(self.text, self.style, lines=self._lines[:fit]),
            PlainText(self.text, rest, lines=self._lines[fit:]),
        ]

    def getSpaceBefore(self):  # noqa: N802 - reportlab's name
        """Reportlab: the style's space before."""
        return self.style.spaceBefore

    def getSpaceAfter(self):  # noqa: N802
        """Reportlab: the style's space after."""
        return self.style.spaceAfter

    def draw(self):
        """Reportlab: draw the lines."""
        canvas, style = self.canv, self.style
        left, right = style.leftIndent, self.width - style.rightIndent
        y = self.height - style.fontSize
        canvas.saveState()
        canvas.setFillColor(style.textColor)
        canvas.setFont(style.fontName, style.fontSize)
        for line in self._lines:
            if style.alignment == TA_CENTER:
                canvas.drawCentredString((left + right) / 2, y, line)
            elif style.alignment == TA_RIGHT:
                canvas.drawRightString(right, y, line)
            else:
                canvas.drawString(left, y, line)
            y -= style.leading
        canvas.restoreState()


# --- tables ----------------------------------------------------------------------------------------


class PagedTable(Flowable):
    """A long table laid out one page-sized slice at a time, its header repeated on every page.

    Only the rows that can possibly fit the space offered are handed to a platypus `Table` (a row
    is never lower than `MIN_ROW_HEIGHT`); a split hands back the rows that fit as a plain `Table`
    and the rest as a new `PagedTable`, so no row is laid out more than a few times, and the rows
    of a drawn page are released instead of living until the end of the build.
    """

    def __init__(self, header: list[list], rows: list[list], col_widths: list[float], style: TableStyle):
        super().__init__()
        self.hAlign = "LEFT"
        self._header = header
        self._rows = rows
        self._widths = col_widths
        self._style = style
        self._table: Table | None = None
        self._wrapped_for: tuple[float, float] | None = None

    def _slice(self, stop: int, heights: list[float] | None = None) -> Table:
        return Table(
            self._header + self._rows[:stop],
            colWidths=self._widths,
            rowHeights=heights,
            repeatRows=len(self._header),
            style=self._style,
            hAlign="LEFT",
        )

    def wrap(self, availWidth, availHeight):  # noqa: N803 - reportlab's names
        """Reportlab: the size this flowable takes."""
        end = len(self._rows)
        stop = min(end, int(availHeight // MIN_ROW_HEIGHT) + 1)
        while True:
            table = self._slice(stop)
            width, height = table.wrap(availWidth, availHeight)
            # Rows left out must not look as if they fitted: grow until the slice overflows.
            if stop >= end or height > availHeight:
                break
            stop = min(end, stop + max(16, stop))
        self._table, self._wrapped_for = table, (availWidth, availHeight)
        self.width, self.height = width, height
        return width, height

    def split(self, availWidth, availHeight):  # noqa: N803
        """Reportlab: the rows that fit in the space left, and a table of the rest."""
        if self._wrapped_for != (availWidth, availHeight):
            self.wrap(availWidth, availHeight)
        heights = self._table._rowHeights
        used = sum(heights[: len(self._header)])
        fitting = 0
        for row_height in heights[len(self._header) :]:
            if used + row_height > availHeight:
                break
            used += row_height
            fitting += 1
        if fitting == 0:
            return []
        # The heights just measured are passed on, so the page's rows are not measured again.
        page = self._slice(fitting, list(heights[: len(self._header) + fitting]))
        if fitting >= len(self._rows):
            return [page]
        return [page, PagedTable(self._header, self._rows[fitting:], self._widths, self._style)]

    def draw(self):
        """Reportlab: draw it on the canvas."""
        self._table.drawOn(self.canv, 0, 0)


def data_table(
    columns: list[tuple[str, float | None, str]],
    widths: list[float],
    rows: Iterable[list],
    *,
    empty: str = "",
    total: list[str] | None = None,
) -> list[Flowable]:
    """A data table (header repeated on each page) and, when given and rows exist, a total row below."""
    rows = list(rows)
    header = [
        [
            text_cell(get_fonts(), label, width, bold=True)
            for (label, _, _), width in zip(columns, widths, strict=True)
        ]
    ]
    style = TableStyle(
        list(DATA_TABLE_STYLE.getCommands())
        + [("ALIGN", (i, 0), (i, -1), align) for i, (_, _, align) in enumerate(columns) if align != "LEFT"]
    )
    if not rows:
        if not empty:
            return []
        # The words of an empty table are translated: Korean ones need the fonts a plain string lacks.
        rows = [[text_cell(get_fonts(), empty, sum(widths))] + [""] * (len(columns) - 1)]
        style.add("SPAN", (0, 1), (-1, 1))
        style.add("TEXTCOLOR", (0, 1), (-1, 1), MUTED)
        return [Table(header + rows, colWidths=widths, style=style, hAlign="LEFT")]
    out: list[Flowable] = [PagedTable(header, rows, widths, style)]
    if total is not None:
        total_style = TableStyle(
            list(style.getCommands())
            + [
                ("FONT", (0, 0), (-1, -1), BOLD_FONT, CELL_FONT_SIZE, CELL_LEADING),
                ("BACKGROUND", (0, 0), (-1, -1), TOTAL_BG),
                ("TEXTCOLOR", (0, 0), (-1, -1), INK),
            ]
        )
        out.append(Table([total], colWidths=widths, style=total_style, hAlign="LEFT"))
    return out


def column_widths(columns: list[tuple[str, float | None, str]], width: float) -> list[float]:
    """Column widths, the one given as None taking what the others leave."""
    fixed = sum(w for _, w, _ in columns if w is not None)
    flexible = [w for _, w, _ in columns if w is None]
    share = max(width - fixed, 20 * mm) / (len(flexible) or 1)
    return [share if w is None else w for _, w, _ in columns]


def text_cell(fonts: FontSet, value: object, width: float, *, bold: bool = False) -> str | Paragraph:
    """A table cell for user text, drawn literally and wrapped to ``width``.

    Text the base font covers becomes a plain string broken into lines here: a table draws such a
    string as it is, several times faster than a Paragraph. Other text (CJK, say) becomes a
    Paragraph of escaped markup, which switches fonts run by run.
    """
    text = clean_text(value, max_length=MAX_CELL, single_line=True)
    if fonts.covers(text):
        font = BOLD_FONT if bold else BASE_FONT
        return "\n".join(_wrap(text, font, CELL_FONT_SIZE, width - 2 * CELL_PAD_X))
    return Paragraph(fonts.markup(text, bold=bold), STYLE_CELL_BOLD if bold else STYLE_CELL)


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy line breaking at spaces; a word wider than the line is broken between characters."""
    measure = functools.partial(pdfmetrics.stringWidth, fontName=font, fontSize=size)
    if measure(text) <= width:
        return [text]
    space = measure(" ")
    lines: list[str] = []
    current, current_width = "", 0.0
    for word in text.split():
        word_width = measure(word)
        if current and current_width + space + word_width <= width:
            current, current_width = f"{current} {word}", current_width + space + word_width
            continue
        if current:
            lines.append(current)
        while word_width > width and len(word) > 1:
            cut = _longest_prefix(word, measure, width)
            lines.append(word[:cut])
            word = word[cut:]
            word_width = measure(word)
        current, current_width = word, word_width
    if current:
        lines.append(current)
    return lines or [""]


def _longest_prefix(word: str, measure: Callable[[str], float], width: float) -> int:
    low, high = 1, len(word)
    while low < high:
        middle = (low + high + 1) // 2
        if measure(word[:middle]) <= width:
            low = middle
        else:
            high = middle - 1
    return low


def fit_line(fonts: FontSet, text: str, size: float, width: float) -> str:
    """``text`` on one line, cut with an ellipsis to at most ``width`` points."""
    text = clean_text(text, max_length=300, single_line=True)
    if fonts.string_width(text, size) <= width:
        return text
    while text and fonts.string_width(text + "…", size) > width:
        text = text[: max(len(text) - max(1, len(text) // 8), 0)]
    return text + "…"


def url_lines(fonts: FontSet, url: str, size: float, width: float) -> list[str]:
    """``url`` in lines of at most ``width`` points, broken only after a '/', so the code that ends a
    verification URL is never cut in two (a part longer than a line is left whole on its own line).
    """
    parts = re.findall(
        r"(?:[A-Za-z][A-Za-z0-9+.-]*://)?[^/]*/+|[^/]+$", url
    )  # the scheme stays with the host
    lines: list[str] = []
    for part in parts:
        if lines and fonts.string_width(lines[-1] + part, size) <= width:
            lines[-1] += part
        else:
            lines.append(part)
    return lines


def cold_mark(fonts: FontSet) -> str:
    """The cold-chain mark: a snowflake where the fonts have one, else an asterisk."""
    return "❄" if fonts.covers("❄") else "*"


def date_text(value: date | None) -> str:
    """A date in a table cell (ISO 8601, the same in every language), a dash when there is none."""
    return value.isoformat() if value else "—"


def code_words(code: str) -> str:
    """A code's translated label (``labels.label``); text that does not look like a code prints as it is."""
    return label(code) if re.fullmatch(r"[a-z][a-z0-9_]*", code or "") else code


def long_date(value: date | None) -> str:
    """A date in a sentence or a heading, written in the document's language ("2026년 12월 20일",
    "December 20, 2026"); ISO 8601 when built outside the application (no language), a dash for none.
    """
    if not value:
        return "—"
    if not has_app_context() or get_locale() is None:
        return value.isoformat()
    return format_date(value, "long")


def quantity_text(value: int) -> str:
    """A quantity with thousands separators."""
    return f"{value:,}"
