"""Reads of allocations, always through the tenant rule, and the lots suggested for a line."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.allocation import rules
from health_responder.allocation.models import Allocation, AllocationStatus
from health_responder.auth.models import Role, User
from health_responder.checks.models import Alert
from health_responder.errors import NotFound
from health_responder.extensions import db
from health_responder.health_requests.models import AssistanceRequest, RequestLine
from health_responder.providers.models import Provider, ProviderNetwork
from health_responder.reference import queries as reference
from health_responder.reference.models import City, Item, Network
from health_responder.stock import queries as stock_queries
from health_responder.stock.models import StockLot


def allocations_visible_to(*, user: User) -> sa.Select:
    """Allocations ``user`` may see: staff all, a provider its own, a city those on its requests."""
    statement = select(Allocation)
    if user.role == Role.PROVIDER:
        return statement.where(Allocation.provider_id == user.provider_id)
    if user.role == Role.CITY:
        return statement.where(
            Allocation.request_id.in_(
                select(AssistanceRequest.id).where(AssistanceRequest.city_id == user.city_id)
            )
        )
    return statement


def allocations_of(*, user: User, request: AssistanceRequest, args: dict) -> list[Allocation]:
    """The request's allocations the user may see, in id order."""
    statement = allocations_visible_to(user=user).where(Allocation.request_id == request.id)
    if args.get("status"):
        statement = statement.where(Allocation.status == args["status"])
    return db.session.scalars(statement.order_by(Allocation.id)).all()


def get_allocation(*, user: User, allocation_id: int) -> Allocation:
    """An allocation the user may see, or NotFound."""
    found = db.session.scalar(allocations_visible_to(user=user).where(Allocation.id == allocation_id))
    if found is None:
        raise NotFound(_l("No allocation %(id)s.", id=allocation_id))
    return found


def serves_network(*, network_id) -> sa.ColumnElement[bool]:
    """SQL: the lot's provider serves the network ``network_id`` (a value, or a column such as City.network_id)."""
    return sa.exists(
        select(ProviderNetwork.provider_id).where(
            ProviderNetwork.provider_id == StockLot.provider_id, ProviderNetwork.network_id == network_id
        )
    )


def usable_lots(*, item_id: int, needed_by, network_id: int | None) -> sa.Select:
    """Lots of ``item_id`` usable for a line needed by ``needed_by``, best first (rules.py: facts and order)."""
    return (
        select(StockLot)
        .where(StockLot.item_id == item_id, rules.usable_sql(StockLot, needed_by=needed_by))
        .order_by(*rules.order_sql(StockLot, serves_network=serves_network(network_id=network_id)))
    )


def usable_stock(*, request: AssistanceRequest) -> dict[int, list[dict]]:
    """For each item of the request, the stock that could serve it now, per provider, in one query.

    Usable is allocation's rule (rules.usable_sql: available, free units, not expiring before the
    request's needed-by); providers serving the city's network come first, then the most units.
    """
    network_id = db.session.scalar(select(City.network_id).where(City.id == request.city_id))
    items = select(RequestLine.item_id).where(RequestLine.request_id == request.id)
    # Over the provider (grouped on), not the lot, so PostgreSQL accepts it beside the sums.
    serves = sa.exists(
        select(ProviderNetwork.provider_id).where(
            ProviderNetwork.provider_id == Provider.id, ProviderNetwork.network_id == network_id
        )
    )
    rows = db.session.execute(
        select(
            StockLot.item_id,
            Provider.id,
            Provider.name,
            sa.func.sum(StockLot.on_hand - StockLot.reserved),
            sa.func.count(StockLot.id),
            serves,
        )
        .join(Provider, Provider.id == StockLot.provider_id)
        .where(StockLot.item_id.in_(items), rules.usable_sql(StockLot, needed_by=request.needed_by))
        .group_by(StockLot.item_id, Provider.id, Provider.name)
        .order_by(StockLot.item_id, serves.desc(), sa.func.sum(StockLot.on_hand - StockLot.reserved).desc())
    ).all()
    found: dict[int, list[dict]] = {}
    for item_id, provider_id, name, units, lots, in_network in rows:
        found.setdefault(item_id, []).append(
            {
                "provider_id": provider_id,
                "provider": name,
                "units": int(units),
                "lots": lots,
                "in_network": bool(in_network),
            }
        )
    return found


def suggestions(*, request: AssistanceRequest, line: RequestLine, limit: int = 50) -> list[dict]:
    """Usable lots for a line, best first, each with the reason it is suggested."""
    city = db.session.get(City, request.city_id)
    lots = db.session.scalars(
        usable_lots(item_id=line.item_id, needed_by=request.needed_by, network_id=city.network_id).limit(
            limit
        )
    ).all()
    provider_ids = sorted({lot.provider_id for lot in lots})
    names = (
        dict(
            db.session.execute(select(Provider.id, Provider.name).where(Provider.id.in_(provider_ids))).all()
        )
        if provider_ids
        else {}
    )
    serving = (
        set(
            db.session.scalars(
                select(ProviderNetwork.provider_id).where(
                    ProviderNetwork.provider_id.in_(provider_ids),
                    ProviderNetwork.network_id == city.network_id,
                )
            )
        )
        if provider_ids
        else set()
    )
    network = db.session.scalar(select(Network.code).where(Network.id == city.network_id))
    still_needed = line.remainder
    out = []
    for rank, lot in enumerate(lots):
        suggested = max(0, min(lot.available, still_needed))
        out.append(
            {
                "lot_id": lot.id,
                "lot_code": lot.lot_code,
                "item_id": lot.item_id,
                "provider_id": lot.provider_id,
                "provider_name": names.get(lot.provider_id, ""),
                "location_id": lot.location_id,
                "expires_on": lot.expires_on,
                "available": lot.available,
                "serves_network": lot.provider_id in serving,
                "suggested_quantity": suggested,
                "rationale": rules.rationale(
                    lot_code=lot.lot_code,
                    provider=names.get(lot.provider_id, ""),
                    serves_network=lot.provider_id in serving,
                    city_network=network,
                    expires_on=lot.expires_on,
                    needed_by=request.needed_by,
                    quantity=suggested,
                    needed=still_needed,
                    rank=rank,
                    priority=request.priority,
                    reference=request.reference,
                    verb="Suggested",
                ),
            }
        )
    return out


# --- why nothing is suggested

#: The reasons, in the order they are reported.
WHY_NONE = ("nothing_owed", "no_stock", "all_reserved", "expires_before_needed_by", "quarantined_or_recalled")


def _lot_names(lots: list[StockLot], *, expiry: bool = False, status: bool = False) -> str:
    names = []
    for lot in lots[:10]:
        detail = lot.expires_on.isoformat() if expiry and lot.expires_on else (lot.status if status else "")
        names.append(f"{lot.lot_code} ({detail})" if detail else lot.lot_code)
    return ", ".join(names) + (f" … (+{len(lots) - 10})" if len(lots) > 10 else "")


