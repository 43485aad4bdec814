"""PDF builders: each document is a pure function of its data (`health_responder.reports.data`).

Same data, same bytes: nothing reads the clock (the PDF's creation date is the document's own date,
the ship date for a dispatch report), reportlab runs in invariant mode and the document ID does not
depend on the environment. User text is data, never markup: it is escaped before it reaches a
`Paragraph` (or drawn as a plain string), so tags in it print literally, and no link, image or font
ever comes from it.

Long tables are laid out one page-sized slice at a time (`PagedTable`), each slice a small platypus
`Table` with the header row repeated, so the cost grows with the number of rows rather than with
rows × pages as with one huge table that is re-split on every page.
"""

from __future__ import annotations

import functools
import hashlib
import io
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from itertools import groupby

from reportlab.graphics.barcode import qrencoder
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4, LETTER, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepInFrame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from health_responder.reports.data import (
    PAGE_SIZES,
    CertificateData,
    DispatchReportData,
    DispatchSummaryData,
    LeadTime,
    PickLineData,
    PickListData,
    TotalRow,
)
from health_responder.reports.fonts import BASE_FONT, BOLD_FONT, FontSet, clean_text, get_fonts

__all__ = ["build_certificate", "build_dispatch_report", "build_dispatch_summary", "build_pick_list"]

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

# reportlab keeps fonts, their per-document subsets and its settings in process-wide state: one
# build at a time per process keeps two simultaneous requests from interleaving in it.
_BUILD_LOCK = threading.RLock()


# --- public builders -------------------------------------------------------------------------------


def build_dispatch_report(data: DispatchReportData) -> bytes:
    """Render the dispatch report of ``data``: parties, shipment, lines, notes, signatures, QR code."""
    fonts = get_fonts()
    pagesize = _page_size(data.page_size)
    width = pagesize[0] - 2 * MARGIN
    title = "Dispatch report"

    story: list[Flowable] = []
    story += _heading(
        fonts,
        data.association_name,
        title,
        data.reference,
        width,
        data.verification_url,
        data.verification_code,
        [
            ("Reference", data.reference),
            ("Ship date", _date(data.ship_date)),
            ("Request", data.request_reference),
            ("Priority", data.priority),
            ("Status", data.status),
            ("Verification code", data.verification_code),
        ],
    )
    story.append(_section(fonts, "From and to"))
    story.append(_parties(fonts, data, width))
    story.append(_section(fonts, "Shipment"))
    story.append(
        _facts(
            fonts,
            [
                ("Carrier", data.carrier),
                ("Tracking number", data.tracking_number),
                ("Packages", "" if data.packages is None else str(data.packages)),
            ],
            width,
            columns=3,
        )
    )

    story.append(_section(fonts, "Lines"))
    cold = _cold_mark(fonts)
    columns = [
        ("#", 9 * mm, "RIGHT"),
        ("Item code", 32 * mm, "LEFT"),
        ("Item", None, "LEFT"),
        ("Lot", 22 * mm, "LEFT"),
        ("Expiry", 18 * mm, "LEFT"),
        ("Qty", 14 * mm, "RIGHT"),
        ("Unit", 15 * mm, "LEFT"),
        ("Cold chain", 14 * mm, "CENTER"),
    ]
    # A dispatch normally leaves from the one location of its heading; lines from elsewhere say where.
    origin = clean_text(data.sender_location, single_line=True)
    by_line = any(clean_text(line.location_name, single_line=True) not in ("", origin) for line in data.lines)
    if by_line:
        columns.insert(3, ("Location", 24 * mm, "LEFT"))
    widths = _widths(columns, width)

    def row(n: int, line) -> list:
        cells = [str(n), _cell(fonts, line.item_code, widths[1]), _cell(fonts, line.item_name, widths[2])]
        if by_line:
            cells.append(_cell(fonts, line.location_name or origin, widths[3]))
        return cells + [
            _cell(fonts, line.lot_code, widths[len(cells)]),
            _date(line.expires_on),
            _quantity(line.quantity),
            _cell(fonts, line.unit, widths[-2]),
            cold if line.cold_chain else "",
        ]

    # Rows are handed over as a generator: the table alone holds them, and lets go page by page.
    story += _data_table(
        columns, widths, (row(n, line) for n, line in enumerate(data.lines, 1)), empty="No lines."
    )
    total = sum(line.quantity for line in data.lines)
    story.append(
        Paragraph(
            f"{len(data.lines)} line{'s' if len(data.lines) != 1 else ''}, {_quantity(total)} units in total."
            + (
                f" {cold} cold chain: keep refrigerated from dispatch to receipt."
                if any(line.cold_chain for line in data.lines)
                else ""
            ),
            STYLE_TABLE_NOTE,
        )
    )

    if clean_text(data.notes).strip():
        story.append(_section(fonts, "Notes"))
        story.append(Paragraph(fonts.markup(clean_text(data.notes, max_length=MAX_NOTES)), STYLE_BODY))

    signatories = data.signatories
    story.append(
        _signatures(
            fonts,
            width,
            [
                ("Prepared", signatories.prepared_by),
                ("Dispatched", signatories.dispatched_by),
                ("Transported", signatories.transported_by),
                ("Received", signatories.received_by),
            ],
        )
    )
    return _render(
        story,
        fonts=fonts,
        pagesize=pagesize,
        title=f"{title} {clean_text(data.reference, max_length=80, single_line=True)}",
        author=data.association_name,
        doc_date=data.ship_date,
        band=(data.association_name, title, data.reference),
        footer_left=_footer_left(data.reference, data.verification_code),
    )


