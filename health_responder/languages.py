"""The language a reader reads in: the documents' (PDFs) and the messages' (notifications).

A city has a language (``City.language``); a user may choose one (``User.locale``). A city's documents
(a dispatch report to it, a certificate of its participant) are written in the city's language, other
documents in the language of whoever asks, and ``?lang=`` on any PDF route chooses another. A message
is written in its recipient's language: their own, else their city's, else English.

The words come from the gettext catalogues: the builder or the message is rendered under
``force_locale(language)``. Each language's copy of a document is registered under its own key
(``keyed``), so an English and a Korean copy never supersede each other.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from health_responder.errors import ValidationFailed
from health_responder.extensions import db
from health_responder.reference.models import City

#: The language nothing else names.
FALLBACK = "en"


def offered() -> list[str]:
    """The languages the application has catalogues for (the setting ``LANGUAGES``)."""
    return list(current_app.config["LANGUAGES"])


def chosen(*, asked: str | None, default: str | None) -> str:
    """The language of a document: ``asked`` (``?lang=``) when given, else ``default``, else English.

    An ``asked`` language the application has no catalogue for is refused (422 naming ``lang``).
    """
    known = offered()
    asked = asked.strip() if isinstance(asked, str) else asked
    if asked:
        if asked not in known:
            raise ValidationFailed(
                _l(
                    "Unknown language %(lang)s in ?lang=: the documents are written in %(choices)s.",
                    lang=repr(asked[:20]),
                    choices=", ".join(known),
                ),
                {"lang": [_l("One of: %(choices)s.", choices=", ".join(known))]},
            )
        return asked
    return default if default in known else FALLBACK


def of_city(city_id: int | None) -> str:
    """The language a city's documents are written in (English when it names none we have)."""
    if city_id is None:
        return FALLBACK
    language = db.session.scalar(sa.select(City.language).where(City.id == city_id))
    return language if language in offered() else FALLBACK


def of_user(user) -> str:
    """The language a user reads in: their own, else their city's, else English."""
    if user is None:
        return FALLBACK
    own = getattr(user, "locale", None)
    if own in offered():
        return own
    return of_city(getattr(user, "city_id", None))


def of_users(user_ids: list[int]) -> dict[int, str]:
    """The language of each user (``of_user``) in one query: for the messages of many recipients."""
    from health_responder.auth.models import User

    if not user_ids:
        return {}
    known = offered()
    rows = db.session.execute(
        sa.select(User.id, User.locale, City.language)
        .select_from(User)
        .outerjoin(City, City.id == User.city_id)
        .where(User.id.in_(user_ids))
    ).all()
    found = {uid: own if own in known else (city if city in known else FALLBACK) for uid, own, city in rows}
    return {uid: found.get(uid, FALLBACK) for uid in user_ids}


def keyed(key: str, language: str) -> str:
    """The registry key of a document's copy in ``language``: the key itself for English, ``key:ko`` else.

    English copies keep the key they always had, so documents registered before languages still match.
    """
    return key if language == FALLBACK else f"{key}:{language}"


def in_language(build: Callable[[object], bytes], language: str) -> Callable[[object], bytes]:
    """``build`` run under ``language``, so every gettext, label and date in the builder speaks it."""

    def run(data) -> bytes:
        with force_locale(language):
            return build(data)

    return run


def render(text, language: str) -> str:
    """``text`` (a lazy gettext string, or plain text) as written in ``language``."""
    with force_locale(language):
        return str(text)
