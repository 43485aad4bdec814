"""Pieces every feature's ``forms.py`` shares.

They live here, not in ``web/``, because a feature's modules other than ``pages.py`` do not import the
web frame (shared modules point one way); ``web.parsing`` holds the helpers that read the request.
"""

from __future__ import annotations


def optional_int(value) -> int | None:
    """A select box's id (``coerce=``): empty, ``"None"`` or missing is no choice."""
    return int(value) if value not in (None, "", "None") else None