def build_pick_list(data: PickListData) -> bytes:
    """Render the pick list of ``data``: its lots grouped by location, then by expiry, with checkboxes."""
    fonts = get_fonts()
    pagesize = _page_size(data.page_size)
    width = pagesize[0] - 2 * MARGIN
    title = "Pick list"

    story: list[Flowable] = []
    story += _heading(
        fonts,
        data.association_name,
        title,
        data.dispatch_reference,
        width,
        data.verification_url,
        data.verification_code,
        [
            ("Dispatch", data.dispatch_reference),
            ("Request", data.request_reference),
            ("Provider", data.provider_name),
            ("City", data.city_name),
            ("Priority", data.priority),
            ("Needed by", _date(data.needed_by)),
            ("Prepared on", _date(data.prepared_on)),
            ("Verification code", data.verification_code),
        ],
    )
    lines = sorted(data.lines, key=_pick_order)
    locations = len({clean_text(line.location_name, single_line=True) for line in lines})
    total = sum(line.quantity for line in lines)
    story.append(
        Paragraph(
            f"{len(lines)} lot{'s' if len(lines) != 1 else ''} to pick in {locations} "
            f"location{'s' if locations != 1 else ''}, {_quantity(total)} units in total. "
            "Take each location's lots in the order listed: earliest expiry first.",
            STYLE_BODY,
        )
    )

    box = "☐" if fonts.covers("☐") else "[ ]"
    cold = _cold_mark(fonts)
    columns = [
        ("Picked", 14 * mm, "CENTER"),
        ("#", 8 * mm, "RIGHT"),
        ("Bin", 14 * mm, "LEFT"),
        ("Item code", 26 * mm, "LEFT"),
        ("Item", None, "LEFT"),
        ("Lot", 22 * mm, "LEFT"),
        ("Expiry", 19 * mm, "LEFT"),
        ("Qty", 13 * mm, "RIGHT"),
        ("Unit", 14 * mm, "LEFT"),
        ("Cold", 10 * mm, "CENTER"),
    ]
    widths = _widths(columns, width)
    first = 1
    for location, group in groupby(lines, key=lambda line: clean_text(line.location_name, single_line=True)):
        group = list(group)
        rows = (
            [
                box,
                str(number),
                _cell(fonts, line.bin, widths[2]),
                _cell(fonts, line.item_code, widths[3]),
                _cell(fonts, line.item_name, widths[4]),
                _cell(fonts, line.lot_code, widths[5]),
                _date(line.expires_on),
                _quantity(line.quantity),
                _cell(fonts, line.unit, widths[8]),
                cold if line.cold_chain else "",
            ]
            for number, line in enumerate(group, first)
        )
        first += len(group)
        # A location heading alone at the foot of a page is useless: keep room for a few rows.
        story.append(CondPageBreak(STYLE_SECTION.leading + 6 * MIN_ROW_HEIGHT))
        story.append(
            Paragraph(
                "Location: "
                + fonts.markup(clean_text(location or "—", max_length=MAX_FIELD))
                + f" · {len(group)} lot{'s' if len(group) != 1 else ''}",
                STYLE_SECTION,
            )
        )
        story += _data_table(columns, widths, rows, empty="")
    if not lines:
        story.append(Paragraph("Nothing to pick.", STYLE_BODY))

    if clean_text(data.notes).strip():
        story.append(_section(fonts, "Notes"))
        story.append(Paragraph(fonts.markup(clean_text(data.notes, max_length=MAX_NOTES)), STYLE_BODY))
    story.append(_signatures(fonts, width, [("Picked", ""), ("Checked", "")]))
    return _render(
        story,
        fonts=fonts,
        pagesize=pagesize,
        title=f"{title} {clean_text(data.dispatch_reference, max_length=80, single_line=True)}",
        author=data.association_name,
        doc_date=data.prepared_on,
        band=(data.association_name, title, data.dispatch_reference),
        footer_left=_footer_left(data.dispatch_reference, data.verification_code),
    )


