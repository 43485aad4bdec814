"""The look of every document, as module constants: page margins, colours, text limits, paragraph and table styles.

A style is data: builders and building blocks take these, and none builds its own.
"""

from __future__ import annotations

from datetime import date

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import TableStyle

from health_responder.reports.fonts import BASE_FONT, BOLD_FONT

# --- page and colours ------------------------------------------------------------------------------

MARGIN = 15 * mm
TOP_MARGIN = 18 * mm
BOTTOM_MARGIN = 18 * mm
CREATOR = "Smart Health Responder"
#: The PDF creation date of a document that has no date of its own (e.g. a dispatch not shipped).
UNDATED = date(2000, 1, 1)

INK = colors.HexColor("#1b2631")
MUTED = colors.HexColor("#5d6d7e")
ACCENT = colors.HexColor("#1f4e79")
RULE = colors.HexColor("#aab7c4")
ZEBRA = colors.HexColor("#f2f5f8")
TOTAL_BG = colors.HexColor("#dde6ee")

# --- text limits -----------------------------------------------------------------------------------

#: A heading-block value (name, address, contact) longer than this is cut: such blocks sit in table
#: rows, which cannot break across pages, so each must stay well under a page.
MAX_FIELD = 600
#: A table cell is cut at this length for the same reason.
MAX_CELL = 300
#: A value in a document's heading grid (names, references, status).
MAX_HEADING_FACT = 200
#: Notes flow across pages and may be long.
MAX_NOTES = 5000

# --- styles ----------------------------------------------------------------------------------------

STYLE_ASSOCIATION = ParagraphStyle(
    "association", fontName=BOLD_FONT, fontSize=10, leading=13, textColor=ACCENT
)
STYLE_TITLE = ParagraphStyle(
    "title", fontName=BOLD_FONT, fontSize=18, leading=22, textColor=INK, spaceBefore=2
)
STYLE_REFERENCE = ParagraphStyle("reference", fontName=BASE_FONT, fontSize=12, leading=15, textColor=INK)
STYLE_SECTION = ParagraphStyle(
    "section", fontName=BOLD_FONT, fontSize=11, leading=14, textColor=ACCENT, spaceBefore=9, spaceAfter=4
)
STYLE_BODY = ParagraphStyle("body", fontName=BASE_FONT, fontSize=9, leading=12, textColor=INK)
STYLE_LABEL = ParagraphStyle("label", fontName=BOLD_FONT, fontSize=7.5, leading=9.5, textColor=MUTED)
STYLE_VALUE = ParagraphStyle("value", fontName=BASE_FONT, fontSize=9, leading=11.5, textColor=INK)
STYLE_VALUE_BOLD = ParagraphStyle("value-bold", parent=STYLE_VALUE, fontName=BOLD_FONT)
STYLE_SMALL = ParagraphStyle("small", fontName=BASE_FONT, fontSize=7, leading=9, textColor=MUTED)
STYLE_TABLE_NOTE = ParagraphStyle("table-note", parent=STYLE_SMALL, spaceBefore=3)
STYLE_QR_CAPTION = ParagraphStyle("qr-caption", parent=STYLE_SMALL, alignment=TA_CENTER)

#: Table cells: a plain-string cell is drawn with the same font, size and leading.
CELL_FONT_SIZE = 8
CELL_LEADING = 10
CELL_PAD_X = 3
CELL_PAD_Y = 2
STYLE_CELL = ParagraphStyle(
    "cell", fontName=BASE_FONT, fontSize=CELL_FONT_SIZE, leading=CELL_LEADING, textColor=INK
)
STYLE_CELL_BOLD = ParagraphStyle("cell-bold", parent=STYLE_CELL, fontName=BOLD_FONT)
#: No row can be lower than one line of text plus its padding: bounds the rows a page may hold.
MIN_ROW_HEIGHT = CELL_LEADING + 2 * CELL_PAD_Y

STYLE_CERT_ASSOCIATION = ParagraphStyle(
    "cert-association", fontName=BOLD_FONT, fontSize=14, leading=18, alignment=TA_CENTER, textColor=ACCENT
)
STYLE_CERT_TITLE = ParagraphStyle(
    "cert-title",
    fontName=BOLD_FONT,
    fontSize=28,
    leading=34,
    alignment=TA_CENTER,
    textColor=INK,
    spaceBefore=10,
)
STYLE_CERT_TEXT = ParagraphStyle(
    "cert-text",
    fontName=BASE_FONT,
    fontSize=12,
    leading=16,
    alignment=TA_CENTER,
    textColor=MUTED,
    spaceBefore=6,
)
STYLE_CERT_NAME = ParagraphStyle(
    "cert-name",
    fontName=BOLD_FONT,
    fontSize=26,
    leading=32,
    alignment=TA_CENTER,
    textColor=ACCENT,
    spaceBefore=6,
)
STYLE_CERT_PROGRAM = ParagraphStyle(
    "cert-program",
    fontName=BOLD_FONT,
    fontSize=17,
    leading=22,
    alignment=TA_CENTER,
    textColor=INK,
    spaceBefore=6,
)
STYLE_CERT_SMALL = ParagraphStyle("cert-small", fontName=BASE_FONT, fontSize=8, leading=10, textColor=MUTED)
#: The certificate's verification lines: dark enough and large enough to read off a printed page.
STYLE_CERT_VERIFY = ParagraphStyle("cert-verify", fontName=BASE_FONT, fontSize=9, leading=12, textColor=INK)
STYLE_CERT_CODE = ParagraphStyle("cert-code", fontName=BOLD_FONT, fontSize=14, leading=18, textColor=INK)
STYLE_CERT_SIGN = ParagraphStyle(
    "cert-sign", fontName=BASE_FONT, fontSize=9, leading=12, alignment=TA_LEFT, textColor=INK
)

#: Every data table: header row on the accent colour, light rules, zebra rows.
DATA_TABLE_STYLE = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), BASE_FONT, CELL_FONT_SIZE, CELL_LEADING),
        ("FONT", (0, 0), (-1, 0), BOLD_FONT, CELL_FONT_SIZE, CELL_LEADING),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA]),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ("BOX", (0, 0), (-1, -1), 0.5, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD_X),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD_X),
        ("TOPPADDING", (0, 0), (-1, -1), CELL_PAD_Y),
        ("BOTTOMPADDING", (0, 0), (-1, -1), CELL_PAD_Y),
    ]
)
#: The label/value grids of a document's heading.
FACTS_TABLE_STYLE = TableStyle(
    [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 6),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
)
SIGNATURE_TABLE_STYLE = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.5, RULE),
        ("BACKGROUND", (0, 0), (-1, 0), ZEBRA),
        ("BACKGROUND", (0, 0), (0, -1), ZEBRA),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
)

QR_SIZE = 28 * mm
CERT_QR_SIZE = 30 * mm