def why_none(*, request: AssistanceRequest, line: RequestLine) -> dict:
    """Why no lot is suggested for a line, judged by rules.py's facts on every lot of the item with units.

    ``reasons`` (codes of WHY_NONE, empty when some lot is usable): nothing left to allocate; no stock of
    the item anywhere; every lot usable by the needed-by date is reserved; the lots with free units
    expire before the needed-by date; the only stock is quarantined or recalled. ``lots`` names the
    lots behind each reason (with their expiry and status); ``messages`` says it in words.
    """
    item_code = reference.item_code(item_id=line.item_id)
    out: dict = {"line_id": line.id, "item_id": line.item_id, "remainder": line.remainder, "usable_lots": 0}
    if line.remainder <= 0:
        return out | {
            "reasons": ["nothing_owed"],
            "messages": [_l("Nothing left to allocate on this line.")],
            "lots": [],
        }
    lots = db.session.scalars(
        select(StockLot)
        .where(StockLot.item_id == line.item_id, StockLot.on_hand > 0)
        .order_by(StockLot.expires_on, StockLot.id)
    ).all()
    needed_by = request.needed_by

    def lasts(lot: StockLot) -> bool:
        return lot.expires_on is None or lot.expires_on >= needed_by

    usable = [
        lot
        for lot in lots
        if rules.is_usable(
            status=lot.status, free=lot.available, expires_on=lot.expires_on, needed_by=needed_by
        )
    ]
    available = [lot for lot in lots if lot.status == rules.USABLE_STATUS]
    reserved = [lot for lot in available if lot.available <= 0 and lasts(lot)]
    expiring = [lot for lot in available if lot.available > 0 and not lasts(lot)]
    held = [lot for lot in lots if lot.status != rules.USABLE_STATUS]
    out["usable_lots"] = len(usable)
    reasons, messages, named = [], [], []
    if usable:
        pass
    elif not lots:
        reasons.append("no_stock")
        messages.append(_l("No stock of %(item)s anywhere: no lot holds a unit of it.", item=item_code))
    else:
        if reserved:
            reasons.append("all_reserved")
            messages.append(
                _l(
                    "Stock of %(item)s exists, but every lot usable by the needed-by date is reserved: %(lots)s.",
                    item=item_code,
                    lots=_lot_names(reserved),
                )
            )
        if expiring:
            reasons.append("expires_before_needed_by")
            messages.append(
                _l(
                    "Stock of %(item)s exists, but it expires before the needed-by date %(date)s: %(lots)s.",
                    item=item_code,
                    date=needed_by.isoformat(),
                    lots=_lot_names(expiring, expiry=True),
                )
            )
        if held and not available:
            reasons.append("quarantined_or_recalled")
            messages.append(
                _l(
                    "The only stock of %(item)s is quarantined or recalled: %(lots)s.",
                    item=item_code,
                    lots=_lot_names(held, status=True),
                )
            )
        named = [(lot, "reserved") for lot in reserved] + [
            (lot, "expires_before_needed_by") for lot in expiring
        ]
        named += [(lot, lot.status) for lot in held] if not available else []
    return out | {
        "reasons": reasons,
        "messages": messages,
        "lots": [
            {
                "lot_id": lot.id,
                "lot_code": lot.lot_code,
                "provider_id": lot.provider_id,
                "status": lot.status,
                "expires_on": lot.expires_on,
                "on_hand": lot.on_hand,
                "reserved": lot.reserved,
                "available": lot.available,
                "why": why,
            }
            for lot, why in named[:50]
        ],
    }


#: The most allocations of one lot its card lists (newest first); the count says how many there are.
LOT_CARD_LIMIT = 100


def _lot_reservations(lot: StockLot, user: User) -> list[dict]:
    """The allocations of ``lot`` that ``user`` may see, reserved ones first, then newest first."""
    rows = db.session.execute(
        allocations_visible_to(user=user)
        .with_only_columns(
            Allocation.id,
            Allocation.request_id,
            Allocation.quantity,
            Allocation.status,
            Allocation.created_at,
            Allocation.released_at,
            Allocation.dispatch_id,
            AssistanceRequest.reference,
            City.name.label("city"),
        )
        .join(AssistanceRequest, AssistanceRequest.id == Allocation.request_id)
        .join(City, City.id == AssistanceRequest.city_id)
        .where(Allocation.lot_id == lot.id)
        .order_by(sa.case((Allocation.status == AllocationStatus.RESERVED, 0), else_=1), Allocation.id.desc())
        .limit(LOT_CARD_LIMIT)
    ).mappings()
    return [dict(row) for row in rows]


stock_queries.LOT_USES["reservations"] = _lot_reservations


# --- redistribution: the open requests anywhere a lot near expiry could serve ---------------------

#: Requests a redistribution list names at most (its ``total`` counts them all).
REDISTRIBUTION_LIMIT = 50


def lot_of_alert(*, alert: Alert) -> StockLot:
    """The lot a near-expiry alert is about; NotFound for any other alert (an expired lot's included)."""
    details = alert.details or {}
    lot = None
    if alert.kind == "near_expiry" and alert.subject_type == "stock_lot" and not details.get("expired"):
        lot = db.session.get(StockLot, alert.subject_id)
    if lot is None:
        raise NotFound(
            _l("Alert %(id)s is not about a lot near expiry: it has nothing to redistribute.", id=alert.id)
        )
    return lot


