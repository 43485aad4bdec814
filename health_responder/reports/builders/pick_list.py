"""The pick list: the dispatch's lots grouped by location, then by expiry, with a box to tick for each.

Its words go through gettext: the service builds it under ``force_locale(data.language)``.
"""

from __future__ import annotations

from datetime import date
from itertools import groupby

from flask_babel import gettext as _
from flask_babel import ngettext
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable

from health_responder.reports.data import PickLineData, PickListData
from health_responder.reports.flowables import (
    code_words,
    cold_mark,
    column_widths,
    data_table,
    date_text,
    long_date,
    quantity_text,
    text_block,
    text_cell,
)
from health_responder.reports.fonts import clean_text, get_fonts
from health_responder.reports.layout import (
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
    MIN_ROW_HEIGHT,
    STYLE_BODY,
    STYLE_SECTION,
)


def build_pick_list(data: PickListData) -> bytes:
    """Render the pick list of ``data``: its lots grouped by location, then by expiry, with checkboxes."""
    fonts = get_fonts()
    pagesize = pagesize_of(data.page_size)
    width = pagesize[0] - 2 * MARGIN
    title = _("Pick list")

    story: list[Flowable] = []
    story += heading_block(
        fonts,
        data.association_name,
        title,
        data.dispatch_reference,
        width,
        data.verification_url,
        data.verification_code,
        [
            (_("Dispatch"), data.dispatch_reference),
            (_("Request"), data.request_reference),
            (_("Provider"), data.provider_name),
            (_("City"), data.city_name),
            (_("Priority"), code_words(data.priority)),
            (_("Needed by"), long_date(data.needed_by)),
            # The warehouse's clock, named: the time, when known, else the day.
            (_("Prepared on"), data.prepared_at or long_date(data.prepared_on)),
            (_("Verification code"), data.verification_code),
        ],
    )
    lines = sorted(data.lines, key=_pick_order)
    locations = len({clean_text(line.location_name, single_line=True) for line in lines})
    total = sum(line.quantity for line in lines)
    story.append(
        text_block(
            fonts,
            ngettext("%(num)s lot to pick", "%(num)s lots to pick", len(lines))
            + " "
            + ngettext(
                "in %(num)s location, %(units)s units in total.",
                "in %(num)s locations, %(units)s units in total.",
                locations,
                units=quantity_text(total),
            )
            + " "
            + _("Take each location's lots in the order listed: earliest expiry first."),
            STYLE_BODY,
        )
    )

    box = "☐" if fonts.covers("☐") else "[ ]"
    cold = cold_mark(fonts)
    columns = [
        (_("Picked"), 14 * mm, "CENTER"),
        ("#", 8 * mm, "RIGHT"),
        (_("Bin"), 14 * mm, "LEFT"),
        (_("Item code"), 26 * mm, "LEFT"),
        (_("Item"), None, "LEFT"),
        (_("Lot"), 22 * mm, "LEFT"),
        (_("Expiry"), 19 * mm, "LEFT"),
        (_("Qty"), 13 * mm, "RIGHT"),
        (_("Unit"), 14 * mm, "LEFT"),
        (_("Cold"), 10 * mm, "CENTER"),
    ]
    widths = column_widths(columns, width)
    first = 1
    for location, group in groupby(lines, key=lambda line: clean_text(line.location_name, single_line=True)):
        group = list(group)
        rows = (
            [
                box,
                str(number),
                text_cell(fonts, line.bin, widths[2]),
                text_cell(fonts, line.item_code, widths[3]),
                text_cell(fonts, line.item_name, widths[4]),
                text_cell(fonts, line.lot_code, widths[5]),
                date_text(line.expires_on),
                quantity_text(line.quantity),
                text_cell(fonts, line.unit, widths[8]),
                cold if line.cold_chain else "",
            ]
            for number, line in enumerate(group, first)
        )
        first += len(group)
        # A location heading alone at the foot of a page is useless: keep room for a few rows.
        story.append(CondPageBreak(STYLE_SECTION.leading + 6 * MIN_ROW_HEIGHT))
        story.append(
            text_block(
                fonts,
                _("Location:")
                + " "
                + clean_text(location or "—", max_length=MAX_FIELD)
                + " · "
                + ngettext("%(num)s lot", "%(num)s lots", len(group)),
                STYLE_SECTION,
            )
        )
        story += data_table(columns, widths, rows, empty="")
    if not lines:
        story.append(text_block(fonts, _("Nothing to pick."), STYLE_BODY))

    if clean_text(data.notes).strip():
        story.append(section_heading(fonts, _("Notes")))
        story.append(text_block(fonts, clean_text(data.notes, max_length=MAX_NOTES), STYLE_BODY))
    story.append(signatures_block(fonts, width, [(_("Picked"), ""), (_("Checked"), "")]))
    return render(
        story,
        fonts=fonts,
        pagesize=pagesize,
        title=f"{title} {clean_text(data.dispatch_reference, max_length=80, single_line=True)}",
        author=data.association_name,
        doc_date=data.prepared_on,
        band=(data.association_name, title, data.dispatch_reference),
        footer_left=footer_text(data.dispatch_reference, data.verification_code),
    )


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
