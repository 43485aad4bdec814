"""The rules a program's fields obey together, in one place: the schema checks them on what a form or a
request sent (so the first answer names every such problem with the fields' own), the service on the
values the program will have (a partial update keeps the others).
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from health_responder.training.models import ProgramMode


def program_conflicts(
    *,
    starts_at: datetime | None,
    ends_at: datetime | None,
    enrolment_deadline: date | None,
    mode: str | None,
    venue: str | None,
    join_url: str | None,
    capacity: int | None = None,
    seats_taken: int = 0,
) -> dict[str, list]:
    """The fields whose values do not fit the others, with why; a rule whose values are unknown is skipped."""
    errors = {}
    if starts_at and ends_at and ends_at <= starts_at:
        errors["ends_at"] = [_l("Must be after the start.")]
    if starts_at and enrolment_deadline and enrolment_deadline > starts_at.date():
        errors["enrolment_deadline"] = [_l("Must be on or before the day the program starts.")]
    if mode == ProgramMode.ONSITE and not (venue or "").strip():
        errors["venue"] = [_l("An onsite program needs a venue.")]
    if mode == ProgramMode.WEBINAR and not (join_url or "").strip():
        errors["join_url"] = [_l("A webinar needs its join link.")]
    if capacity is not None and capacity < seats_taken:
        errors["capacity"] = [_l("%(n)s seats are taken already; capacity cannot be lower.", n=seats_taken)]
    return errors
