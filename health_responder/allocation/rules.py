"""The allocation rules of design.md, written once: which lot is usable, in which order, and why.

Every path that chooses or reserves a lot takes its rules from here: the coordinator's allocation and
the suggestions (SQL), the auto_allocate planner (Python, in memory) and the bulk reservation's
conditional UPDATE (SQL again, so a stale plan can never reserve what the rules forbid). A fast path
may have its own statements, never its own rules.

A lot is usable for a line needed by ``needed_by`` for ``units`` units iff three facts hold:

1. its status is ``USABLE_STATUS`` (quarantined and recalled lots are never allocated);
2. it has at least ``units`` free (``on_hand - reserved``; one unit when merely listing);
3. it has no expiry, or expires on or after ``needed_by``.

A reservation already made leaves the warehouse only while fact 1 still holds (``dispatchable_sql``,
``is_dispatchable``): a lot quarantined or recalled after it was allocated can be neither put on a
dispatch nor shipped; its reservations wait for a coordinator to release them and allocate another lot.

Usable lots are taken in the order: providers serving the city's network first, then earliest expiry
(no expiry last), then lot id.

A line is served iff its request is in ``SERVED_STATUSES`` (approved, partially allocated, partially
dispatched: a part shipped leaves the rest on back-order) and it has a remainder (``remainder_sql``:
requested plus replaced rejected units minus allocated, shipped units included). Requests are served
by priority, then needed-by, then submission time (``queue_order_sql``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from health_responder.health_requests.models import ALLOCATING, remainder_sql
from health_responder.stock.models import LotStatus

#: Fact 1: the only status in which a lot is allocated.
USABLE_STATUS = LotStatus.AVAILABLE
#: Requests whose remainders are served (defined with the request states, health_requests.models).
SERVED_STATUSES = ALLOCATING


def served_line_sql(request: Any, line: Any) -> sa.ColumnElement[bool]:
    """A line auto_allocate serves: its request in SERVED_STATUSES, a remainder left."""
    return sa.and_(request.status.in_(SERVED_STATUSES), remainder_sql(line) > 0)


def usable_sql(lot: Any, *, needed_by: Any, units: Any = 1) -> sa.ColumnElement[bool]:
    """The three facts as a SQL condition over ``lot`` (the StockLot model or its table's ``.c``).

    ``needed_by`` and ``units`` are values or bound parameters; ``needed_by`` None drops fact 3 (no
    line yet: the planner's read of every free lot).
    """
    facts = [lot.status == USABLE_STATUS, lot.on_hand - lot.reserved >= units]
    if needed_by is not None:
        facts.append(sa.or_(lot.expires_on.is_(None), lot.expires_on >= needed_by))
    return sa.and_(*facts)


def is_usable(*, status: str, free: int, expires_on: date | None, needed_by: date, units: int = 1) -> bool:
    """The same three facts as a Python predicate (the planner's, on its in-memory picture of the lots)."""
    return status == USABLE_STATUS and free >= units and (expires_on is None or expires_on >= needed_by)


def dispatchable_sql(lot: Any) -> sa.ColumnElement[bool]:
    """Fact 1 alone, over ``lot``: units already reserved may be dispatched and shipped (not quarantined or recalled)."""
    return lot.status == USABLE_STATUS


def is_dispatchable(*, status: str) -> bool:
    """``dispatchable_sql`` as a Python predicate."""
    return status == USABLE_STATUS


def unusable_reason(
    *, status: str, free: int, expires_on: date | None, needed_by: date, units: int = 1
) -> str | None:
    """Which of the three facts a lot fails first: "status", "free" or "expiry"; None when it is usable.

    ``is_usable`` is the same test as one boolean, kept apart because the planner calls it in its loop.
    """
    if status != USABLE_STATUS:
        return "status"
    if free < units:
        return "free"
    if expires_on is not None and expires_on < needed_by:
        return "expiry"
    return None


def queue_order_sql(request: Any) -> tuple:
    """The ORDER BY of the requests served: priority, needed-by, submission (creation if never submitted), id."""
    return (
        request.priority_rank,
        request.needed_by,
        sa.func.coalesce(request.submitted_at, request.created_at),
        request.id,
    )


def order_sql(lot: Any, *, serves_network: sa.ColumnElement[bool]) -> tuple:
    """The ORDER BY of usable lots: the city's network first, earliest expiry (none last), lot id."""
    return (
        sa.case((serves_network, 0), else_=1),
        sa.case((lot.expires_on.is_(None), 1), else_=0),
        lot.expires_on,
        lot.id,
    )


def fefo_key(*, expires_on: date | None, lot_id: int) -> tuple:
    """First-expiry-first-out within one network group: earliest expiry, no expiry last, lot id."""
    return (expires_on is None, expires_on or date.max, lot_id)


def order_key(*, serves_network: bool, expires_on: date | None, lot_id: int) -> tuple:
    """``order_sql`` as a Python sort key."""
    return (not serves_network, *fefo_key(expires_on=expires_on, lot_id=lot_id))


def rationale(
    *,
    lot_code: str,
    provider: str,
    serves_network: bool,
    city_network: str | None,
    expires_on: date | None,
    needed_by: date,
    quantity: int,
    needed: int,
    shortfall: int = 0,
    rank: int | None = None,
    priority: str | None = None,
    reference: str | None = None,
    verb: str = "Reserved",
) -> str:
    """Why this lot, this provider, this quantity: the one sentence stored on an allocation or shown with a suggestion.

    ``rank`` is the lot's place in the usable order (None when a person chose the lot); ``verb`` says
    what happens to ``quantity`` ("Reserved", "Suggested").
    """
    if serves_network:
        who = f"{provider} serves the city's network ({city_network}), so its stock is preferred"
    else:
        who = f"{provider} does not serve the city's network ({city_network or 'none'})"
        if verb == "Reserved" and rank is not None:  # the planner took it: the preferred lots ran out
            who += "; no preferred provider had usable stock left"
    if expires_on is None:
        when = "the lot does not expire"
    else:
        when = f"it expires {expires_on.isoformat()}, on or after the needed-by date {needed_by.isoformat()}"
    if rank is None:
        which = f"lot {lot_code}"
    elif rank == 0:
        which = f"lot {lot_code}, the earliest-expiring usable lot (FEFO)"
    else:
        which = (
            f"lot {lot_code}, the next usable lot in first-expiry-first-out order (FEFO, choice {rank + 1})"
        )
    head = f"Priority {priority} request {reference or ''}, needed by" if priority else "Needed by"
    text = (
        f"{head} {needed_by.isoformat()}: {which}; {when}. {who}. "
        f"{verb} {quantity} of the {needed} still needed"
    )
    if shortfall:
        text += f"; partial: usable stock is short by {shortfall}, the rest waits for new stock"
    return text + "."
