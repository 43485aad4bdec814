"""The words of training's messages to cities, as lazy gettext strings: each recipient reads them in their
own language (``notifications.notify`` renders them per recipient).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from health_responder.errors import code_label
from health_responder.extensions import db
from health_responder.reference.models import City
from health_responder.zones import format_instant


def starts(program, city_id: int) -> str:
    """When ``program`` starts on the clock of the city ``city_id`` (its messages' readers), zone named."""
    return format_instant(at=program.starts_at, zone=db.session.get(City, city_id).timezone)


def cancelled(*, title: str, when: str, participant: str) -> tuple[LazyString, LazyString]:
    """(subject, body) telling a city that a program its participant was in is cancelled."""
    return _l("Training cancelled: %(title)s", title=title), _l(
        "The program %(title)s starting %(when)s was cancelled by its provider; the place of %(name)s "
        "is cancelled.",
        title=repr(title),
        when=when,
        name=participant,
    )


def promoted(*, title: str, when: str, participant: str, ticket: int) -> tuple[LazyString, LazyString]:
    """(subject, body) telling a city that its waitlisted participant has a seat now."""
    return _l("A seat is free: %(name)s is enrolled in %(title)s", name=participant, title=title), _l(
        "%(name)s moved from the waitlist (ticket %(ticket)s) to a seat in %(title)s, starting %(when)s.",
        name=participant,
        ticket=ticket,
        title=repr(title),
        when=when,
    )


def reminder(
    *, title: str, when: str, participant: str, mode: str, where: str | None
) -> tuple[LazyString, LazyString]:
    """(subject, body) reminding a city that its participant's program starts soon."""
    return _l("Reminder: %(title)s starts %(when)s", title=title, when=when), _l(
        "%(name)s is enrolled in %(title)s, which starts on %(when)s (%(mode)s%(where)s).",
        name=participant,
        title=repr(title),
        when=when,
        mode=code_label(mode),
        where=": " + where if where else "",
    )
