"""Instants put into a reader's time zone, for documents and messages (pages use web.context's filters).

Times are stored in UTC (db.UTCDateTime). A PDF or a notification has no page around it to say which
clock it was read on, so each time it prints names its zone: ``2026-12-01 09:30 GMT+09:00 (Asia/Seoul)``,
or ``… UTC``. Whose zone is the caller's choice: the receiving city's for a city's documents and
messages, the reader's own otherwise.

Date-only values (a request's needed-by, a lot's expiry) are calendar dates and are never shifted by a
zone; only the day of an instant (a ship date, a completion date) depends on where it is read.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from babel.dates import get_timezone_gmt

#: Zone names that mean UTC itself (printed as "UTC", not "GMT+00:00 (UTC)").
_UTC_NAMES = frozenset({"", "UTC", "Etc/UTC", "Etc/UCT", "UCT", "Zulu", "Etc/Zulu"})


def zone_info(name: str | None) -> tzinfo:
    """The zone called ``name``; UTC when it is empty or not a known IANA zone (never an error)."""
    if not name or name in _UTC_NAMES:
        return UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return UTC


def zone_key(name: str | None) -> str:
    """``name`` when it is a zone ``zone_info`` knows, else ``"UTC"``."""
    found = zone_info(name)
    return "UTC" if found is UTC else str(name)


def _aware(at: datetime) -> datetime:
    # SQLite gives naive values back outside the ORM type; a naive instant is UTC in this project.
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def local_date(*, at: datetime | None, zone: str | None) -> date | None:
    """The calendar day the instant ``at`` falls on in ``zone`` (None for None)."""
    if at is None:
        return None
    return _aware(at).astimezone(zone_info(zone)).date()


def zone_label(*, at: datetime, zone: str | None, locale: str = "en") -> str:
    """How a time names its zone: ``"UTC"``, or the offset it had at ``at`` and the zone's name."""
    found = zone_info(zone)
    if found is UTC:
        return "UTC"
    local = _aware(at).astimezone(found)
    return f"{get_timezone_gmt(local, width='long', locale=locale)} ({zone})"


def format_instant(*, at: datetime | None, zone: str | None, locale: str = "en") -> str:
    """``at`` as read in ``zone``, to the minute, with its zone named; a dash when there is none.

    The digits are ISO 8601 (as every date on the documents); ``locale`` words the zone's offset.
    """
    if at is None:
        return "—"
    local = _aware(at).astimezone(zone_info(zone))
    return f"{local:%Y-%m-%d %H:%M} {zone_label(at=at, zone=zone, locale=locale)}"


def format_day(*, at: datetime | None, zone: str | None, locale: str = "en") -> str:
    """The calendar day of ``at`` in ``zone``, with the zone named (``2026-12-01 (Asia/Seoul)``)."""
    if at is None:
        return "—"
    day = local_date(at=at, zone=zone)
    key = zone_key(zone)
    return day.isoformat() if key == "UTC" else f"{day.isoformat()} ({key})"


def day_bounds(*, first: date, last: date, zone: str | None) -> tuple[datetime, datetime]:
    """The instants a period of calendar days covers in ``zone``: its first midnight, and the one after it ends.

    A period is whole days on the reader's calendar, so a dispatch shipped at 08:00 in Seoul on the
    first falls in a Seoul reader's month though it was still the day before in UTC.
    """
    found = zone_info(zone)
    start = datetime.combine(first, time.min, tzinfo=found).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=found).astimezone(UTC)
    return start, end
