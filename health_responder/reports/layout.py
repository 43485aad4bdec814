"""Assembling a document (its fixed words through gettext: a builder run under ``force_locale`` writes
them in the reader's language): the canvas that numbers pages ("Page X of Y") and pins the date and ID, the
running band of later pages, the certificate's border, and the blocks every document opens and closes
with (heading with facts and QR code, section headings, signatures).
"""

from __future__ import annotations

import functools
import hashlib
import io
import threading
from collections.abc import Callable
from datetime import date

from flask_babel import gettext
from reportlab.lib.pagesizes import A4, LETTER, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Spacer,
    Table,
    TableStyle,
)

from health_responder.reports.data import PAGE_SIZES
from health_responder.reports.flowables import fit_line, qr_code, text_block
from health_responder.reports.fonts import FontSet, clean_text
from health_responder.reports.styles import (
    ACCENT,
    BOTTOM_MARGIN,
    CREATOR,
    FACTS_TABLE_STYLE,
    MARGIN,
    MAX_HEADING_FACT,
    MUTED,
    QR_SIZE,
    RULE,
    SIGNATURE_TABLE_STYLE,
    STYLE_ASSOCIATION,
    STYLE_LABEL,
    STYLE_QR_CAPTION,
    STYLE_REFERENCE,
    STYLE_SECTION,
    STYLE_TITLE,
    STYLE_VALUE,
    STYLE_VALUE_BOLD,
    TOP_MARGIN,
    UNDATED,
)

# reportlab keeps fonts, their per-document subsets and its settings in process-wide state: one
# build at a time per process keeps two simultaneous requests from interleaving in it.
BUILD_LOCK = threading.RLock()

#: Characters of our own, beyond ASCII, that documents print: empty values, separators, cut text, marks.
SUBSET_PRELUDE = "—·…❄☐"


# --- document assembly -----------------------------------------------------------------------------


class NumberedCanvas(Canvas):
    """A canvas that holds its pages back until the end, to print "Page X of Y" on each.

    It also pins what reportlab would otherwise take from the clock or the environment: the
    creation date becomes the document's date, the document ID a digest of the content.
    """

    def __init__(
        self,
        *args,
        footer: Callable[[Canvas, int, int], None],
        doc_date: date | None,
        fonts: tuple[str, ...] = (),
        **kwargs,
    ):
        kwargs["invariant"] = 1
        super().__init__(*args, **kwargs)
        # The characters of our own that documents print take the first codes of each base font's first
        # subset, always in this order: a document whose text adds no others has the same subset as the
        # last one, and the font keeps it (fonts._reuse_subsets), the first document of a worker included.
        for name in fonts:
            pdfmetrics.getFont(name).splitString(SUBSET_PRELUDE, self._doc)
        self._held_pages: list[dict] = []
        self._footer = footer
        stamp = f"D:{(doc_date or UNDATED):%Y%m%d}000000+00'00'"
        self.setDateFormatter(lambda *_: stamp)
        # Invariant mode still seeds the ID from SOURCE_DATE_EPOCH when it is set; reseed it.
        doc = self._doc
        if hasattr(doc, "signature"):
            doc.signature = hashlib.md5(b"a reportlab document", usedforsecurity=False)

    def showPage(self):  # noqa: N802 - reportlab's name
        """Hold the finished page until the total is known ("Page X of Y")."""
        self._held_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        """Stamp each held page with its number and the total, then write the document."""
        held, total = self._held_pages, len(self._held_pages)
        for number in range(1, total + 1):
            # Let go of each held page once it is in the document: a long report holds hundreds.
            state, held[number - 1] = held[number - 1], None
            self.__dict__.update(state)
            self._footer(self, number, total)
            super().showPage()
        super().save()


def render(
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
    """Lay ``story`` out on numbered pages (band from page 2, footer on each) and return the PDF's bytes."""
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
            draw_band(canvas, fonts, pagesize, *band)
        canvas.restoreState()

    def footer(canvas: Canvas, number: int, total: int) -> None:
        if footer_left is None:
            return
        canvas.saveState()
        canvas.setFillColor(MUTED)
        y = BOTTOM_MARGIN - 10 * mm
        right = pagesize[0] - MARGIN
        page_text = gettext("Page %(number)s of %(total)s", number=number, total=total)
        fonts.draw(canvas, right, y, page_text, 7.5, align="right")
        room = right - MARGIN - fonts.string_width(page_text, 7.5) - 10 * mm
        fonts.draw(canvas, MARGIN, y, fit_line(fonts, footer_left, 7.5, room), 7.5)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, y + 10, right, y + 10)
        canvas.restoreState()

    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=on_page, pagesize=pagesize)])
    with BUILD_LOCK:
        doc.build(
            story,
            canvasmaker=functools.partial(
                NumberedCanvas, footer=footer, doc_date=doc_date, fonts=(fonts.regular, fonts.bold)
            ),
        )
    return buffer.getvalue()