def build_dispatch_summary(data: DispatchSummaryData) -> bytes:
    """Render the dispatch summary of ``data``: totals, a chart by network, lead times, open work."""
    fonts = get_fonts()
    pagesize = _page_size(data.page_size)
    width = pagesize[0] - 2 * MARGIN
    title = "Dispatch summary"
    period = f"{_date(data.period_from)} to {_date(data.period_to)}"

    dispatches = sum(row.dispatches for row in data.totals_by_network)
    units = sum(row.quantity for row in data.totals_by_network)
    rejected = sum(d.rejected for d in data.discrepancies)
    story: list[Flowable] = []
    story += _heading(
        fonts,
        data.association_name,
        title,
        period,
        width,
        data.verification_url,
        data.verification_code,
        [
            ("Period", period),
            ("Verification code", data.verification_code),
            ("Dispatches shipped", str(dispatches)),
            ("Units shipped", _quantity(units)),
            ("Open requests", str(data.open_requests)),
            ("Overdue requests", str(len(data.overdue_requests))),
            ("Discrepancies", f"{len(data.discrepancies)} ({_quantity(rejected)} units rejected)"),
        ],
    )

    story.append(_section(fonts, "Quantity dispatched by network"))
    if data.totals_by_network:
        story.append(_network_chart(fonts, data.totals_by_network, width))
    else:
        story.append(Paragraph("No dispatch shipped in this period.", STYLE_BODY))

    for heading, rows in (
        ("By network", data.totals_by_network),
        ("By city", data.by_city),
        ("By provider", data.by_provider),
        ("By item category", data.by_category),
    ):
        story.append(CondPageBreak(STYLE_SECTION.leading + 5 * MIN_ROW_HEIGHT))
        story.append(_section(fonts, heading))
        story += _totals_table(
            fonts, heading.split()[-1].capitalize(), rows, width, count_total=heading != "By item category"
        )

    story.append(CondPageBreak(STYLE_SECTION.leading + 4 * MIN_ROW_HEIGHT))
    story.append(_section(fonts, "Lead times"))
    columns = [
        ("Stage", None, "LEFT"),
        ("Dispatches measured", 34 * mm, "RIGHT"),
        ("Average (hours)", 30 * mm, "RIGHT"),
        ("Median (hours)", 30 * mm, "RIGHT"),
    ]
    widths = _widths(columns, width)
    story += _data_table(
        columns,
        widths,
        [
            _lead_row("Approved → shipped", data.approved_to_shipped),
            _lead_row("Shipped → received", data.shipped_to_received),
        ],
    )

    story.append(CondPageBreak(STYLE_SECTION.leading + 4 * MIN_ROW_HEIGHT))
    story.append(_section(fonts, "Open and overdue requests"))
    story.append(
        Paragraph(
            f"{data.open_requests} request{'s' if data.open_requests != 1 else ''} open at the end of the period, "
            f"{len(data.overdue_requests)} of them overdue.",
            STYLE_BODY,
        )
    )
    story.append(Spacer(1, 3))
    columns = [
        ("Request", 34 * mm, "LEFT"),
        ("City", None, "LEFT"),
        ("Priority", 20 * mm, "LEFT"),
        ("Needed by", 20 * mm, "LEFT"),
        ("Days overdue", 22 * mm, "RIGHT"),
        ("Status", 32 * mm, "LEFT"),
    ]
    widths = _widths(columns, width)
    story += _data_table(
        columns,
        widths,
        [
            [
                _cell(fonts, r.reference, widths[0]),
                _cell(fonts, r.city_name, widths[1]),
                _cell(fonts, r.priority, widths[2]),
                _date(r.needed_by),
                str(r.days_overdue),
                _cell(fonts, r.status, widths[5]),
            ]
            for r in data.overdue_requests
        ],
        empty="No overdue request.",
    )

    story.append(CondPageBreak(STYLE_SECTION.leading + 4 * MIN_ROW_HEIGHT))
    story.append(_section(fonts, "Discrepancies on receipt"))
    columns = [
        ("Dispatch", 32 * mm, "LEFT"),
        ("Item code", 28 * mm, "LEFT"),
        ("Item", None, "LEFT"),
        ("City", 30 * mm, "LEFT"),
        ("Rejected", 18 * mm, "RIGHT"),
        ("Reason", 20 * mm, "LEFT"),
    ]
    widths = _widths(columns, width)
    story += _data_table(
        columns,
        widths,
        (
            [
                _cell(fonts, d.dispatch_reference, widths[0]),
                _cell(fonts, d.item_code, widths[1]),
                _cell(fonts, d.item_name, widths[2]),
                _cell(fonts, d.city_name, widths[3]),
                _quantity(d.rejected),
                _cell(fonts, d.reason, widths[5]),
            ]
            for d in data.discrepancies
        ),
        empty="No discrepancy.",
        total=["Total", "", "", "", _quantity(rejected), ""],
    )
    return _render(
        story,
        fonts=fonts,
        pagesize=pagesize,
        title=f"{title} {period}",
        author=data.association_name,
        doc_date=data.period_to,
        band=(data.association_name, title, period),
        footer_left=_footer_left(f"{title} {period}", data.verification_code),
    )


