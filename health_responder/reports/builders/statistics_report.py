"""The monthly statistics report of the Data Portal: aggregates only, with its verification QR code.

Its words go through gettext: it is built under ``force_locale(data.language)`` (English as the
monthly check publishes it; another language when ``?lang=`` asks for one).
"""

from __future__ import annotations

from flask_babel import gettext as _
from reportlab.platypus import Paragraph, Spacer, Table

from health_responder.names import local
from health_responder.reports.data import StatisticsReportData
from health_responder.reports.flowables import code_words, long_date, text_cell
from health_responder.reports.fonts import clean_text, get_fonts
from health_responder.reports.layout import footer_text, heading_block, pagesize_of, render, section_heading
from health_responder.reports.styles import DATA_TABLE_STYLE, MARGIN, STYLE_SMALL


def _widths(columns: int, width: float) -> list[float]:
    first = width * 0.34
    return [first] + [(width - first) / max(columns - 1, 1)] * (columns - 1)


def _cells(fonts, rows: list[list], widths: list[float]) -> list[list]:
    return [
        [
            text_cell(fonts, clean_text("" if v is None else str(v), max_length=200, single_line=True), w)
            for v, w in zip(row, widths, strict=True)
        ]
        for row in rows
    ]


def _table(fonts, header: list[str], rows: list[list], width: float) -> Table:
    widths = _widths(len(header), width)
    body = _cells(fonts, rows, widths) or [["—"] + [""] * (len(header) - 1)]
    head = [text_cell(fonts, name, w, bold=True) for name, w in zip(header, widths, strict=True)]
    return Table([head, *body], colWidths=widths, repeatRows=1, style=DATA_TABLE_STYLE)


def _hours(value) -> str:
    return "—" if value is None else f"{value:g}"


def _step(code: str) -> str:
    """The translated words of a lead-time step (``submitted_to_approved`` …), else the code as words."""
    steps = {
        "submitted_to_approved": _("Submitted → approved"),
        "approved_to_shipped": _("Approved → shipped"),
        "shipped_to_received": _("Shipped → received"),
    }
    return steps.get(code, code.replace("_", " "))


def build_statistics_report(data: StatisticsReportData) -> bytes:
    """Render the month's statistics report for ``data``: requests, fill rate, lead times, training, shortages."""
    fonts = get_fonts()
    pagesize = pagesize_of("A4")
    width = pagesize[0] - 2 * MARGIN
    title = _("Statistics report %(period)s", period=clean_text(data.period, max_length=7))
    story = [
        *heading_block(
            fonts,
            data.association_name,
            title,
            _("%(start)s to %(end)s", start=long_date(data.period_from), end=long_date(data.period_to)),
            width,
            data.verification_url,
            data.verification_code,
            [(_("Period"), data.period), (_("Verification code"), data.verification_code)],
        ),
        section_heading(fonts, _("Requests submitted in the month, by network and status")),
        _table(
            fonts,
            [_("Network"), _("Status"), _("Requests")],
            [
                [r["network"], code_words(r["status"]), r["requests"]]
                for r in data.requests_by_network_and_status
            ],
            width,
        ),
        section_heading(fonts, _("Fill rate of the month's accepted requests, by network")),
        _table(
            fonts,
            [_("Network"), _("Requested"), _("Allocated"), _("Dispatched"), _("Received"), _("Fill rate")],
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
        section_heading(fonts, _("Lead times (hours)")),
        _table(
            fonts,
            [_("Step"), _("Count"), _("Mean"), _("Median")],
            [
                [_step(step), d["count"], _hours(d["mean_hours"]), _hours(d["median_hours"])]
                for step, d in data.lead_times.items()
            ],
            width,
        ),
        section_heading(fonts, _("Staff trained in the month, by topic")),
        _table(
            fonts,
            [_("Topic"), _("Participants"), _("Cities")],
            [
                [local(r.get("topic_name") or r["topic"], r.get("topic_name_ko")), r["trained"], r["cities"]]
                for r in data.trained_staff_by_topic
            ],
            width,
        ),
        section_heading(fonts, _("Shortage radar at the end of the month, by category")),
        _table(
            fonts,
            [_("Category"), _("Open demand"), _("Available"), _("Short")],
            [
                [code_words(r["category"]), r["open_demand"], r["available"], r["short"]]
                for r in data.shortage_radar
            ],
            width,
        ),
        Spacer(1, 4),
        Paragraph(
            fonts.markup(
                _("Aggregates only: no request, city contact or stock lot is named in this report.")
            ),
            STYLE_SMALL,
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
