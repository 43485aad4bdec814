"""The dispatch report: parties, shipment, lines, notes, signatures and the verification QR code.

Its words go through gettext: the service builds it under ``force_locale(data.language)``, so a city
reads it in its own language (English and Korean catalogues).
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext, pgettext
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Table, TableStyle

from health_responder.labels import label
from health_responder.reports.data import DispatchReportData
from health_responder.reports.flowables import (
    cold_mark,
    column_widths,
    data_table,
    date_text,
    long_date,
    quantity_text,
    text_block,
    text_cell,
)
from health_responder.reports.fonts import FontSet, clean_text, get_fonts
from health_responder.reports.layout import (
    facts_grid,
    footer_text,
    heading_block,
    pagesize_of,
    render,
    section_heading,
    signatures_block,
)
from health_responder.reports.styles import (
    MARGIN,
    MAX_FIELD,
    MAX_NOTES,
    RULE,
    STYLE_BODY,
    STYLE_LABEL,
    STYLE_TABLE_NOTE,
    STYLE_VALUE,
    STYLE_VALUE_BOLD,
)


def build_dispatch_report(data: DispatchReportData) -> bytes:
    """Render the dispatch report of ``data``: parties, shipment, lines, notes, signatures, QR code."""
    fonts = get_fonts()
    pagesize = pagesize_of(data.page_size)
    width = pagesize[0] - 2 * MARGIN
    title = _("Dispatch report")

    story: list[Flowable] = []
    story += heading_block(
        fonts,
        data.association_name,
        title,
        data.reference,
        width,
        data.verification_url,
        data.verification_code,
        [
            (_("Reference"), data.reference),
            (_("Ship date"), long_date(data.ship_date)),
            (_("Request"), data.request_reference),
            (_("Priority"), str(label(data.priority))),
            (_("Status"), str(label(data.status))),
            (_("Verification code"), data.verification_code),
        ],
    )
    story.append(section_heading(fonts, _("From and to")))
    story.append(_parties(fonts, data, width))
    story.append(section_heading(fonts, _("Shipment")))
    story.append(
        facts_grid(
            fonts,
            [
                (_("Carrier"), data.carrier),
                (_("Tracking number"), data.tracking_number),
                (_("Packages"), "" if data.packages is None else str(data.packages)),
            ],
            width,
            columns=3,
        )
    )
    if data.shipped_at or data.received_at:
        # Times name their zone (the receiving city's): a paper has no page around it to say which.
        story.append(
            facts_grid(
                fonts,
                [(_("Shipped at"), data.shipped_at), (_("Received at"), data.received_at)],
                width,
                columns=2,
            )
        )

    story.append(section_heading(fonts, _("Lines")))
    cold = cold_mark(fonts)
    columns = [
        ("#", 9 * mm, "RIGHT"),
        (_("Item code"), 32 * mm, "LEFT"),
        (_("Item"), None, "LEFT"),
        (_("Lot"), 22 * mm, "LEFT"),
        (_("Expiry"), 18 * mm, "LEFT"),
        (_("Qty"), 14 * mm, "RIGHT"),
        (_("Unit"), 15 * mm, "LEFT"),
        (_("Cold chain"), 14 * mm, "CENTER"),
    ]
    # A dispatch normally leaves from the one location of its heading; lines from elsewhere say where.
    origin = clean_text(data.sender_location, single_line=True)
    by_line = any(clean_text(line.location_name, single_line=True) not in ("", origin) for line in data.lines)
    if by_line:
        columns.insert(3, (_("Location"), 24 * mm, "LEFT"))
    # After receipt the report also says what the city accepted and rejected, line by line.
    received = any(line.accepted is not None for line in data.lines)
    if received:
        unit = next(i for i, column in enumerate(columns) if column[0] == _("Unit"))
        columns[unit:unit] = [(_("Accepted"), 17 * mm, "RIGHT"), (_("Rejected"), 24 * mm, "RIGHT")]
    widths = column_widths(columns, width)

    def row(n: int, line) -> list:
        cells = [
            str(n),
            text_cell(fonts, line.item_code, widths[1]),
            text_cell(fonts, line.item_name, widths[2]),
        ]
        if by_line:
            cells.append(text_cell(fonts, line.location_name or origin, widths[3]))
        return cells + [
            text_cell(fonts, line.lot_code, widths[len(cells)]),
            date_text(line.expires_on),
            quantity_text(line.quantity),
            *(_receipt_cells(fonts, line, widths[len(cells) + 4]) if received else []),
            text_cell(fonts, line.unit, widths[-2]),
            cold if line.cold_chain else "",
        ]

    # Rows are handed over as a generator: the table alone holds them, and lets go page by page.
    story += data_table(
        columns, widths, (row(n, line) for n, line in enumerate(data.lines, 1)), empty=_("No lines.")
    )
    total = sum(line.quantity for line in data.lines)
    story.append(
        text_block(
            fonts,
            ngettext(
                "%(num)s line, %(units)s units in total.",
                "%(num)s lines, %(units)s units in total.",
                len(data.lines),
                units=quantity_text(total),
            )
            + (
                f" {cold} " + _("cold chain: keep refrigerated from dispatch to receipt.")
                if any(line.cold_chain for line in data.lines)
                else ""
            ),
            STYLE_TABLE_NOTE,
        )
    )

    if received:
        accepted = sum(line.accepted or 0 for line in data.lines)
        rejected = sum(line.rejected or 0 for line in data.lines)
        story.append(
            text_block(
                fonts,
                _(
                    "Received: %(accepted)s accepted, %(rejected)s rejected.",
                    accepted=quantity_text(accepted),
                    rejected=quantity_text(rejected),
                ),
                STYLE_TABLE_NOTE,
            )
        )

    if clean_text(data.notes).strip():
        story.append(section_heading(fonts, _("Notes")))
        story.append(text_block(fonts, clean_text(data.notes, max_length=MAX_NOTES), STYLE_BODY))

    signatories = data.signatories
    story.append(
        signatures_block(
            fonts,
            width,
            [
                (_("Prepared"), signatories.prepared_by),
                (_("Dispatched"), signatories.dispatched_by),
                (_("Transported"), signatories.transported_by),
                (_("Received"), signatories.received_by),
            ],
        )
    )
    return render(
        story,
        fonts=fonts,
        pagesize=pagesize,
        title=f"{title} {clean_text(data.reference, max_length=80, single_line=True)}",
        author=data.association_name,
        doc_date=data.ship_date,
        band=(data.association_name, title, data.reference),
        footer_left=footer_text(data.reference, data.verification_code),
    )


def _receipt_cells(fonts: FontSet, line, width: float) -> list:
    """Accepted and rejected units of a received line; a rejection names its reason."""
    if line.accepted is None:
        return ["", ""]
    rejected = quantity_text(line.rejected or 0)
    reason = clean_text(
        label(line.rejection_reason) if line.rejection_reason else "", max_length=20, single_line=True
    )
    return [
        quantity_text(line.accepted),
        text_cell(fonts, f"{rejected} ({reason})", width) if line.rejected and reason else rejected,
    ]


def _parties(fonts: FontSet, data: DispatchReportData, width: float) -> Table:
    """Sender and recipient side by side, one row per attribute so the block can break across pages."""
    sender, recipient = data.sender, data.recipient

    def value(text: str, style: ParagraphStyle = STYLE_VALUE) -> Flowable:
        return text_block(fonts, clean_text(text, max_length=MAX_FIELD) or "—", style)

    pairs = [
        (
            (pgettext("dispatch party", "From"), sender.name, True),
            (pgettext("dispatch party", "To"), recipient.name, True),
        ),
        (
            (_("Stock location"), data.sender_location, False),
            (_("Delivery address"), recipient.address, False),
        ),
        ((_("Address"), sender.address, False), (_("Country"), recipient.country, False)),
        ((_("Country"), sender.country, False), (_("Contact"), recipient.contact, False)),
        ((_("Contact"), sender.contact, False), None),
    ]
    rows = []
    for pair in pairs:
        row = []
        for item in pair:
            if item is None:
                row.append("")
                continue
            name, text, bold = item
            row.append(
                [
                    text_block(fonts, name, STYLE_LABEL),
                    value(text, STYLE_VALUE_BOLD if bold else STYLE_VALUE),
                ]
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
