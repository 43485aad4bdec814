"""CSV cells that a spreadsheet shows as text: every export writes through ``cell``.

``table`` and ``download`` write a whole export the way every CSV of the application is written:
UTF-8 with a byte order mark (so spreadsheets read every script), each cell through ``cell``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response

#: A text cell starting with one of these is a formula to a spreadsheet.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: The byte order mark that tells spreadsheets the file is UTF-8.
BOM = "\ufeff"


def cell(value) -> str:
    """``value`` as CSV text; text that a spreadsheet would run as a formula is defused with a quote."""
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    if isinstance(value, str) and text.startswith(FORMULA_START):
        return "'" + text
    return text


def table(columns: Sequence[str], rows: Iterable[Sequence]) -> str:
    """CSV text with a BOM: a header of ``columns``, then each row (a sequence in column order) made safe."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return out.getvalue()


def download(filename: str, columns: Sequence[str], rows: Iterable[Sequence]) -> Response:
    """A CSV attachment named ``filename`` (a list page's export: what the page shows, all pages of it)."""
    return Response(
        table(columns, rows),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )
