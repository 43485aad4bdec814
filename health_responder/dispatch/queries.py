"""Reads of dispatches and receipt discrepancies, through the tenant rule.

Staff see every dispatch; a provider its own; a city those sent to it. Another tenant's dispatch is
a 404.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.allocation.models import Allocation, AllocationStatus
from health_responder.auth.models import Role, User
from health_responder.db import by_id, paginate, start_of_day
from health_responder.dispatch import snapshot
from health_responder.dispatch.models import Dispatch, DispatchLine, DispatchStatus
from health_responder.documents import queries as document_queries
from health_responder.errors import NotFound
from health_responder.extensions import db
from health_responder.health_requests import queries as request_queries
from health_responder.health_requests.models import REPLACEABLE, AssistanceRequest, RequestLine
from health_responder.providers.models import Provider, StockLocation
from health_responder.reference.models import City, Item
from health_responder.stock import gs1
from health_responder.stock import queries as stock_queries
from health_responder.stock.models import StockLot

ORDER_COLUMNS = {
    "id": Dispatch.id,
    "reference": Dispatch.reference,
    "created_at": Dispatch.created_at,
    "shipped_at": Dispatch.shipped_at,
    "status": Dispatch.status,
    "request": select(AssistanceRequest.reference)
    .where(AssistanceRequest.id == Dispatch.request_id)
    .correlate(Dispatch)
    .scalar_subquery(),
    "city": select(City.name).where(City.id == Dispatch.city_id).correlate(Dispatch).scalar_subquery(),
    "provider": select(Provider.name)
    .where(Provider.id == Dispatch.provider_id)
    .correlate(Dispatch)
    .scalar_subquery(),
}


def _tenant(statement: sa.Select, user: User, provider_column, city_column) -> sa.Select:
    if user.role == Role.PROVIDER:
        return statement.where(provider_column == user.provider_id)
    if user.role == Role.CITY:
        return statement.where(city_column == user.city_id)
    return statement


def dispatches_visible_to(*, user: User) -> sa.Select:
    """The dispatches ``user`` may see."""
    return _tenant(select(Dispatch), user, Dispatch.provider_id, Dispatch.city_id)


def get_dispatch(*, user: User, dispatch_id: int) -> Dispatch:
    """A dispatch the user may see, or NotFound."""
    found = db.session.scalar(dispatches_visible_to(user=user).where(Dispatch.id == dispatch_id))
    if found is None:
        raise NotFound(_l("No dispatch %(id)s.", id=dispatch_id))
    return found


def views(*, dispatches: list[Dispatch]) -> list[dict]:
    """Dispatches as dicts with their lines (one query for all lines)."""
    lines: dict[int, list[DispatchLine]] = {d.id: [] for d in dispatches}
    if dispatches:
        for line in db.session.scalars(
            select(DispatchLine).where(DispatchLine.dispatch_id.in_(list(lines))).order_by(DispatchLine.id)
        ):
            lines[line.dispatch_id].append(line)
    return [d.model_dump() | {"lines": lines[d.id]} for d in dispatches]


def view(*, dispatch: Dispatch) -> dict:
    """One dispatch with its lines."""
    return views(dispatches=[dispatch])[0]


def _matching(user: User, args: dict) -> sa.Select:
    statement = dispatches_visible_to(user=user)
    for key in ("status", "request_id", "provider_id", "city_id"):
        if args.get(key) is not None:
            statement = statement.where(getattr(Dispatch, key) == args[key])
    if args.get("shipped_from"):
        statement = statement.where(Dispatch.shipped_at >= start_of_day(args["shipped_from"]))
    if args.get("shipped_to"):
        statement = statement.where(
            Dispatch.shipped_at < start_of_day(args["shipped_to"] + timedelta(days=1))
        )
    return statement


def list_dispatches(*, user: User, args: dict) -> dict:
    """A page of the visible dispatches matching the filters."""
    page = paginate(db.session, _matching(user, args), args, ORDER_COLUMNS)
    page["items"] = views(dispatches=page["items"])
    return page


def dispatches_page(*, user: User, filters: dict, page: int, page_size: int, order_by: str | None) -> dict:
    """A page of the dispatches ``user`` sees matching ``filters``, in ``order_by`` (ORDER_COLUMNS), newest first by default."""
    args = {"page": page, "page_size": page_size, "order_by": order_by or "-id"}
    return paginate(db.session, _matching(user, filters), args, ORDER_COLUMNS)


#: Columns of the dispatch list's CSV.
CSV_COLUMNS = (
    "reference",
    "request",
    "city",
    "provider",
    "location",
    "status",
    "created_at",
    "shipped_at",
    "carrier",
    "tracking_number",
    "packages",
    "received_at",
    "received_by",
    "units",
)


def csv_rows(*, user: User, filters: dict, order_by: str | None, limit: int = 10_000) -> list[tuple]:
    """The dispatches the list shows (every page, up to ``limit``) as CSV rows of CSV_COLUMNS."""
    order = order_by or "-id"
    column = ORDER_COLUMNS[order.lstrip("-")]
    units = (
        select(sa.func.coalesce(sa.func.sum(DispatchLine.quantity), 0))
        .where(DispatchLine.dispatch_id == Dispatch.id)
        .scalar_subquery()
    )
    statement = (
        _matching(user, filters)
        .with_only_columns(
            Dispatch.reference,
            AssistanceRequest.reference,
            City.name,
            Provider.name,
            StockLocation.name,
            Dispatch.status,
            Dispatch.created_at,
            Dispatch.shipped_at,
            Dispatch.carrier,
            Dispatch.tracking_number,
            Dispatch.packages,
            Dispatch.received_at,
            Dispatch.received_by,
            units,
        )
        .join(AssistanceRequest, AssistanceRequest.id == Dispatch.request_id)
        .join(City, City.id == Dispatch.city_id)
        .join(Provider, Provider.id == Dispatch.provider_id)
        .join(StockLocation, StockLocation.id == Dispatch.location_id)
        .order_by(column.desc() if order.startswith("-") else column.asc(), Dispatch.id)
        .limit(limit)
    )
    return [tuple(row) for row in db.session.execute(statement)]


def request_for(*, user: User, request_id: int):
    """The request a dispatch is prepared for, if the caller may see it (else NotFound)."""
    return request_queries.get_request(request_id=request_id, user=user)


def _discrepancies(user: User) -> sa.Select:
    """Received dispatch lines with rejected units, as the user may see them."""
    statement = (
        select(
            DispatchLine.id,
            DispatchLine.dispatch_id,
            Dispatch.reference.label("dispatch_reference"),
            Dispatch.request_id,
            DispatchLine.request_line_id,
            Dispatch.provider_id,
            Dispatch.city_id,
            DispatchLine.item_id,
            DispatchLine.lot_id,
            DispatchLine.quantity,
            DispatchLine.accepted,
            DispatchLine.rejected,
            DispatchLine.rejection_reason.label("reason"),
            DispatchLine.rejection_note.label("note"),
            Dispatch.received_at,
            Dispatch.received_by,
            DispatchLine.replaced,
        )
        .join(Dispatch, Dispatch.id == DispatchLine.dispatch_id)
        .where(DispatchLine.rejected > 0)
    )
    return _tenant(statement, user, Dispatch.provider_id, Dispatch.city_id)


def discrepancy(*, user: User, line_id: int) -> dict:
    """One discrepancy (a dispatch line with rejected units) the user may see, or NotFound."""
    row = db.session.execute(_discrepancies(user).where(DispatchLine.id == line_id)).mappings().first()
    if row is None:
        raise NotFound(_l("No discrepancy %(id)s.", id=line_id))
    return dict(row)


def list_discrepancies(*, user: User, args: dict) -> dict:
    """A page of received dispatch lines with rejected units."""
    statement = _discrepancies(user)
    for key in ("provider_id", "city_id"):
        if args.get(key) is not None:
            statement = statement.where(getattr(Dispatch, key) == args[key])
    if args.get("reason"):
        statement = statement.where(DispatchLine.rejection_reason == args["reason"])
    columns = {"id": DispatchLine.id, "received_at": Dispatch.received_at}
    order = args.get("order_by")
    keys = []
    if order:
        column = columns[order.lstrip("-")]
        keys.append(column.desc() if order.startswith("-") else column.asc())
    keys.append(DispatchLine.id.desc() if order == "-id" else DispatchLine.id.asc())
    size, page = args.get("page_size", 20), args.get("page", 1)
    total = db.session.scalar(select(sa.func.count()).select_from(statement.subquery()))
    rows = (
        db.session.execute(statement.order_by(*keys).limit(size).offset((page - 1) * size)).mappings().all()
    )
    return {
        "items": [dict(row) for row in rows],
        "page": page,
        "page_size": size,
        "total": total,
        "pages": (total + size - 1) // size if total else 0,
    }


def discrepancy_rows(*, user: User, open_only: bool = False, limit: int = 200) -> list[dict]:
    """Discrepancies newest first, with the request, city and item they concern, and whether they can be replaced."""
    found = _discrepancies(user).subquery()
    statement = (
        select(
            found,
            AssistanceRequest.reference.label("request_reference"),
            AssistanceRequest.status.label("request_status"),
            City.name.label("city"),
            Item.code.label("item_code"),
            Item.name.label("item_name"),
            Item.name_ko.label("item_name_ko"),
        )
        .join(AssistanceRequest, AssistanceRequest.id == found.c.request_id)
        .join(City, City.id == found.c.city_id)
        .join(Item, Item.id == found.c.item_id)
        .order_by(found.c.received_at.desc(), found.c.id.desc())
        .limit(limit)
    )
    if open_only:
        statement = statement.where(found.c.rejected > found.c.replaced)
    rows = [dict(row) for row in db.session.execute(statement).mappings()]
    for row in rows:
        row["to_replace"] = row["rejected"] - row["replaced"]
        row["replaceable"] = row["to_replace"] > 0 and row["request_status"] in REPLACEABLE
    return rows


# --- reads the pages need -------------------------------------------------------------------------


def dispatches(*, user: User, status: str | None = None, order_by=None, limit: int = 100) -> list[Dispatch]:
    """The dispatches ``user`` sees, of one status if given, newest first unless ``order_by`` says."""
    statement = dispatches_visible_to(user=user)
    if status is not None:
        statement = statement.where(Dispatch.status == status)
    order = (Dispatch.id.desc(),) if order_by is None else (order_by, Dispatch.id)
    return db.session.scalars(statement.order_by(*order).limit(limit)).all()


def dispatches_of_request(*, user: User, request_id: int) -> list[Dispatch]:
    """The dispatches of one request that ``user`` sees, oldest first."""
    statement = dispatches_visible_to(user=user).where(Dispatch.request_id == request_id)
    return db.session.scalars(statement.order_by(Dispatch.id)).all()


def pick_progress(*, dispatch_id: int) -> dict:
    """How far the pick list check of a dispatch is: ``{"checked": lines checked, "lines": lines}``."""
    checked, total = db.session.execute(
        select(sa.func.count(DispatchLine.checked_at), sa.func.count()).where(
            DispatchLine.dispatch_id == dispatch_id
        )
    ).one()
    return {"checked": int(checked), "lines": int(total)}


def label_lines(*, dispatch: Dispatch) -> list[tuple[snapshot.LineFacts, str | None]]:
    """What a dispatch's GS1 labels carry: each line as it left (``snapshot``), with its item's GTIN now
    (a GTIN given after shipping still labels what arrives).
    """
    lines = snapshot.lines_of(dispatch)
    gtins = dict(
        db.session.execute(
            select(Item.id, Item.gtin).where(Item.id.in_({line.line.item_id for line in lines}))
        ).all()
    )
    return [(line, gtins.get(line.line.item_id)) for line in lines]


def label_problems(*, dispatch: Dispatch) -> list[gs1.LabelProblem]:
    """Why a dispatch's GS1 labels cannot be printed (empty when they can): the labels' own rule."""
    return gs1.label_problems(
        {"item_id": line.line.item_id, "item_code": line.item_code, "gtin": gtin, "lot_code": line.lot_code}
        for line, gtin in label_lines(dispatch=dispatch)
    )


def requests_of(*, dispatches: list[Dispatch]) -> dict[int, AssistanceRequest]:
    """The request of each of ``dispatches`` (already visible to the caller), by id."""
    return by_id(db.session, AssistanceRequest, (d.request_id for d in dispatches))


def parties(*, dispatch: Dispatch) -> dict:
    """Who and where a dispatch concerns: its request, provider, city and location."""
    return {
        "req": db.session.get(AssistanceRequest, dispatch.request_id),
        "provider": db.session.get(Provider, dispatch.provider_id),
        "city": db.session.get(City, dispatch.city_id),
        "location": db.session.get(StockLocation, dispatch.location_id),
    }


def waiting_allocations(*, user: User, limit: int = 500) -> list[tuple]:
    """Reserved allocations not yet on a dispatch, most urgent request first (a provider: its own).

    Each row: ``(allocation, lot, request, item_id)``.
    """
    statement = (
        select(Allocation, StockLot, AssistanceRequest, RequestLine.item_id)
        .join(StockLot, StockLot.id == Allocation.lot_id)
        .join(AssistanceRequest, AssistanceRequest.id == Allocation.request_id)
        .join(RequestLine, RequestLine.id == Allocation.line_id)
        .where(Allocation.status == AllocationStatus.RESERVED, Allocation.dispatch_id.is_(None))
        .order_by(AssistanceRequest.priority_rank, AssistanceRequest.needed_by, Allocation.id)
    )
    if user.role == Role.PROVIDER:
        statement = statement.where(Allocation.provider_id == user.provider_id)
    return [tuple(row) for row in db.session.execute(statement.limit(limit)).all()]


def overview() -> dict:
    """For the staff dashboard: dispatches per status, the five newest, and lines with rejected units."""
    counts = dict(
        db.session.execute(select(Dispatch.status, sa.func.count()).group_by(Dispatch.status)).all()
    )
    recent = db.session.scalars(select(Dispatch).order_by(Dispatch.id.desc()).limit(5)).all()
    discrepancies = (
        db.session.scalar(select(sa.func.count()).select_from(DispatchLine).where(DispatchLine.rejected > 0))
        or 0
    )
    return {"counts": counts, "recent": recent, "discrepancies": discrepancies}


def receivable_from_document(
    *, user: User, kind: str, subject_type: str, subject_key: str
) -> Dispatch | None:
    """The shipped dispatch a dispatch report names, when ``user`` is of its receiving city (else None).

    Scanning the report's QR lands on the verification page; for that city's users it also offers the
    receipt form. Anyone else sees the verification alone.
    """
    dispatch_id = subject_key.split(":", 1)[0]  # "12", or "12:ko" for a copy in another language
    if kind != "dispatch_report" or subject_type != "dispatch" or not dispatch_id.isdigit():
        return None
    if user.role != Role.CITY or user.city_id is None:
        return None
    found = db.session.get(Dispatch, int(dispatch_id))
    if found is None or found.city_id != user.city_id or found.status != DispatchStatus.SHIPPED:
        return None
    return found


def _document_facts(facts, dispatch_id: int) -> None:
    """What a dispatch's documents say: reference, sender and recipient, lines, shipped and received units."""
    row = db.session.execute(
        select(Dispatch.reference, Provider.name, City.name, Dispatch.parties_at_ship)
        .join(Provider, Provider.id == Dispatch.provider_id)
        .join(City, City.id == Dispatch.city_id)
        .where(Dispatch.id == dispatch_id)
    ).first()
    if row is None:
        return
    reference, sender, recipient, frozen = row
    if frozen:  # the names its documents print: as they were when it shipped
        sender, recipient = frozen["sender"]["name"], frozen["recipient"]["name"]
    facts.reference = reference or ""
    facts.parties = [("from", sender), ("to", recipient)]
    count, shipped, accepted, rejected, received = db.session.execute(
        select(
            sa.func.count(DispatchLine.id),
            sa.func.coalesce(sa.func.sum(DispatchLine.quantity), 0),
            sa.func.coalesce(sa.func.sum(DispatchLine.accepted), 0),
            sa.func.coalesce(sa.func.sum(DispatchLine.rejected), 0),
            sa.func.count(DispatchLine.accepted),
        ).where(DispatchLine.dispatch_id == dispatch_id)
    ).one()
    facts.lines = count
    facts.totals = [("units", shipped)]
    if received:
        facts.totals += [("accepted", accepted), ("rejected", rejected)]


