"""Lot labels: a GS1 DataMatrix of GTIN, expiry and lot, its human-readable line, item and provider.

``build_labels(data) -> bytes`` is a pure function of `LabelSheetData`; its captions go through gettext,
so the service builds it under ``force_locale(data.language)``. The symbol and the bracketed line under
it are GS1 data, the same in every language. One label prints on a page the size of a label (for a
label printer); several print as a sheet of 2 x 7 labels (99 x 38 mm, the common A4 sheet) on the
configured page size.

The DataMatrix symbol is encoded by zxing-cpp in GS1 mode (FNC1 first, the ``]d2`` symbology, the
separators between variable-length fields) and drawn here by reportlab, module by module, as vector
rectangles: it stays sharp at any printer resolution. Neither of reportlab's own DataMatrix classes
writes GS1: ``ECC200DataMatrix`` is a fixed 44 x 44 C40 symbol without FNC1, and ``DataMatrix`` wraps
pylibdmtx, whose ``encode`` has no FNC1 option.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from datetime import date

import zxingcpp
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from health_responder.reports.fonts import FontSet, clean_text, get_fonts
from health_responder.reports.layout import BUILD_LOCK

#: A single label: 100 x 50 mm, the usual thermal label.
LABEL_SIZE = (100 * mm, 50 * mm)
#: A sheet: 2 columns x 7 rows of 99.1 x 38.1 mm labels.
SHEET_COLUMNS, SHEET_ROWS = 2, 7
SHEET_LABEL = (99.1 * mm, 38.1 * mm)
#: One DataMatrix module (GS1 healthcare: 0.255 to 0.990 mm): larger on a label of its own.
MODULE_LABEL = 0.8 * mm
MODULE_SHEET = 0.6 * mm
INK = colors.HexColor("#1b2631")
MUTED = colors.HexColor("#5d6d7e")
CREATOR = "Smart Health Responder"
UNDATED = date(2000, 1, 1)


@dataclass(frozen=True)
class LabelData:
    """One lot's label."""

    gtin: str
    lot_code: str
    expires_on: date | None
    item_code: str
    item_name: str
    provider_name: str
    unit: str = ""

    @property
    def hri(self) -> str:
        """The bracketed human-readable form the symbol carries: (01) GTIN, (17) expiry, (10) lot."""
        expiry = f"(17){self.expires_on:%y%m%d}" if self.expires_on else ""
        return f"(01){self.gtin}{expiry}(10){self.lot_code}"


@dataclass(frozen=True)
class LabelSheetData:
    """Labels to print together: one lot's, or every lot of a dispatch."""

    title: str
    labels: list[LabelData]
    page_size: str = "A4"
    #: The document's date (the receipt's or the lot's), so a reprint is the same file.
    doc_date: date | None = None
    verification_url: str = ""
    verification_code: str = ""
    extra: dict = field(default_factory=dict)
    #: The language of its words (captions; the item names are given in it): see health_responder.languages.
    #: English is left out of the data hash (documents.data_hash), so labels registered before it match.
    language: str = "en"


def datamatrix_modules(hri: str) -> list[list[bool]]:
    """The GS1 DataMatrix of a bracketed element string, as rows of dark (True) modules, top row first."""
    symbol = zxingcpp.create_barcode(hri, zxingcpp.BarcodeFormat.DataMatrix, gs1=True)
    image = memoryview(symbol.to_image(scale=1, add_quiet_zones=False))
    height, width = image.shape
    pixels = image.tobytes()
    return [[pixels[row * width + col] < 128 for col in range(width)] for row in range(height)]


def _draw_symbol(canvas: Canvas, modules: list[list[bool]], x: float, top: float, module: float) -> float:
    """Draw the symbol with its top-left corner at (x, top); each row's dark runs as one rectangle."""
    canvas.setFillColor(colors.black)
    for r, row in enumerate(modules):
        y = top - (r + 1) * module
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            canvas.rect(x + start * module, y, (c - start) * module, module, stroke=0, fill=1)
    return len(modules[0]) * module


