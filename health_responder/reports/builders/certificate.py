"""The completion certificate: one landscape page, bordered, with its verification QR code.

Its words go through gettext: the service builds it under ``force_locale(data.language)``, the
language of the participant's city unless ``?lang=`` asks for another.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepInFrame, Paragraph, Spacer, Table, TableStyle

from health_responder.reports.data import CertificateData
from health_responder.reports.flowables import long_date, qr_code, text_block, url_lines
from health_responder.reports.fonts import clean_text, get_fonts
from health_responder.reports.layout import certificate_border, pagesize_of, render
from health_responder.reports.styles import (
    CERT_QR_SIZE,
    MARGIN,
    MAX_FIELD,
    STYLE_CERT_ASSOCIATION,
    STYLE_CERT_CODE,
    STYLE_CERT_NAME,
    STYLE_CERT_PROGRAM,
    STYLE_CERT_SIGN,
    STYLE_CERT_SMALL,
    STYLE_CERT_TEXT,
    STYLE_CERT_TITLE,
    STYLE_CERT_VERIFY,
)


def build_certificate(data: CertificateData) -> bytes:
    """Render a one-page, landscape completion certificate for ``data`` with its verification QR code."""
    fonts = get_fonts()
    pagesize = pagesize_of(data.page_size, rotate=True)
    width = pagesize[0] - 2 * (MARGIN + 10 * mm)
    height = pagesize[1] - 2 * (MARGIN + 8 * mm)

    def para(text: str, style: ParagraphStyle, limit: int = MAX_FIELD) -> Flowable:
        return text_block(fonts, clean_text(text, max_length=limit), style)

    details = [_("Topic: %(topic)s", topic=clean_text(data.topic, max_length=200))]
    if data.duration_hours:
        hours, shown = data.duration_hours, f"{data.duration_hours:g}"
        details.append(ngettext("%(hours)s hour", "%(hours)s hours", 1 if hours == 1 else 2, hours=shown))
    details.append(_("Provided by %(provider)s", provider=clean_text(data.provider_name, max_length=200)))
    body: list[Flowable] = [
        para(data.association_name, STYLE_CERT_ASSOCIATION, 200),
        para(_("Certificate of completion"), STYLE_CERT_TITLE),
        para(_("This certifies that"), STYLE_CERT_TEXT),
        para(data.participant_name, STYLE_CERT_NAME, 200),
        para(_("of %(city)s", city=clean_text(data.city_name, max_length=200)), STYLE_CERT_TEXT)
        if clean_text(data.city_name).strip()
        else Spacer(1, 1),
        para(_("has completed the training program"), STYLE_CERT_TEXT),
        para(data.program_title, STYLE_CERT_PROGRAM, 300),
        para(" · ".join(details), STYLE_CERT_TEXT, 700),
        para(
            _("Completed on %(date)s", date=long_date(data.completed_on)) + _zone_note(data.time_zone),
            STYLE_CERT_TEXT,
            200,
        ),
    ]
    sign = [
        Spacer(1, 12 * mm),
        para("_" * 36, STYLE_CERT_SIGN),
        para(data.signatory_name or " ", STYLE_CERT_SIGN, 120),
        para(data.signatory_title or " ", STYLE_CERT_SMALL, 120),
    ]
    verify = qr_code(data.verification_url, CERT_QR_SIZE)
    code = clean_text(data.verification_code, max_length=64, single_line=True)
    verify_width = 85 * mm
    verify_text = [
        para(_("Verification code"), STYLE_CERT_VERIFY),
        # The code on its own line, large: it is what a reader types, and it never wraps.
        Paragraph(fonts.markup(code, bold=True), STYLE_CERT_CODE),
        Paragraph(
            "<br/>".join(
                fonts.markup(line)
                for line in url_lines(
                    fonts,
                    clean_text(data.verification_url, max_length=300, single_line=True),
                    STYLE_CERT_VERIFY.fontSize,
                    verify_width,
                )
            ),
            STYLE_CERT_VERIFY,
        ),
    ]
    qr_width = CERT_QR_SIZE + 2 * mm
    footer = Table(
        [[sign, "", verify_text, verify or ""]],
        colWidths=[width * 0.4, width * 0.6 - verify_width - qr_width, verify_width, qr_width],
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
    )
    # Long names shrink the body instead of spilling onto a second page; the footer (signature and the
    # verification code and URL) keeps its size, so the code stays legible whatever the names.
    gap = 8 * mm
    _footer_width, footer_height = footer.wrap(width, height)
    story = [KeepInFrame(width, height - footer_height - gap, body, mode="shrink"), Spacer(1, gap), footer]
    return render(
        story,
        fonts=fonts,
        pagesize=pagesize,
        title=_("Certificate of completion") + f" {clean_text(data.verification_code, max_length=64)}",
        author=data.association_name,
        doc_date=data.completed_on,
        band=None,
        footer_left=None,
        margins=(MARGIN + 10 * mm, MARGIN + 8 * mm),
        decorate=certificate_border,
    )


def _zone_note(zone: str) -> str:
    """The city's zone after the completion day (its calendar decides the day), none for UTC."""
    return "" if zone in ("", "UTC") else f" ({zone})"
