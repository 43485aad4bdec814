"""The dispatch summary of a period: totals by network, city, provider and category, lead times, open work.

Its words go through gettext: the service builds it under ``force_locale(data.language)``, the
language of whoever asks unless ``?lang=`` says another.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _
from flask_babel import ngettext
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, Paragraph, Spacer

from health_responder.reports.charts import network_chart
from health_responder.reports.data import DispatchSummaryData, LeadTime, ScorecardRow, TotalRow
from health_responder.reports.flowables import (
    code_words,
    column_widths,
    data_table,
    date_text,
    long_date,
    quantity_text,
    text_cell,
)
from health_responder.reports.fonts import FontSet, get_fonts
from health_responder.reports.layout import footer_text, heading_block, pagesize_of, render, section_heading
from health_responder.reports.styles import MARGIN, MIN_ROW_HEIGHT, STYLE_BODY, STYLE_SECTION


def build_dispatch_summary(data: DispatchSummaryData) -> bytes:
    """Render the dispatch summary of ``data``: totals, a chart by network, lead times, open work."""
    fonts = get_fonts()
    pagesize = pagesize_of(data.page_size)
    width = pagesize[0] - 2 * MARGIN
    title = _("Dispatch summary")
    # Whole days of the reader's zone, named, since the same dates cover other instants elsewhere.
    period = _("%(start)s to %(end)s", start=long_date(data.period_from), end=long_date(data.period_to))
    period += f" ({data.time_zone})"

    dispatches = sum(row.dispatches for row in data.totals_by_network)
    units = sum(row.quantity for row in data.totals_by_network)
    rejected = sum(d.rejected for d in data.discrepancies)
    story: list[Flowable] = []
    story += heading_block(
        fonts,
        data.association_name,
        title,
        period,
        width,
        data.verification_url,
        data.verification_code,
        [
            (_("Period"), period),
            (_("Verification code"), data.verification_code),
            (_("Dispatches shipped"), str(dispatches)),
            (_("Units shipped"), quantity_text(units)),
            (_("Open requests"), str(data.open_requests)),
            (_("Overdue requests"), str(len(data.overdue_requests))),
            (
                _("Discrepancies"),
                _(
                    "%(count)s (%(units)s units rejected)",
                    count=len(data.discrepancies),
                    units=quantity_text(rejected),
                ),
            ),
        ],
    )

    story.append(section_heading(fonts, _("Quantity dispatched by network")))
    if data.totals_by_network:
        story.append(network_chart(fonts, data.totals_by_network, width))
    else:
        story.append(Paragraph(fonts.markup(_("No dispatch shipped in this period.")), STYLE_BODY))

    for heading, column, rows, names in (
        (_("By network"), _("Network"), data.totals_by_network, False),
        (_("By city"), _("City"), data.by_city, False),
        (_("By provider"), _("Provider"), data.by_provider, False),
        (_("By item category"), _("Category"), data.by_category, True),
    ):
        story.append(CondPageBreak(STYLE_SECTION.leading + 5 * MIN_ROW_HEIGHT))
        story.append(section_heading(fonts, heading))
        story += _totals_table(fonts, column, rows, width, categories=names)

    story.append(CondPageBreak(STYLE_SECTION.leading + 4 * MIN_ROW_HEIGHT))
    story.append(section_heading(fonts, _("Lead times")))
    columns = [
        (_("Stage"), None, "LEFT"),
        (_("Dispatches measured"), 34 * mm, "RIGHT"),
        (_("Average (hours)"), 30 * mm, "RIGHT"),
        (_("Median (hours)"), 30 * mm, "RIGHT"),
    ]
    widths = column_widths(columns, width)
    story += data_table(
        columns,
        widths,
        [
            _lead_row(fonts, _("Approved → shipped"), data.approved_to_shipped, widths[0]),
            _lead_row(fonts, _("Shipped → received"), data.shipped_to_received, widths[0]),
        ],
    )

    story.append(CondPageBreak(STYLE_SECTION.leading + 4 * MIN_ROW_HEIGHT))
    story.append(section_heading(fonts, _("Open and overdue requests")))
    story.append(
        Paragraph(
            fonts.markup(
                ngettext(
                    "%(num)s request open at the end of the period, %(overdue)s of them overdue.",
                    "%(num)s requests open at the end of the period, %(overdue)s of them overdue.",
                    data.open_requests,
                    overdue=len(data.overdue_requests),
                )
            ),
            STYLE_BODY,
        )
    )
    story.append(Spacer(1, 3))
    columns = [
        (_("Request"), 34 * mm, "LEFT"),
        (_("City"), None, "LEFT"),
        (_("Priority"), 20 * mm, "LEFT"),
        (_("Needed by"), 20 * mm, "LEFT"),
        (_("Days overdue"), 22 * mm, "RIGHT"),
        (_("Status"), 32 * mm, "LEFT"),
    ]
    widths = column_widths(columns, width)
    story += data_table(
        columns,
        widths,
        [
            [
                text_cell(fonts, r.reference, widths[0]),
                text_cell(fonts, r.city_name, widths[1]),
                text_cell(fonts, code_words(r.priority), widths[2]),
                date_text(r.needed_by),
                str(r.days_overdue),
                text_cell(fonts, code_words(r.status), widths[5]),
            ]
            for r in data.overdue_requests
        ],
        empty=_("No overdue request."),
    )

    story.append(CondPageBreak(STYLE_SECTION.leading + 4 * MIN_ROW_HEIGHT))
    story.append(section_heading(fonts, _("Discrepancies on receipt")))
    columns = [
        (_("Dispatch"), 32 * mm, "LEFT"),
        (_("Item code"), 28 * mm, "LEFT"),
        (_("Item"), None, "LEFT"),
        (_("City"), 30 * mm, "LEFT"),
        (_("Rejected"), 18 * mm, "RIGHT"),
        (_("Reason"), 20 * mm, "LEFT"),
    ]
    widths = column_widths(columns, width)
    story += data_table(
        columns,
        widths,
        (
            [
                text_cell(fonts, d.dispatch_reference, widths[0]),
                text_cell(fonts, d.item_code, widths[1]),
                text_cell(fonts, d.item_name, widths[2]),
                text_cell(fonts, d.city_name, widths[3]),
                quantity_text(d.rejected),
                text_cell(fonts, code_words(d.reason), widths[5]),
            ]
            for d in data.discrepancies
        ),
        empty=_("No discrepancy."),
        total=[text_cell(fonts, _("Total"), widths[0]), "", "", "", quantity_text(rejected), ""],
    )

    story.append(CondPageBreak(STYLE_SECTION.leading + 4 * MIN_ROW_HEIGHT))
    story.append(section_heading(fonts, _("Provider scorecards")))
    story += _scorecard_table(fonts, data.scorecards, width)
    return render(
        story,
        fonts=fonts,
        pagesize=pagesize,
        title=f"{title} {period}",
        author=data.association_name,
        doc_date=data.period_to,
        band=(data.association_name, title, period),
        footer_left=footer_text(f"{title} {period}", data.verification_code),
    )


def _totals_table(
    fonts: FontSet, column: str, rows: Sequence[TotalRow], width: float, *, categories: bool
) -> list[Flowable]:
    """One totals table; category codes are printed as their translated labels."""
    columns = [
        (column, None, "LEFT"),
        (_("Dispatches"), 26 * mm, "RIGHT"),
        (_("Quantity"), 26 * mm, "RIGHT"),
        (_("Share"), 20 * mm, "RIGHT"),
    ]
    widths = column_widths(columns, width)
    total = sum(row.quantity for row in rows)
    body = [
        [
            text_cell(fonts, code_words(row.name) if categories else row.name, widths[0]),
            str(row.dispatches),
            quantity_text(row.quantity),
            f"{100 * row.quantity / total:.1f} %" if total else "—",
        ]
        for row in rows
    ]
    # Across categories a dispatch counts once per category, so their dispatch counts do not add up.
    footer = [
        text_cell(fonts, _("Total"), widths[0]),
        "" if categories else str(sum(row.dispatches for row in rows)),
        quantity_text(total),
        "100.0 %" if total else "—",
    ]
    return data_table(columns, widths, body, empty=_("Nothing dispatched."), total=footer)


def _scorecard_table(fonts: FontSet, rows: Sequence[ScorecardRow], width: float) -> list[Flowable]:
    """Fill rate, on-time rate, lead time p50/p90, discrepancy rate and expiry write-offs per provider."""
    columns = [
        (_("Provider"), None, "LEFT"),
        (_("Fill rate"), 18 * mm, "RIGHT"),
        (_("On time"), 18 * mm, "RIGHT"),
        (_("Lead p50 (h)"), 22 * mm, "RIGHT"),
        (_("Lead p90 (h)"), 22 * mm, "RIGHT"),
        (_("Discrepancy"), 22 * mm, "RIGHT"),
        (_("Expired units"), 22 * mm, "RIGHT"),
    ]
    widths = column_widths(columns, width)

    def rate(value: float | None) -> str:
        return "—" if value is None else f"{100 * value:.1f} %"

    def hours(value: float | None) -> str:
        return "—" if value is None else f"{value:.1f}"

    body = [
        [
            text_cell(fonts, row.provider_name, widths[0]),
            rate(row.fill_rate),
            rate(row.on_time_rate),
            hours(row.lead_time_p50_hours),
            hours(row.lead_time_p90_hours),
            rate(row.discrepancy_rate),
            quantity_text(row.expiry_write_offs),
        ]
        for row in rows
    ]
    return data_table(columns, widths, body, empty=_("No provider shipped in this period."))


def _lead_row(fonts: FontSet, stage: str, lead: LeadTime, width: float) -> list:
    def hours(value: float | None) -> str:
        return "—" if value is None or not lead.count else f"{value:.1f}"

    return [
        text_cell(fonts, stage, width),
        str(lead.count),
        hours(lead.average_hours),
        hours(lead.median_hours),
    ]