def _fit(fonts: FontSet, text: str, size: float, width: float, *, bold: bool = False) -> str:
    """``text`` shortened with an ellipsis to fit ``width`` at ``size``."""
    text = clean_text(text, max_length=300, single_line=True)
    if fonts.string_width(text, size, bold=bold) <= width:
        return text
    while text and fonts.string_width(text + "…", size, bold=bold) > width:
        text = text[:-1]
    return text + "…"


def _draw_label(
    canvas: Canvas, fonts: FontSet, label: LabelData, box: tuple[float, float, float, float], module: float
) -> None:
    """One label in ``box`` (x, y, w, h): the symbol top left, its text beside it, the HRI line at the foot."""
    x, y, w, h = box
    modules = datamatrix_modules(label.hri)
    pad = 3 * mm
    symbol_x, symbol_top = x + pad + 2 * module, y + h - pad - 2 * module
    side = _draw_symbol(canvas, modules, symbol_x, symbol_top, module)
    canvas.setFillColor(INK)
    hri_size = 7
    fonts.draw(canvas, x + pad, y + pad, _fit(fonts, label.hri, hri_size, w - 2 * pad), hri_size)
    text_x = symbol_x + side + 2 * module + 3 * mm
    text_width = x + w - pad - text_x
    line = symbol_top - 9
    fonts.draw(canvas, text_x, line, _fit(fonts, label.item_name, 9, text_width, bold=True), 9, bold=True)
    canvas.setFillColor(MUTED)
    facts = [
        label.item_code + (f" · {label.unit}" if label.unit else ""),
        _("LOT") + " " + label.lot_code,
        _("EXP") + " " + (label.expires_on.isoformat() if label.expires_on else "—"),
        label.provider_name,
    ]
    for fact in facts:
        line -= 9.5
        fonts.draw(canvas, text_x, line, _fit(fonts, fact, 7.5, text_width), 7.5)
    canvas.setFillColor(INK)


def _canvas(buffer: io.BytesIO, pagesize, data: LabelSheetData) -> Canvas:
    canvas = Canvas(buffer, pagesize=pagesize, invariant=1, pageCompression=1)
    stamp = f"D:{(data.doc_date or UNDATED):%Y%m%d}000000+00'00'"
    canvas.setDateFormatter(lambda *_: stamp)
    doc = canvas._doc
    if hasattr(doc, "signature"):  # invariant mode still seeds the ID from SOURCE_DATE_EPOCH; reseed it
        doc.signature = hashlib.md5(b"a reportlab document", usedforsecurity=False)
    canvas.setTitle(clean_text(data.title, max_length=200, single_line=True))
    canvas.setCreator(CREATOR)
    return canvas


def _save(canvas: Canvas) -> None:
    # Saving cuts the fonts' subsets, which reads each font file through one shared position: one
    # document at a time in the process, as the other documents do (layout.BUILD_LOCK).
    with BUILD_LOCK:
        canvas.save()


def build_labels(data: LabelSheetData) -> bytes:
    """The labels as a PDF: one label-sized page for a single label, else sheets of 2 x 7."""
    fonts = get_fonts()
    buffer = io.BytesIO()
    if len(data.labels) == 1:
        canvas = _canvas(buffer, LABEL_SIZE, data)
        _draw_label(canvas, fonts, data.labels[0], (0, 0, *LABEL_SIZE), MODULE_LABEL)
        canvas.showPage()
        _save(canvas)
        return buffer.getvalue()
    pagesize = LETTER if data.page_size.upper() == "LETTER" else A4
    canvas = _canvas(buffer, pagesize, data)
    width, height = SHEET_LABEL
    left = (pagesize[0] - SHEET_COLUMNS * width) / 2
    top = pagesize[1] - (pagesize[1] - SHEET_ROWS * height) / 2
    per_page = SHEET_COLUMNS * SHEET_ROWS
    for index, label in enumerate(data.labels):
        slot = index % per_page
        if index and slot == 0:
            canvas.showPage()
        row, column = divmod(slot, SHEET_COLUMNS)
        _draw_label(
            canvas,
            fonts,
            label,
            (left + column * width, top - (row + 1) * height, width, height),
            MODULE_SHEET,
        )
    canvas.showPage()
    _save(canvas)
    return buffer.getvalue()
