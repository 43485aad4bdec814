"""A training program as an iCalendar file (RFC 5545), built with the ``icalendar`` library.

The event is given in the program's own time zone, with that zone's VTIMEZONE in the file, so every
calendar shows it at the right hour wherever the reader is. The join link of a webinar is in the file
only when the caller may see it (``queries.joinable``): the file is no side door to the link.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from health_responder.training.models import ProgramMode, ProgramStatus, TrainingProgram

PRODID = "-//Smart Health Responder//Training programs//EN"


def program_calendar(program: TrainingProgram, *, join_url: str | None, page_url: str) -> bytes:
    """The .ics bytes of one program: one VEVENT in the program's time zone, with its VTIMEZONE."""
    zone = ZoneInfo(program.timezone or "UTC")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"training-program-{program.id}@smart-health-responder")
    event.add("summary", program.title)
    event.add("dtstart", program.starts_at.astimezone(zone))
    event.add("dtend", program.ends_at.astimezone(zone))
    event.add("dtstamp", program.updated_at or program.created_at)
    event.add("status", "CANCELLED" if program.status == ProgramStatus.CANCELLED else "CONFIRMED")
    event.add("url", page_url)
    where = program.venue if program.mode == ProgramMode.ONSITE else (join_url or program.link)
    if where:
        event.add("location", where)
    lines = [program.description or "", f"Topic: {program.topic}", f"Language: {program.language}"]
    if program.mode == ProgramMode.WEBINAR:
        lines.append(f"Join: {join_url}" if join_url else "The join link is sent to enrolled participants.")
    event.add("description", "\n".join(line for line in lines if line))
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