def build_certificate(data: CertificateData) -> bytes:
    """Render a one-page, landscape completion certificate for ``data`` with its verification QR code."""
    fonts = get_fonts()
    pagesize = _page_size(data.page_size, rotate=True)
    width = pagesize[0] - 2 * (MARGIN + 10 * mm)
    height = pagesize[1] - 2 * (MARGIN + 8 * mm)

    def para(text: str, style: ParagraphStyle, limit: int = MAX_FIELD) -> Paragraph:
        return Paragraph(fonts.markup(clean_text(text, max_length=limit)), style)

    details = [f"Topic: {clean_text(data.topic, max_length=200)}"]
    if data.duration_hours:
        details.append(f"{data.duration_hours:g} hour{'' if data.duration_hours == 1 else 's'}")
    details.append(f"Provided by {clean_text(data.provider_name, max_length=200)}")
    body: list[Flowable] = [
        para(data.association_name, STYLE_CERT_ASSOCIATION, 200),
        Paragraph("Certificate of completion", STYLE_CERT_TITLE),
        Paragraph("This certifies that", STYLE_CERT_TEXT),
        para(data.participant_name, STYLE_CERT_NAME, 200),
        Paragraph(fonts.markup("of " + clean_text(data.city_name, max_length=200)), STYLE_CERT_TEXT)
        if clean_text(data.city_name).strip()
        else Spacer(1, 1),
        Paragraph("has completed the training program", STYLE_CERT_TEXT),
        para(data.program_title, STYLE_CERT_PROGRAM, 300),
        para(" · ".join(details), STYLE_CERT_TEXT, 700),
        Paragraph(f"Completed on {_date(data.completed_on)}", STYLE_CERT_TEXT),
    ]
    sign = [
        Spacer(1, 12 * mm),
        Paragraph("_" * 36, STYLE_CERT_SIGN),
        para(data.signatory_name or " ", STYLE_CERT_SIGN, 120),
        para(data.signatory_title or " ", STYLE_CERT_SMALL, 120),
    ]
    verify = _qr(data.verification_url, CERT_QR_SIZE)
    verify_text = Paragraph(
        "Verification code "
        + fonts.markup(clean_text(data.verification_code, max_length=64), bold=True)
        + "<br/>"
        + fonts.markup(clean_text(data.verification_url, max_length=300)),
        STYLE_CERT_SMALL,
    )
    qr_width = CERT_QR_SIZE + 2 * mm
    footer = Table(
        [[sign, "", verify_text, verify or ""]],
        colWidths=[width * 0.4, width * 0.6 - 60 * mm - qr_width, 60 * mm, qr_width],
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
    )
    # Long names shrink the page's content instead of spilling onto a second page.
    story = [KeepInFrame(width, height, body + [Spacer(1, 8 * mm), footer], mode="shrink")]
    return _render(
        story,
        fonts=fonts,
        pagesize=pagesize,
        title=f"Certificate of completion {clean_text(data.verification_code, max_length=64)}",
        author=data.association_name,
        doc_date=data.completed_on,
        band=None,
        footer_left=None,
        margins=(MARGIN + 10 * mm, MARGIN + 8 * mm),
        decorate=_certificate_border,
    )