def _lines_lot_can_serve(lot: StockLot) -> sa.Select:
    """Open lines of any city and network that ``lot`` could serve: rules.py's served line and usable lot."""
    return (
        select(
            AssistanceRequest,
            RequestLine,
            City.name,
            Network.code,
            serves_network(network_id=City.network_id),
        )
        .join(RequestLine, RequestLine.request_id == AssistanceRequest.id)
        .join(City, City.id == AssistanceRequest.city_id)
        .outerjoin(Network, Network.id == City.network_id)
        .join(StockLot, StockLot.id == lot.id)
        .where(
            RequestLine.item_id == StockLot.item_id,
            rules.served_line_sql(AssistanceRequest, RequestLine),
            rules.usable_sql(StockLot, needed_by=AssistanceRequest.needed_by),
        )
    )


def _provider_sees(provider_id: int) -> sa.ColumnElement[bool]:
    """The requests a provider may see: those it holds an allocation for (its request list's rule)."""
    return AssistanceRequest.id.in_(
        select(Allocation.request_id).where(Allocation.provider_id == provider_id)
    )


def _count(statement: sa.Select) -> int:
    return int(db.session.scalar(select(sa.func.count()).select_from(statement.subquery())) or 0)


def lines_lot_can_serve(
    *, lot: StockLot, provider_id: int | None = None, limit: int = REDISTRIBUTION_LIMIT
) -> dict:
    """The open lines ``lot`` could serve before it expires, most urgent first (rules' queue order).

    ``{"candidates": [...], "total": lines anywhere, "visible": lines named}``: with ``provider_id``
    only the requests that provider may see are named (``visible`` of the ``total``).
    """
    statement = _lines_lot_can_serve(lot)
    total = visible = _count(statement)
    if provider_id is not None:
        statement = statement.where(_provider_sees(provider_id))
        visible = _count(statement)
    rows = db.session.execute(
        statement.order_by(*rules.queue_order_sql(AssistanceRequest)).limit(limit)
    ).all()
    provider = db.session.scalar(select(Provider.name).where(Provider.id == lot.provider_id)) or ""
    out = []
    for request, line, city, network, serves in rows:
        still_needed = line.remainder
        quantity = max(0, min(lot.available, still_needed))
        out.append(
            {
                "request_id": request.id,
                "reference": request.reference,
                "city_id": request.city_id,
                "city": city,
                "network": network,
                "priority": request.priority,
                "needed_by": request.needed_by,
                "line_id": line.id,
                "still_needed": still_needed,
                "suggested_quantity": quantity,
                "serves_network": bool(serves),
                "rationale": rules.rationale(
                    lot_code=lot.lot_code,
                    provider=provider,
                    serves_network=bool(serves),
                    city_network=network,
                    expires_on=lot.expires_on,
                    needed_by=request.needed_by,
                    quantity=quantity,
                    needed=still_needed,
                    priority=request.priority,
                    reference=request.reference,
                    verb="Suggested",
                ),
            }
        )
    return {"candidates": out, "total": total, "visible": visible}


def redistribution(*, user: User, alert: Alert) -> dict:
    """A near-expiry alert's lot and the open requests anywhere it could serve before it expires.

    Staff see every one; the lot's provider sees those it may see and the count of the others
    (``hidden``), as in the alert's own message.
    """
    lot = lot_of_alert(alert=alert)
    provider_id = user.provider_id if user.role == Role.PROVIDER else None
    found = lines_lot_can_serve(lot=lot, provider_id=provider_id)
    item = db.session.get(Item, lot.item_id)
    return {
        "alert_id": alert.id,
        "alert_status": alert.status,
        "lot": {
            "id": lot.id,
            "lot_code": lot.lot_code,
            "item_id": lot.item_id,
            "item_code": item.code,
            "item_name": item.name,
            "item_name_ko": item.name_ko,
            "provider_id": lot.provider_id,
            "provider_name": db.session.scalar(select(Provider.name).where(Provider.id == lot.provider_id)),
            "status": lot.status,
            "expires_on": lot.expires_on,
            "available": lot.available,
        },
        "total": found["total"],
        "hidden": found["total"] - found["visible"],
        "candidates": found["candidates"],
    }
