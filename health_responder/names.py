"""The name a person reads of a catalogue item or a training topic: its Korean name on Korean pages.

Items and topics carry an optional ``name_ko``; a Korean page (or a document built under
``force_locale("ko")``) shows it, and falls back to ``name`` when there is none. Templates use the
``local_name`` filter; pages and queries that build choices or rows call ``local`` or ``local_name``;
a document's data, gathered before its language's locale is forced, calls ``named_in``.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import get_locale


def _korean() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "ko"


def named_in(language: str, name: str | None, name_ko: str | None) -> str:
    """``name_ko`` for a document written in Korean when it is given, else ``name``."""
    if name_ko and language == "ko":
        return name_ko
    return name or ""


def local(name: str | None, name_ko: str | None) -> str:
    """``name_ko`` when the page is Korean and it is given, else ``name``."""
    return named_in("ko" if _korean() else "en", name, name_ko)


def local_name(thing, key: str = "name") -> str:
    """The name of ``thing`` (an object or a mapping) to show: ``<key>_ko`` on Korean pages, else ``<key>``."""
    if thing is None:
        return ""
    if isinstance(thing, Mapping):
        return local(thing.get(key), thing.get(f"{key}_ko"))
    return local(getattr(thing, key, None), getattr(thing, f"{key}_ko", None))
