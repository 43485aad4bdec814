"""CSV in and out for stock lots: read an import file into rows, write lots as spreadsheet-safe CSV.

Reading checks only the file as a whole (encoding, header, size); each row's meaning is checked by
``imports.import_lots``, which reports every bad row by its line number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from health_responder import csvsafe
from health_responder.errors import Message, ValidationFailed
from health_responder.stock.imports import EXTRA_CELLS, IMPORT_COLUMNS, IMPORT_OPTIONAL

#: Most data rows one import file may hold.
MAX_ROWS = 10_000
#: Columns of an export, in order.
EXPORT_COLUMNS = (
    "id",
    "provider",
    "item_code",
    "item_name",
    "location",
    "location_id",
    "lot_code",
    "expires_on",
    "status",
    "on_hand",
    "reserved",
    "available",
)


def _file_error(message: Message) -> ValidationFailed:
    return ValidationFailed(message, {"file": [message]})


def _sentences(parts: list[Message]) -> LazyString:
    """Several messages as one, each put into words when the whole is."""
    return LazyString(lambda: " ".join(str(part) for part in parts))


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise _file_error(_l("The file is not a CSV text file (it holds binary data)."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _file_error(
            _l(
                "The file is not UTF-8 text (bad byte at position %(position)s): save it as 'CSV UTF-8'.",
                position=error.start,
            )
        ) from error


def _dialect(first_line: str) -> str:
    """Comma, or the semicolon or tab that some spreadsheets write instead."""
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def read_lots(data: bytes, *, max_rows: int = MAX_ROWS) -> list[tuple[int, dict[str, str]]]:
    """The data rows of an import file as (line number, {column: text}); ValidationFailed names ``file``."""
    text = _decode(data)
    if not text.strip():
        raise _file_error(_l("The file is empty: it needs a header line and at least one row."))
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=_dialect(text.lstrip().splitlines()[0]), strict=True
    )
    rows: list[tuple[int, dict[str, str]]] = []
    header: list[str] | None = None
    line = 0
    try:
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = _check_header(cells)
                continue
            if len(rows) >= max_rows:
                raise _file_error(
                    _l(
                        "The file has more than %(n)s rows: split it into smaller files.",
                        n=format(max_rows, ","),
                    )
                )
            row = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header)}
            if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header) :]):
                row[EXTRA_CELLS] = str(len(cells) - len(header))
            rows.append((start, row))
    except csv.Error as error:
        raise _file_error(
            _l("The file is not valid CSV near line %(line)s: %(error)s.", line=line + 1, error=str(error))
        ) from error
    if not rows:
        raise _file_error(_l("The file has a header but no rows."))
    return rows


def _check_header(cells: list[str]) -> list[str]:
    names = [cell.strip().lower() for cell in cells]
    missing = [name for name in IMPORT_COLUMNS if name not in names]
    unknown = [name for name in names if name not in IMPORT_COLUMNS + IMPORT_OPTIONAL]
    repeated = sorted({name for name in names if names.count(name) > 1})
    problems: list[Message] = []
    if missing:
        problems.append(_l("Missing column(s): %(columns)s.", columns=", ".join(missing)))
    if unknown:
        problems.append(_l("Unknown column(s): %(columns)s.", columns=", ".join(repr(n) for n in unknown)))
    if repeated:
        problems.append(_l("Repeated column(s): %(columns)s.", columns=", ".join(repeated)))
    if problems:
        raise _file_error(
            _l(
                "%(problems)s The header line must name: %(columns)s (optional: %(optional)s).",
                problems=_sentences(problems),
                columns=", ".join(IMPORT_COLUMNS),
                optional=", ".join(IMPORT_OPTIONAL),
            )
        )
    return names


def write_lots(rows: Iterable[dict]) -> Iterator[str]:
    """CSV text of lots, a header first, then one line per dict with the EXPORT_COLUMNS keys (streamable)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        chunk = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return chunk

    writer.writerow(EXPORT_COLUMNS)
    yield flush()
    for count, row in enumerate(rows, start=1):
        writer.writerow([csvsafe.cell(row[name]) for name in EXPORT_COLUMNS])
        if count % 200 == 0:
            yield flush()
    rest = flush()
    if rest:
        yield rest