# --- document assembly -----------------------------------------------------------------------------


class _NumberedCanvas(Canvas):
    """A canvas that holds its pages back until the end, to print "Page X of Y" on each.

    It also pins what reportlab would otherwise take from the clock or the environment: the
    creation date becomes the document's date, the document ID a digest of the content.
    """

    def __init__(self, *args, footer: Callable[[Canvas, int, int], None], doc_date: date | None, **kwargs):
        kwargs["invariant"] = 1
        super().__init__(*args, **kwargs)
        self._held_pages: list[dict] = []
        self._footer = footer
        stamp = f"D:{(doc_date or UNDATED):%Y%m%d}000000+00'00'"
        self.setDateFormatter(lambda *_: stamp)
        # Invariant mode still seeds the ID from SOURCE_DATE_EPOCH when it is set; reseed it.
        doc = self._doc
        if hasattr(doc, "signature"):
            doc.signature = hashlib.md5(b"a reportlab document", usedforsecurity=False)

    def showPage(self):  # noqa: N802 - reportlab's name
        self._held_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        held, total = self._held_pages, len(self._held_pages)
        for number in range(1, total + 1):
            # Let go of each held page once it is in the document: a long report holds hundreds.
            state, held[number - 1] = held[number - 1], None
            self.__dict__.update(state)
            self._footer(self, number, total)
            super().showPage()
        super().save()


def _render(
    story: list[Flowable],
    *,
    fonts: FontSet,
    pagesize: tuple[float, float],
    title: str,
    author: str,
    doc_date: date | None,
    band: tuple[str, str, str] | None,
    footer_left: str | None,
    margins: tuple[float, float] | None = None,
    decorate: Callable[[Canvas, tuple[float, float]], None] | None = None,
) -> bytes:
    side, vertical = margins or (MARGIN, None)
    top = vertical or TOP_MARGIN
    bottom = vertical or BOTTOM_MARGIN
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=side,
        rightMargin=side,
        topMargin=top,
        bottomMargin=bottom,
        title=title,
        author=clean_text(author, max_length=200, single_line=True),
        subject=title,
        creator=CREATOR,
        invariant=1,
    )
    frame = Frame(
        side,
        bottom,
        pagesize[0] - 2 * side,
        pagesize[1] - top - bottom,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )

    def on_page(canvas: Canvas, _doc) -> None:
        canvas.saveState()
        if decorate:
            decorate(canvas, pagesize)
        if band and canvas.getPageNumber() > 1:
            _draw_band(canvas, fonts, pagesize, *band)
        canvas.restoreState()

    def footer(canvas: Canvas, number: int, total: int) -> None:
        if footer_left is None:
            return
        canvas.saveState()
        canvas.setFillColor(MUTED)
        y = BOTTOM_MARGIN - 10 * mm
        right = pagesize[0] - MARGIN
        page_text = f"Page {number} of {total}"
        fonts.draw(canvas, right, y, page_text, 7.5, align="right")
        room = right - MARGIN - fonts.string_width(page_text, 7.5) - 10 * mm
        fonts.draw(canvas, MARGIN, y, _fit(fonts, footer_left, 7.5, room), 7.5)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, y + 10, right, y + 10)
        canvas.restoreState()

    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=on_page, pagesize=pagesize)])
    with _BUILD_LOCK:
        doc.build(story, canvasmaker=functools.partial(_NumberedCanvas, footer=footer, doc_date=doc_date))
    return buffer.getvalue()


