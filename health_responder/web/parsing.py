"""The small parsing steps every page repeats: ids from select boxes and hidden fields, text boxes,
the page number and the filter arguments a pager link keeps (``optional_int``, the forms' coerce for
select boxes, is in ``health_responder.forms``: the features' forms modules use it too).
"""

from __future__ import annotations

import unicodedata

from flask import request


def int_or_none(value) -> int | None:
    """A hidden field's id; anything that is not a whole number is none."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def int_or_zero(value) -> int:
    """A hidden field's id where 0 stands for "not given" (no row has id 0)."""
    return int_or_none(value) or 0


def text(field) -> str | None:
    """A text box's content without surrounding blanks; an empty box is ``None`` (a missing value)."""
    return (field.data or "").strip() or None


def search_words(field, limit: int = 100) -> str | None:
    """A search box's words: trimmed, control characters dropped (PostgreSQL refuses a NUL), at most ``limit``."""
    words = "".join(ch for ch in (field.data or "") if unicodedata.category(ch) != "Cc").strip()
    return words[:limit] or None


def page_number() -> int:
    """The ``page`` of the query string, from 1 (anything else is the first page)."""
    return max(1, request.args.get("page", 1, type=int) or 1)


def link_args() -> dict[str, str]:
    """The query string without ``page``: what the pager's links keep."""
    return {key: value for key, value in request.args.items() if key != "page"}
