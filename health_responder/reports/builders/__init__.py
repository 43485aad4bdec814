"""PDF builders, one module per document: each a pure function of its data (`health_responder.reports.data`).

Same data, same bytes: nothing reads the clock (the PDF's creation date is the document's own date,
the ship date for a dispatch report), reportlab runs in invariant mode and the document ID does not
depend on the environment. User text is data, never markup: it is escaped before it reaches a
`Paragraph` (or drawn as a plain string), so tags in it print literally, and no link, image or font
ever comes from it.

What they share lives beside them: ``styles`` (the constants), ``layout`` (canvas, band, page numbers,
heading and signature blocks), ``flowables`` (QR code, paged table, cells) and ``charts``.
"""

from health_responder.reports.builders.certificate import build_certificate
from health_responder.reports.builders.dispatch_report import build_dispatch_report
from health_responder.reports.builders.dispatch_summary import build_dispatch_summary
from health_responder.reports.builders.pick_list import build_pick_list
from health_responder.reports.builders.statistics_report import build_statistics_report

__all__ = [
    "build_certificate",
    "build_dispatch_report",
    "build_dispatch_summary",
    "build_pick_list",
    "build_statistics_report",
]