document_queries.READERS["dispatch"] = _document_facts


def _lot_dispatches(lot: StockLot, user: User) -> list[dict]:
    """The dispatches that carry (or carried) units of ``lot``, newest first, with this lot's quantities."""
    rows = db.session.execute(
        dispatches_visible_to(user=user)
        .with_only_columns(
            Dispatch.id,
            Dispatch.reference,
            Dispatch.status,
            Dispatch.request_id,
            Dispatch.created_at,
            Dispatch.shipped_at,
            Dispatch.received_at,
            City.name.label("city"),
            sa.func.sum(DispatchLine.quantity).label("quantity"),
            sa.func.sum(DispatchLine.accepted).label("accepted"),
            sa.func.sum(DispatchLine.rejected).label("rejected"),
        )
        .join(DispatchLine, DispatchLine.dispatch_id == Dispatch.id)
        .join(City, City.id == Dispatch.city_id)
        .where(DispatchLine.lot_id == lot.id)
        .group_by(
            Dispatch.id,
            Dispatch.reference,
            Dispatch.status,
            Dispatch.request_id,
            Dispatch.created_at,
            Dispatch.shipped_at,
            Dispatch.received_at,
            City.name,
        )
        .order_by(Dispatch.id.desc())
        .limit(100)
    ).mappings()
    return [dict(row) for row in rows]


stock_queries.LOT_USES["dispatches"] = _lot_dispatches