def _draw_band(
    canvas: Canvas, fonts: FontSet, pagesize, association: str, title: str, reference: str
) -> None:
    """The running head of pages after the first: association on the left, document on the right."""
    y = pagesize[1] - TOP_MARGIN + 6 * mm
    right = pagesize[0] - MARGIN
    canvas.setFillColor(MUTED)
    label = _fit(fonts, f"{title} {clean_text(reference, single_line=True)}", 7.5, (right - MARGIN) * 0.5)
    used = fonts.draw(canvas, right, y, label, 7.5, align="right")
    fonts.draw(canvas, MARGIN, y, _fit(fonts, association, 7.5, right - MARGIN - used - 10 * mm), 7.5)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(MARGIN, y - 4, right, y - 4)


def _certificate_border(canvas: Canvas, pagesize) -> None:
    inset = MARGIN
    canvas.setStrokeColor(ACCENT)
    canvas.setLineWidth(2.5)
    canvas.rect(inset, inset, pagesize[0] - 2 * inset, pagesize[1] - 2 * inset)
    canvas.setLineWidth(0.75)
    canvas.rect(
        inset + 4 * mm, inset + 4 * mm, pagesize[0] - 2 * inset - 8 * mm, pagesize[1] - 2 * inset - 8 * mm
    )


def _footer_left(reference: str, code: str) -> str:
    text = clean_text(reference, max_length=80, single_line=True)
    code = clean_text(code, max_length=64, single_line=True)
    return f"{text} · Verification code {code}" if code else text


def _page_size(name: str, *, rotate: bool = False) -> tuple[float, float]:
    key = (name or "A4").strip().upper()
    if key not in PAGE_SIZES:
        raise ValueError(f"page_size must be one of {', '.join(PAGE_SIZES)}, not {name!r}")
    size = A4 if key == "A4" else LETTER
    return landscape(size) if rotate else size


# --- building blocks -------------------------------------------------------------------------------


def _heading(
    fonts: FontSet,
    association: str,
    title: str,
    subtitle: str,
    width: float,
    url: str,
    code: str,
    facts: list[tuple[str, str]],
) -> list[Flowable]:
    """Association, title, subtitle and the facts grid, with the verification QR code on the right."""
    qr = _qr(url, QR_SIZE)
    text_width = width - (QR_SIZE + 6 * mm if qr else 0)
    left: list[Flowable] = [
        Paragraph(fonts.markup(clean_text(association, max_length=200), bold=True), STYLE_ASSOCIATION),
        Paragraph(title, STYLE_TITLE),
        Paragraph(fonts.markup(clean_text(subtitle, max_length=200)), STYLE_REFERENCE),
        Spacer(1, 4 * mm),
        _facts(fonts, facts, text_width, columns=2),
    ]
    if not qr:
        return [*left, Spacer(1, 2 * mm)]
    right = [
        qr,
        Paragraph("Scan to verify", ParagraphStyle("qr-caption", parent=STYLE_SMALL, alignment=TA_CENTER)),
    ]
    table = Table(
        [[left, right]],
        colWidths=[text_width, width - text_width],
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
    )
    return [table, Spacer(1, 2 * mm)]


