"""The dispatch summary of a period: totals by network, city, provider and category, lead times, open work."""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, Paragraph, Spacer

from health_responder.reports.charts import network_chart
from health_responder.reports.data import DispatchSummaryData, LeadTime, ScorecardRow, TotalRow
from health_responder.reports.flowables import column_widths, data_table, date_text, quantity_text, text_cell
from health_responder.reports.fonts import FontSet, get_fonts
from health_responder.reports.layout import footer_text, heading_block, pagesize_of, render, section_heading
from health_responder.reports.styles import MARGIN, MIN_ROW_HEIGHT, STYLE_BODY, STYLE_SECTION


def build_dispatch_summary(data: DispatchSummaryData) -> bytes:
    """Render the dispatch summary of ``data``: totals, a chart by network, lead times, open work."""
    fonts = get_fonts()
    pagesize = pagesize_of(data.page_size)
    width = pagesize[0] - 2 * MARGIN
    title = "Dispatch summary"
    # Whole days of the reader's zone, named, since the same dates cover other instants elsewhere.
    period = f"{date_text(data.period_from)} to {date_text(data.period_to)} ({data.time_zone})"

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
            ("Period", period),
            ("Verification code", data.verification_code),
            ("Dispatches shipped", str(dispatches)),
            ("Units shipped", quantity_text(units)),
            ("Open requests", str(data.open_requests)),
            ("Overdue requests", str(len(data.overdue_requests))),
            ("Discrepancies", f"{len(data.discrepancies)} ({quantity_text(rejected)} units rejected)"),
        ],
    )

    story.append(section_heading(fonts, "Quantity dispatched by network"))
    if data.totals_by_network:
        story.append(network_chart(fonts, data.totals_by_network, width))
    else:
        story.append(Paragraph("No dispatch shipped in this period.", STYLE_BODY))

    for heading, rows in (
        ("By network", data.totals_by_network),
        ("By city", data.by_city),
        ("By provider", data.by_provider),
        ("By item category", data.by_category),
    ):
        story.append(CondPageBreak(STYLE_SECTION.leading + 5 * MIN_ROW_HEIGHT))
        story.append(section_heading(fonts, heading))
        story += _totals_table(
            fonts, heading.split()[-1].capitalize(), rows, width, count_total=heading != "By item category"
        )

    story.append(CondPageBreak(STYLE_SECTION.leading + 4 * MIN_ROW_HEIGHT))
    story.append(section_heading(fonts, "Lead times"))
    columns = [
        ("Stage", None, "LEFT"),
        ("Dispatches measured", 34 * mm, "RIGHT"),
        ("Average (hours)", 30 * mm, "RIGHT"),
        ("Median (hours)", 30 * mm, "RIGHT"),
    ]
    widths = column_widths(columns, width)
    story += data_table(
        columns,
        widths,
        [
            _lead_row("Approved → shipped", data.approved_to_shipped),
            _lead_row("Shipped → received", data.shipped_to_received),
        ],
    )

    story.append(CondPageBreak(STYLE_SECTION.leading + 4 * MIN_ROW_HEIGHT))
    story.append(section_heading(fonts, "Open and overdue requests"))
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
    widths = column_widths(columns, width)
    story += data_table(
        columns,
        widths,
        [
            [
                text_cell(fonts, r.reference, widths[0]),
                text_cell(fonts, r.city_name, widths[1]),
                text_cell(fonts, r.priority, widths[2]),
                date_text(r.needed_by),
                str(r.days_overdue),
                text_cell(fonts, r.status, widths[5]),
            ]
            for r in data.overdue_requests
        ],
        empty="No overdue request.",
    )

    story.append(CondPageBreak(STYLE_SECTION.leading + 4 * MIN_ROW_HEIGHT))
    story.append(section_heading(fonts, "Discrepancies on receipt"))
    columns = [
        ("Dispatch", 32 * mm, "LEFT"),
        ("Item code", 28 * mm, "LEFT"),
        ("Item", None, "LEFT"),
        ("City", 30 * mm, "LEFT"),
        ("Rejected", 18 * mm, "RIGHT"),
        ("Reason", 20 * mm, "LEFT"),
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
                text_cell(fonts, d.reason, widths[5]),
            ]
            for d in data.discrepancies
        ),
        empty="No discrepancy.",
        total=["Total", "", "", "", quantity_text(rejected), ""],
    )

    story.append(CondPageBreak(STYLE_SECTION.leading + 4 * MIN_ROW_HEIGHT))
    story.append(section_heading(fonts, "Provider scorecards"))
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
    fonts: FontSet, label: str, rows: Sequence[TotalRow], width: float, *, count_total: bool
) -> list[Flowable]:
    columns = [
        (label, None, "LEFT"),
        ("Dispatches", 26 * mm, "RIGHT"),
        ("Quantity", 26 * mm, "RIGHT"),
        ("Share", 20 * mm, "RIGHT"),
    ]
    widths = column_widths(columns, width)
    total = sum(row.quantity for row in rows)
    body = [
        [
            text_cell(fonts, row.name, widths[0]),
            str(row.dispatches),
            quantity_text(row.quantity),
            f"{100 * row.quantity / total:.1f} %" if total else "—",
        ]
        for row in rows
    ]
    # Across categories a dispatch counts once per category, so their dispatch counts do not add up.
    footer = [
        "Total",
        str(sum(row.dispatches for row in rows)) if count_total else "",
        quantity_text(total),
        "100.0 %" if total else "—",
    ]
    return data_table(columns, widths, body, empty="Nothing dispatched.", total=footer)


def _scorecard_table(fonts: FontSet, rows: Sequence[ScorecardRow], width: float) -> list[Flowable]:
    """Fill rate, on-time rate, lead time p50/p90, discrepancy rate and expiry write-offs per provider."""
    columns = [
        ("Provider", None, "LEFT"),
        ("Fill rate", 18 * mm, "RIGHT"),
        ("On time", 18 * mm, "RIGHT"),
        ("Lead p50 (h)", 22 * mm, "RIGHT"),
        ("Lead p90 (h)", 22 * mm, "RIGHT"),
        ("Discrepancy", 22 * mm, "RIGHT"),
        ("Expired units", 22 * mm, "RIGHT"),
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
    return data_table(columns, widths, body, empty="No provider shipped in this period.")


def _lead_row(stage: str, lead: LeadTime) -> list[str]:
    def hours(value: float | None) -> str:
        return "—" if value is None or not lead.count else f"{value:.1f}"

    return [stage, str(lead.count), hours(lead.average_hours), hours(lead.median_hours)]
