"""The monthly statistics report of the Data Portal: aggregates only, with its verification QR code."""

from __future__ import annotations

from reportlab.platypus import Paragraph, Spacer, Table

from health_responder.reports.data import StatisticsReportData
from health_responder.reports.fonts import clean_text, get_fonts
from health_responder.reports.layout import footer_text, heading_block, pagesize_of, render, section_heading
from health_responder.reports.styles import DATA_TABLE_STYLE, MARGIN, STYLE_SMALL


def _cells(fonts, rows: list[list]) -> list[list[str]]:
    return [
        [clean_text("" if v is None else str(v), max_length=200, single_line=True) for v in row]
        for row in rows
    ]


def _table(fonts, header: list[str], rows: list[list], width: float) -> Table:
    body = _cells(fonts, rows) or [["—"] + [""] * (len(header) - 1)]
    first = width * 0.34
    rest = (width - first) / max(len(header) - 1, 1)
    return Table(
        [header, *body], colWidths=[first] + [rest] * (len(header) - 1), repeatRows=1, style=DATA_TABLE_STYLE
    )


def _hours(value) -> str:
    return "—" if value is None else f"{value:g}"


def build_statistics_report(data: StatisticsReportData) -> bytes:
    """Render the month's statistics report for ``data``: requests, fill rate, lead times, training, shortages."""
    fonts = get_fonts()
    pagesize = pagesize_of("A4")
    width = pagesize[0] - 2 * MARGIN
    title = f"Statistics report {clean_text(data.period, max_length=7)}"
    story = [
        *heading_block(
            fonts,
            data.association_name,
            title,
            f"{data.period_from.isoformat()} to {data.period_to.isoformat()}",
            width,
            data.verification_url,
            data.verification_code,
            [("Period", data.period), ("Verification code", data.verification_code)],
        ),
        section_heading(fonts, "Requests submitted in the month, by network and status"),
        _table(
            fonts,
            ["Network", "Status", "Requests"],
            [[r["network"], r["status"], r["requests"]] for r in data.requests_by_network_and_status],
            width,
        ),
        section_heading(fonts, "Fill rate of the month's accepted requests, by network"),
        _table(
            fonts,
            ["Network", "Requested", "Allocated", "Dispatched", "Received", "Fill rate"],
            [
                [
                    r["network"],
                    r["requested"],
                    r["allocated"],
                    r["dispatched"],
                    r["received"],
                    f"{r['fill_rate']:.0%}",
                ]
                for r in data.fill_rate_by_network
            ],
            width,
        ),
        section_heading(fonts, "Lead times (hours)"),
        _table(
            fonts,
            ["Step", "Count", "Mean", "Median"],
            [
                [step.replace("_", " "), d["count"], _hours(d["mean_hours"]), _hours(d["median_hours"])]
                for step, d in data.lead_times.items()
            ],
            width,
        ),
        section_heading(fonts, "Staff trained in the month, by topic"),
        _table(
            fonts,
            ["Topic", "Participants", "Cities"],
            [[r["topic"], r["trained"], r["cities"]] for r in data.trained_staff_by_topic],
            width,
        ),
        section_heading(fonts, "Shortage radar at the end of the month, by category"),
        _table(
            fonts,
            ["Category", "Open demand", "Available", "Short"],
            [[r["category"], r["open_demand"], r["available"], r["short"]] for r in data.shortage_radar],
            width,
        ),
        Spacer(1, 4),
        Paragraph(
            "Aggregates only: no request, city contact or stock lot is named in this report.", STYLE_SMALL
        ),
    ]
    return render(
        story,
        fonts=fonts,
        pagesize=pagesize,
        title=title,
        author=data.association_name,
        doc_date=data.period_to,
        band=(data.association_name, title, data.period),
        footer_left=footer_text(title, data.verification_code),
    )