def _facts(fonts: FontSet, facts: list[tuple[str, str]], width: float, *, columns: int) -> Table:
    """A grid of small labels above their values, ``columns`` facts per row; rows break across pages."""
    cells = [
        [
            Paragraph(label, STYLE_LABEL),
            Paragraph(fonts.markup(clean_text(value, max_length=MAX_HEADING_FACT)) or "—", STYLE_VALUE),
        ]
        for label, value in facts
    ]
    rows = [cells[i : i + columns] for i in range(0, len(cells), columns)]
    rows[-1] += [""] * (columns - len(rows[-1]))
    return Table(rows, colWidths=[width / columns] * columns, style=FACTS_TABLE_STYLE, hAlign="LEFT")


def _parties(fonts: FontSet, data: DispatchReportData, width: float) -> Table:
    """Sender and recipient side by side, one row per attribute so the block can break across pages."""
    sender, recipient = data.sender, data.recipient

    def value(text: str, style: ParagraphStyle = STYLE_VALUE) -> Paragraph:
        return Paragraph(fonts.markup(clean_text(text, max_length=MAX_FIELD)) or "—", style)

    pairs = [
        (("From", sender.name, True), ("To", recipient.name, True)),
        (("Stock location", data.sender_location, False), ("Delivery address", recipient.address, False)),
        (("Address", sender.address, False), ("Country", recipient.country, False)),
        (("Country", sender.country, False), ("Contact", recipient.contact, False)),
        (("Contact", sender.contact, False), None),
    ]
    rows = []
    for pair in pairs:
        row = []
        for item in pair:
            if item is None:
                row.append("")
                continue
            label, text, bold = item
            row.append(
                [Paragraph(label, STYLE_LABEL), value(text, STYLE_VALUE_BOLD if bold else STYLE_VALUE)]
            )
        rows.append(row)
    return Table(
        rows,
        colWidths=[width / 2, width / 2],
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LINEBEFORE", (1, 0), (1, -1), 0.5, RULE),
                ("LEFTPADDING", (1, 0), (1, -1), 8),
            ]
        ),
        hAlign="LEFT",
    )


def _signatures(fonts: FontSet, width: float, roles: list[tuple[str, str]]) -> Flowable:
    """Signature blocks, one column per role, kept on one page with their heading."""
    label_width = 22 * mm
    column = (width - label_width) / len(roles)
    names = [
        Paragraph(fonts.markup(clean_text(name, max_length=120, single_line=True)), STYLE_VALUE)
        if name
        else ""
        for _, name in roles
    ]
    rows = [
        [""] + [Paragraph(role, STYLE_VALUE_BOLD) for role, _ in roles],
        [Paragraph("Name", STYLE_LABEL), *names],
        [Paragraph("Date", STYLE_LABEL)] + [""] * len(roles),
        [Paragraph("Signature", STYLE_LABEL)] + [""] * len(roles),
        [Paragraph("Stamp", STYLE_LABEL)] + [""] * len(roles),
    ]
    table = Table(
        rows,
        colWidths=[label_width] + [column] * len(roles),
        rowHeights=[None, None, 9 * mm, 14 * mm, 20 * mm],
        style=SIGNATURE_TABLE_STYLE,
        hAlign="LEFT",
    )
    return KeepTogether([_section(fonts, "Signatures"), table])


def _section(fonts: FontSet, text: str) -> Paragraph:
    return Paragraph(fonts.markup(text), STYLE_SECTION)


def _qr(url: str, size: float) -> QrCode | None:
    """The QR code of ``url``, or None without a URL."""
    value = clean_text(url, max_length=1000, single_line=True).strip()
    return QrCode(value, size) if value else None


