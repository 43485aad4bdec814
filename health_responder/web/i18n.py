"""Which language and timezone a page is shown in, and the messages of validation in that language.

The services' and schemas' own messages are lazy strings (see errors.py). marshmallow's built-in
messages ("Missing data for required field.", "Not a valid integer." …) are plain English text made
inside marshmallow; ``translate`` recognises them by their wording when a page shows them, so the
API (which shows them as they are) and marshmallow itself are left untouched.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app, has_request_context, request, session
from flask_babel import gettext
from flask_babel.speaklater import LazyString
from flask_login import current_user

from health_responder.errors import SOURCE_LANGUAGE


def select_locale() -> str:
    """The language chosen with the switcher, else the user's, else the browser's best match.

    The JSON API speaks English only, and so does work done outside a request (jobs, commands).
    """
    if not has_request_context() or request.path.startswith("/api/"):
        return SOURCE_LANGUAGE
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    if getattr(current_user, "is_authenticated", False):
        if current_user.locale in languages:
            return current_user.locale
        city = city_language(current_user)  # a language not chosen: the city's
        if city in languages:
            return city
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def city_language(user) -> str | None:
    """The language of ``user``'s city (its documents' and, unless they chose one, its users'), or None."""
    from health_responder.extensions import db
    from health_responder.reference.models import City

    if not getattr(user, "city_id", None):
        return None
    return db.session.scalar(sa.select(City.language).where(City.id == user.city_id))


#: The IANA zones a person may choose: UTC, then every Area/City zone (no "posix/", "right/" or "Etc/" copies).
ZONES = [
    "UTC",
    *sorted(
        z
        for z in zoneinfo.available_timezones()
        if "/" in z and not z.startswith(("posix/", "right/", "Etc/"))
    ),
]

#: How a role's default time zone is found, registered by the feature that knows it (providers: the
#: provider's first location's), so that web imports no feature: ``role → zone_of(user=user) or None``.
ZONE_OF: dict[str, Callable[..., str | None]] = {}


def default_timezone(user) -> str:
    """The zone a user reads times in unless they chose one: their city's, their provider's first
    active location's (``ZONE_OF``), else the application's (UTC).
    """
    from health_responder.extensions import db
    from health_responder.reference.models import City

    zone = None
    if user.city_id:
        zone = db.session.scalar(sa.select(City.timezone).where(City.id == user.city_id))
    elif user.role in ZONE_OF:
        zone = ZONE_OF[user.role](user=user)
    return zone or current_app.config["BABEL_DEFAULT_TIMEZONE"]


def zone_of_user(user) -> str:
    """The zone ``user`` reads times in: their own choice, else ``default_timezone``."""
    return user.timezone or default_timezone(user)


def select_timezone() -> str:
    """The user's own time zone, else the default of their city or provider (``default_timezone``)."""
    if getattr(current_user, "is_authenticated", False):
        return zone_of_user(current_user)
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def N_(message: str) -> str:  # noqa: N802 - the name babel's extractor knows
    """Mark ``message`` for extraction (babel knows ``N_``); it is translated where it is shown."""
    return message


#: marshmallow's built-in messages the input schemas can give, in marshmallow's own words; each
#: ``%(name)s`` stands for the value marshmallow puts there. The more specific of two that could match
#: the same text comes first. tests/pages/test_translated_messages.py checks marshmallow still words them so.
MARSHMALLOW_MESSAGES = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Unknown field."),
    N_("Invalid input type."),
    N_("Invalid value."),
    N_("Invalid type."),
    N_("Not a valid string."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Number too large."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Not a valid boolean."),
    N_("Not a valid date."),
    N_("Not a valid datetime."),
    N_("Not a valid aware datetime."),
    N_("Not a valid email address."),
    N_("Not a valid URL."),
    N_("Not a valid list."),
    N_("Not a valid mapping type."),
    N_("String does not match expected pattern."),
    N_("Must be one of: %(choices)s."),
    N_("Shorter than minimum length %(min)s."),
    N_("Longer than maximum length %(max)s."),
    N_("Length must be between %(min)s and %(max)s."),
    N_("Length must be %(equal)s."),
    N_("Must be greater than or equal to %(min)s and less than or equal to %(max)s."),
    N_("Must be greater than or equal to %(min)s."),
    N_("Must be less than or equal to %(max)s."),
    N_("Must be greater than %(min)s and less than %(max)s."),
    N_("Must be greater than %(min)s."),
    N_("Must be less than %(max)s."),
)

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _pattern(msgid: str) -> re.Pattern:
    """The regular expression of the English text ``msgid`` stands for (a placeholder matches any text)."""
    parts = _PLACEHOLDER.split(msgid)  # text, name, text, name, …, text
    return re.compile(
        "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
        + r"\Z",
        re.S,
    )


#: an empty field, however marshmallow words it, is said plainly on a page
_EMPTY = frozenset({"Missing data for required field.", "Field may not be null."})
_EXACT = frozenset(msgid for msgid in MARSHMALLOW_MESSAGES if "%(" not in msgid)
_PATTERNS = [(_pattern(msgid), msgid) for msgid in MARSHMALLOW_MESSAGES if "%(" in msgid]


def translate(message) -> str:
    """A message in the current language: a lazy string put into words, a marshmallow message translated.

    Any other text (a name, a message already in words) is returned as it is.
    """
    if isinstance(message, LazyString):
        return str(message)
    text = str(message)
    if text in _EMPTY:  # marshmallow's words for an empty field read like a programmer's
        return gettext("Please fill in this field.")
    if text in _EXACT:
        return gettext(text)
    for pattern, msgid in _PATTERNS:
        found = pattern.match(text)
        if found:
            return gettext(msgid, **found.groupdict())
    return text
