"""Reads of requests and allocations, always through the tenant rule.

Who sees a request (design.md): its city, the coordinators and admins, and a provider once it holds
(or held) an allocation for it. ``requests_visible_to(user)`` is the only way to list requests; an id
outside it is a 404.

Requests are turned into plain JSON-ready dicts here (``request_views``: the lines of a whole page in
one query) rather than by marshmallow per row: the list is the busiest read of the application.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder import csvsafe
from health_responder.allocation.models import Allocation, AllocationStatus
from health_responder.auth.models import STAFF, Role, User
from health_responder.db import paginate, start_of_day
from health_responder.dispatch.models import Dispatch
from health_responder.errors import NotFound
from health_responder.extensions import db
from health_responder.health_requests.models import (
    FULFILLING,
    AssistanceRequest,
    RequestLine,
    remainder_sql,
)
from health_responder.reference.models import City, Item

R = AssistanceRequest
TABLE = AssistanceRequest.__table__
LINE = RequestLine.__table__
ORDER_COLUMNS = {
    "id": R.id,
    "reference": R.reference,
    "needed_by": R.needed_by,
    "created_at": R.created_at,
    "submitted_at": R.submitted_at,
    "priority": R.priority_rank,
    "status": R.status,
    "city": select(City.name).where(City.id == R.city_id).correlate(R).scalar_subquery(),
}
#: The triage order: most urgent first (priority, then needed-by), then the longest waiting.
TRIAGE_ORDER = (
    R.priority_rank.asc(),
    R.needed_by.asc(),
    sa.case((R.submitted_at.is_(None), 1), else_=0),
    R.submitted_at.asc(),
)


def requests_visible_to(*, user: User) -> sa.Select:
    """The requests ``user`` may see, as a select to filter further."""
    statement = select(AssistanceRequest)
    if user.role == Role.CITY:
        return statement.where(R.city_id == user.city_id)
    if user.role == Role.PROVIDER:
        return statement.where(
            R.id.in_(select(Allocation.request_id).where(Allocation.provider_id == user.provider_id))
        )
    return statement


def get_request(*, user: User, request_id: int) -> AssistanceRequest:
    """A request the user may see, or NotFound."""
    found = db.session.scalar(requests_visible_to(user=user).where(R.id == request_id))
    if found is None:
        raise NotFound(_l("No request %(id)s.", id=request_id))
    return found


def filtered(*, user: User, args: dict) -> sa.Select:
    """The visible requests matching the list filters."""
    statement = requests_visible_to(user=user)
    for key in ("status", "priority", "city_id"):
        if args.get(key) is not None:
            statement = statement.where(getattr(R, key) == args[key])
    if args.get("network_id") is not None:
        statement = statement.where(
            R.city_id.in_(select(City.id).where(City.network_id == args["network_id"]))
        )
    if args.get("item_id") is not None:
        statement = statement.where(
            sa.exists().where(RequestLine.request_id == R.id, RequestLine.item_id == args["item_id"])
        )
    if args.get("needed_by_from"):
        statement = statement.where(R.needed_by >= args["needed_by_from"])
    if args.get("needed_by_to"):
        statement = statement.where(R.needed_by <= args["needed_by_to"])
    if args.get("created_from"):
        statement = statement.where(R.created_at >= start_of_day(args["created_from"]))
    if args.get("created_to"):
        statement = statement.where(R.created_at < start_of_day(args["created_to"] + timedelta(days=1)))
    if args.get("q") and args["q"].strip():
        statement = statement.where(matching(words=args["q"].strip()))
    return statement


def matching(*, words: str) -> sa.ColumnElement[bool]:
    """Requests whose reference, city name, justification, or an item's code or name contains ``words``.

    Case-insensitive in every script (db.py gives SQLite a Unicode lower()); ``%`` and ``_`` match
    themselves (``autoescape``), so a search is never a pattern.
    """
    found = [
        R.reference.icontains(words, autoescape=True),
        R.justification.icontains(words, autoescape=True),
        R.city_id.in_(select(City.id).where(City.name.icontains(words, autoescape=True))),
        sa.exists().where(
            RequestLine.request_id == R.id,
            RequestLine.item_id.in_(
                select(Item.id).where(
                    sa.or_(
                        Item.code.icontains(words, autoescape=True),
                        Item.name.icontains(words, autoescape=True),
                    )
                )
            ),
        ),
    ]
    return sa.or_(*found)


_LINES_SELECT = sa.select(
    LINE.c.id,
    LINE.c.request_id,
    LINE.c.item_id,
    LINE.c.quantity,
    LINE.c.quantity_allocated,
    LINE.c.quantity_dispatched,
    LINE.c.quantity_received,
    LINE.c.quantity_rejected,
    LINE.c.quantity_replaced,
    remainder_sql(LINE.c),  # the one rule of what is left to allocate (models.RequestLine.remainder)
).order_by(LINE.c.id)


def _iso(value):
    return value.isoformat() if value is not None else None


def request_views(*, requests: list) -> list[dict]:
    """Requests (ORM objects or rows) as JSON-ready dicts with their lines, read in one query for all."""
    lines: dict[int, list[dict]] = {r.id: [] for r in requests}
    if requests:
        # Core on the session's connection, rows unpacked by position: this runs for every row of the
        # busiest list, where the ORM's machinery and attribute lookups by name show.
        rows = db.session.connection().execute(_LINES_SELECT.where(LINE.c.request_id.in_(list(lines))))
        for (
            line_id,
            request_id,
            item_id,
            quantity,
            allocated,
            dispatched,
            received,
            rejected,
            replaced,
            unfilled,
        ) in rows:
            lines[request_id].append(
                {
                    "id": line_id,
                    "item_id": item_id,
                    "quantity": quantity,
                    "quantity_allocated": allocated,
                    "quantity_dispatched": dispatched,
                    "quantity_received": received,
                    "quantity_rejected": rejected,
                    "quantity_replaced": replaced,
                    "quantity_unfilled": unfilled,
                }
            )
    return [
        {
            "id": r.id,
            "reference": r.reference,
            "city_id": r.city_id,
            "status": r.status,
            "priority": r.priority,
            "needed_by": _iso(r.needed_by),
            "justification": r.justification,
            "delivery_contact": r.delivery_contact,
            "created_by_id": r.created_by_id,
            "created_at": _iso(r.created_at),
            "updated_at": _iso(r.updated_at),
            "submitted_at": _iso(r.submitted_at),
            "approved_at": _iso(r.approved_at),
            "rejected_reason": r.rejected_reason,
            "cancelled_at": _iso(r.cancelled_at),
            "delivered_at": _iso(r.delivered_at),
            "closed_at": _iso(r.closed_at),
            "close_note": r.close_note,
            "lines": lines[r.id],
        }
        for r in requests
    ]


def request_view(*, request: AssistanceRequest) -> dict:
    """One request as a JSON-ready dict with its lines."""
    return request_views(requests=[request])[0]


# --- reads the pages need


def requests_page(
    *, user: User, filters: dict, page: int, page_size: int = 20, order_by: str | None = None
) -> dict:
    """A page of the requests ``user`` sees matching ``filters`` (as ``filtered`` reads them), as rows.

    ``order_by`` is one of ORDER_COLUMNS (``-`` for descending). Without it staff get the triage order
    (priority, then needed-by, then the longest waiting); cities and providers their newest first.
    """
    statement = filtered(user=user, args={k: v for k, v in filters.items() if v not in (None, "")})
    args = {"page": page, "page_size": page_size}
    return paginate(
        db.session, statement, args, {"id": R.id}, default_order=page_order(user=user, order_by=order_by)
    )


def page_order(*, user: User, order_by: str | None) -> tuple:
    """The sort keys of the request list a page shows: ``order_by`` (ORDER_COLUMNS), else the default.

    The default is the triage order for staff and the newest first for cities and providers.
    """
    if order_by:
        column = ORDER_COLUMNS[order_by.lstrip("-")]
        return (column.desc() if order_by.startswith("-") else column.asc(),)
    return TRIAGE_ORDER if user.is_staff else (R.id.desc(),)


def requests_in(*, user: User, statuses, order_by=(), limit: int = 10) -> list[AssistanceRequest]:
    """Up to ``limit`` requests ``user`` sees in one of ``statuses``, in ``order_by`` (then id)."""
    statement = requests_visible_to(user=user).where(R.status.in_(list(statuses)))
    return db.session.scalars(statement.order_by(*order_by, R.id).limit(limit)).all()


def status_counts() -> dict[str, int]:
    """How many requests are in each state (for the coordinators' dashboard)."""
    return dict(db.session.execute(select(R.status, sa.func.count()).group_by(R.status)).all())


def milestones(*, request: AssistanceRequest) -> dict:
    """When stock was first allocated to the request and when its first dispatch shipped (or None)."""
    return {
        "allocated": db.session.scalar(
            select(sa.func.min(Allocation.created_at)).where(Allocation.request_id == request.id)
        ),
        "shipped": db.session.scalar(
            select(sa.func.min(Dispatch.shipped_at)).where(Dispatch.request_id == request.id)
        ),
    }


def reservations_to_dispatch(*, user: User, request: AssistanceRequest) -> int:
    """How many reserved allocations of the request wait for a dispatch that ``user`` may prepare.

    A provider's own; every provider's for staff; none for a city.
    """
    if user.role not in (Role.PROVIDER, *STAFF):
        return 0
    statement = (
        select(sa.func.count())
        .select_from(Allocation)
        .where(
            Allocation.request_id == request.id,
            Allocation.status == AllocationStatus.RESERVED,
            Allocation.dispatch_id.is_(None),
        )
    )
    if user.role == Role.PROVIDER:
        statement = statement.where(Allocation.provider_id == user.provider_id)
    return db.session.scalar(statement)


def list_requests(*, user: User, args: dict) -> dict:
    """A page of the visible requests matching the filters, as dicts.

    Plain rows rather than ORM objects, and ``count(*)`` straight on the filtered table: this is the
    busiest read, and both are measurably cheaper than ``paginate`` at 100,000 requests.
    """
    statement = filtered(user=user, args=args)
    page, size = args.get("page", 1), min(args.get("page_size", 20), current_app.config["MAX_PAGE_SIZE"])
    order, keys = args.get("order_by"), []
    if order and order.lstrip("-") != "id":
        column = ORDER_COLUMNS[order.lstrip("-")]
        keys.append(column.desc() if order.startswith("-") else column.asc())
    keys.append(R.id.desc() if order == "-id" else R.id.asc())
    conn = db.session.connection()
    total = conn.scalar(
        statement.with_only_columns(sa.func.count(), maintain_column_froms=True).order_by(None)
    )
    rows = conn.execute(
        statement.with_only_columns(*TABLE.c).order_by(*keys).limit(size).offset((page - 1) * size)
    ).all()
    return {
        "items": request_views(requests=rows),
        "page": page,
        "page_size": size,
        "total": total,
        "pages": (total + size - 1) // size if total else 0,
    }


CSV_COLUMNS = (
    "reference",
    "status",
    "priority",
    "city",
    "needed_by",
    "created_at",
    "submitted_at",
    "item_code",
    "item_name",
    "quantity",
    "quantity_allocated",
    "quantity_dispatched",
    "quantity_received",
    "quantity_rejected",
    "quantity_replaced",
    "quantity_unfilled",
)


def requests_csv(*, user: User, args: dict) -> str:
    """The visible requests matching the filters, one row per line, as CSV text (by id unless ordered)."""
    order = page_order(user=user, order_by=args["order_by"]) if args.get("order_by") else ()
    return csvsafe.table(CSV_COLUMNS, csv_rows(user=user, args=args, order=order))[len(csvsafe.BOM) :]


def csv_rows(*, user: User, args: dict, order: tuple = ()) -> list[tuple]:
    """The CSV rows (CSV_COLUMNS) of the visible requests matching the filters, one per line.

    Up to ``page_size`` (10,000) requests, in ``order`` (``page_order``'s keys; by id without), each
    request's lines together in line order.
    """
    limit = args.get("page_size", 10_000)
    ids = filtered(user=user, args=args).with_only_columns(R.id).order_by(*order, R.id).limit(limit)
    ranked = ids.add_columns(sa.func.row_number().over(order_by=(*order, R.id)).label("rank")).subquery()
    statement = (
        select(
            R.reference,
            R.status,
            R.priority,
            City.name,
            R.needed_by,
            R.created_at,
            R.submitted_at,
            Item.code,
            Item.name,
            RequestLine.quantity,
            RequestLine.quantity_allocated,
            RequestLine.quantity_dispatched,
            RequestLine.quantity_received,
            RequestLine.quantity_rejected,
            RequestLine.quantity_replaced,
            RequestLine.quantity + RequestLine.quantity_replaced - RequestLine.quantity_allocated,
        )
        .join(City, City.id == R.city_id)
        .join(RequestLine, RequestLine.request_id == R.id)
        .join(Item, Item.id == RequestLine.item_id)
        .join(ranked, ranked.c.id == R.id)
        .order_by(ranked.c.rank, RequestLine.id)
    )
    return [tuple(row) for row in db.session.execute(statement)]


def get_line(*, request: AssistanceRequest, line_id: int) -> RequestLine:
    """A line of the request, or NotFound."""
    line = db.session.get(RequestLine, line_id)
    if line is None or line.request_id != request.id:
        raise NotFound(_l("No line %(id)s on request %(request)s.", id=line_id, request=request.id))
    return line


# --- back-orders


def _owed_lines(user: User) -> sa.Select:
    """The lines of requests being fulfilled with units not yet allocated, as the user may see them."""
    remainder = LINE.c.quantity + LINE.c.quantity_replaced - LINE.c.quantity_allocated
    visible = requests_visible_to(user=user).with_only_columns(R.id)
    return (
        select(
            R.id.label("request_id"),
            R.reference,
            R.priority,
            R.status,
            R.needed_by,
            R.approved_at.label("since"),
            City.id.label("city_id"),
            City.name.label("city"),
            LINE.c.id.label("line_id"),
            Item.id.label("item_id"),
            Item.code.label("item_code"),
            Item.name.label("item_name"),
            Item.name_ko.label("item_name_ko"),
            (LINE.c.quantity + LINE.c.quantity_replaced).label("owed_total"),
            LINE.c.quantity_dispatched.label("shipped"),
            (LINE.c.quantity_allocated - LINE.c.quantity_dispatched).label("reserved"),
            remainder.label("owed"),
        )
        .select_from(LINE)
        .join(R, R.id == LINE.c.request_id)
        .join(City, City.id == R.city_id)
        .join(Item, Item.id == LINE.c.item_id)
        .where(R.status.in_(list(FULFILLING)), remainder > 0, R.id.in_(visible))
    )


def backorders(*, user: User, limit: int | None = None) -> list[dict]:
    """Every line still owed (not yet allocated) of a request being fulfilled: critical first, oldest first.

    Owed: requested plus replaced minus allocated (shipped included), the remainder auto_allocate
    serves. "Since" is the approval: the city has waited for these units from then.
    """
    statement = _owed_lines(user).order_by(R.priority_rank, R.approved_at, R.needed_by, R.id, LINE.c.id)
    if limit is not None:
        statement = statement.limit(limit)
    return [dict(row) for row in db.session.execute(statement).mappings()]


def backorder_totals(*, user: User) -> dict:
    """How many lines are still owed, of how many requests, for how many units."""
    owed = _owed_lines(user).subquery()
    lines, requests, units = db.session.execute(
        select(sa.func.count(), sa.func.count(sa.distinct(owed.c.request_id)), sa.func.sum(owed.c.owed))
    ).one()
    return {"lines": int(lines), "requests": int(requests), "units": int(units or 0)}