class QrCode(Flowable):
    """A QR code drawn as one vector path: no image, and text extraction is not disturbed.

    The modules come from reportlab's own encoder (`reportlab.graphics.barcode.qrencoder`, the one
    behind ``QrCodeWidget``); drawing each row's dark runs into a single path is several times faster
    than the widget's one shape per run, and the PDF is smaller.
    """

    #: Modules of white around the code: the quiet zone scanners need.
    QUIET_ZONE = 4

    def __init__(self, value: str, size: float, level: str = "M"):
        super().__init__()
        # Level M survives a crease or a smudge on a printed sheet.
        code = qrencoder.QRCode(None, getattr(qrencoder.QRErrorCorrectLevel, level))
        code.addData(value)
        code.make()
        self.value = value
        self._modules = [[bool(module) for module in row] for row in code.modules]
        self.width = self.height = size

    def wrap(self, availWidth, availHeight):  # noqa: N803 - reportlab's names
        return self.width, self.height

    def draw(self):
        canvas = self.canv
        count = len(self._modules) + 2 * self.QUIET_ZONE
        box = self.width / count
        path = canvas.beginPath()
        for r, row in enumerate(self._modules):
            y = self.height - (r + self.QUIET_ZONE + 1) * box
            column = self.QUIET_ZONE
            for dark, run in groupby(row):
                length = len(list(run))
                if dark:
                    path.rect(column * box, y, length * box, box)
                column += length
        canvas.saveState()
        canvas.setFillColor(colors.black)
        canvas.drawPath(path, stroke=0, fill=1)
        canvas.restoreState()


def _network_chart(fonts: FontSet, rows: Sequence[TotalRow], width: float) -> Drawing:
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


def _totals_table(
    fonts: FontSet, label: str, rows: Sequence[TotalRow], width: float, *, count_total: bool
) -> list[Flowable]:
    columns = [
        (label, None, "LEFT"),
        ("Dispatches", 26 * mm, "RIGHT"),
        ("Quantity", 26 * mm, "RIGHT"),
        ("Share", 20 * mm, "RIGHT"),
    ]
    widths = _widths(columns, width)
    total = sum(row.quantity for row in rows)
    body = [
        [
            _cell(fonts, row.name, widths[0]),
            str(row.dispatches),
            _quantity(row.quantity),
            f"{100 * row.quantity / total:.1f} %" if total else "—",
        ]
        for row in rows
    ]
    # Across categories a dispatch counts once per category, so their dispatch counts do not add up.
    footer = [
        "Total",
        str(sum(row.dispatches for row in rows)) if count_total else "",
        _quantity(total),
        "100.0 %" if total else "—",
    ]
    return _data_table(columns, widths, body, empty="Nothing dispatched.", total=footer)


def _lead_row(stage: str, lead: LeadTime) -> list[str]:
    def hours(value: float | None) -> str:
        return "—" if value is None or not lead.count else f"{value:.1f}"

    return [stage, str(lead.count), hours(lead.average_hours), hours(lead.median_hours)]


def _pick_order(line: PickLineData):
    location = clean_text(line.location_name, single_line=True)
    return (
        location.casefold(),
        location,
        line.expires_on is None,
        line.expires_on or date.min,
        line.item_code,
        line.lot_code,
        line.bin,
    )


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
        self._table.drawOn(self.canv, 0, 0)


def _data_table(
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
            _cell(get_fonts(), label, width, bold=True)
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
        rows = [[empty] + [""] * (len(columns) - 1)]
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


def _widths(columns: list[tuple[str, float | None, str]], width: float) -> list[float]:
    """Column widths, the one given as None taking what the others leave."""
    fixed = sum(w for _, w, _ in columns if w is not None)
    flexible = [w for _, w, _ in columns if w is None]
    share = max(width - fixed, 20 * mm) / (len(flexible) or 1)
    return [share if w is None else w for _, w, _ in columns]


def _cell(fonts: FontSet, value: object, width: float, *, bold: bool = False) -> str | Paragraph:
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


def _fit(fonts: FontSet, text: str, size: float, width: float) -> str:
    """``text`` on one line, cut with an ellipsis to at most ``width`` points."""
    text = clean_text(text, max_length=300, single_line=True)
    if fonts.string_width(text, size) <= width:
        return text
    while text and fonts.string_width(text + "…", size) > width:
        text = text[: max(len(text) - max(1, len(text) // 8), 0)]
    return text + "…"


def _cold_mark(fonts: FontSet) -> str:
    return "❄" if fonts.covers("❄") else "*"


def _date(value: date | None) -> str:
    return value.isoformat() if value else "—"


def _quantity(value: int) -> str:
    return f"{value:,}"