def draw_band(canvas: Canvas, fonts: FontSet, pagesize, association: str, title: str, reference: str) -> None:
    """The running head of pages after the first: association on the left, document on the right."""
    y = pagesize[1] - TOP_MARGIN + 6 * mm
    right = pagesize[0] - MARGIN
    canvas.setFillColor(MUTED)
    label = fit_line(fonts, f"{title} {clean_text(reference, single_line=True)}", 7.5, (right - MARGIN) * 0.5)
    used = fonts.draw(canvas, right, y, label, 7.5, align="right")
    fonts.draw(canvas, MARGIN, y, fit_line(fonts, association, 7.5, right - MARGIN - used - 10 * mm), 7.5)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(MARGIN, y - 4, right, y - 4)


def certificate_border(canvas: Canvas, pagesize) -> None:
    """The certificate's double frame, drawn on its page before the content."""
    inset = MARGIN
    canvas.setStrokeColor(ACCENT)
    canvas.setLineWidth(2.5)
    canvas.rect(inset, inset, pagesize[0] - 2 * inset, pagesize[1] - 2 * inset)
    canvas.setLineWidth(0.75)
    canvas.rect(
        inset + 4 * mm, inset + 4 * mm, pagesize[0] - 2 * inset - 8 * mm, pagesize[1] - 2 * inset - 8 * mm
    )


def footer_text(reference: str, code: str) -> str:
    """The footer's left text: the document's reference and its verification code."""
    text = clean_text(reference, max_length=80, single_line=True)
    code = clean_text(code, max_length=64, single_line=True)
    return gettext("%(reference)s · Verification code %(code)s", reference=text, code=code) if code else text


def pagesize_of(name: str, *, rotate: bool = False) -> tuple[float, float]:
    """The paper of ``name`` ("A4" or "LETTER"), turned to landscape with ``rotate``; anything else is a ValueError."""
    key = (name or "A4").strip().upper()
    if key not in PAGE_SIZES:
        raise ValueError(f"page_size must be one of {', '.join(PAGE_SIZES)}, not {name!r}")
    size = A4 if key == "A4" else LETTER
    return landscape(size) if rotate else size


# --- building blocks -------------------------------------------------------------------------------


def heading_block(
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
    qr = qr_code(url, QR_SIZE)
    text_width = width - (QR_SIZE + 6 * mm if qr else 0)
    left: list[Flowable] = [
        text_block(fonts, clean_text(association, max_length=200), STYLE_ASSOCIATION, bold=True),
        text_block(fonts, title, STYLE_TITLE),
        text_block(fonts, clean_text(subtitle, max_length=200), STYLE_REFERENCE),
        Spacer(1, 4 * mm),
        facts_grid(fonts, facts, text_width, columns=2),
    ]
    if not qr:
        return [*left, Spacer(1, 2 * mm)]
    right = [
        qr,
        text_block(fonts, gettext("Scan to verify"), STYLE_QR_CAPTION),
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


def facts_grid(fonts: FontSet, facts: list[tuple[str, str]], width: float, *, columns: int) -> Table:
    """A grid of small labels above their values, ``columns`` facts per row; rows break across pages."""
    cells = [
        [
            text_block(fonts, label, STYLE_LABEL),
            text_block(fonts, clean_text(value, max_length=MAX_HEADING_FACT) or "—", STYLE_VALUE),
        ]
        for label, value in facts
    ]
    rows = [cells[i : i + columns] for i in range(0, len(cells), columns)]
    rows[-1] += [""] * (columns - len(rows[-1]))
    return Table(rows, colWidths=[width / columns] * columns, style=FACTS_TABLE_STYLE, hAlign="LEFT")


def signatures_block(fonts: FontSet, width: float, roles: list[tuple[str, str]]) -> Flowable:
    """Signature blocks, one column per role, kept on one page with their heading."""
    label_width = 22 * mm
    column = (width - label_width) / len(roles)
    names = [
        text_block(fonts, clean_text(name, max_length=120, single_line=True), STYLE_VALUE) if name else ""
        for _, name in roles
    ]
    rows = [
        [""] + [text_block(fonts, role, STYLE_VALUE_BOLD, bold=True) for role, _ in roles],
        [text_block(fonts, gettext("Name"), STYLE_LABEL), *names],
        [text_block(fonts, gettext("Date"), STYLE_LABEL)] + [""] * len(roles),
        [text_block(fonts, gettext("Signature"), STYLE_LABEL)] + [""] * len(roles),
        [text_block(fonts, gettext("Stamp"), STYLE_LABEL)] + [""] * len(roles),
    ]
    table = Table(
        rows,
        colWidths=[label_width] + [column] * len(roles),
        rowHeights=[None, None, 9 * mm, 14 * mm, 20 * mm],
        style=SIGNATURE_TABLE_STYLE,
        hAlign="LEFT",
    )
    return KeepTogether([section_heading(fonts, gettext("Signatures")), table])


def section_heading(fonts: FontSet, text: str) -> Flowable:
    """A section's heading inside a document."""
    return text_block(fonts, text, STYLE_SECTION)
