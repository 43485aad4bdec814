"""Reads of stock: lots, their ledger, levels per item, and the rows of a CSV export.

Tenancy lives here: a provider user sees its own lots only, coordinators and admins see every lot,
and city users see no stock at all (403). Another provider's lot answers 404, like no lot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.auth.models import STAFF, Role, User
from health_responder.db import by_id, paginate, utc_today
from health_responder.errors import Forbidden, NotFound
from health_responder.extensions import db
from health_responder.providers.models import Provider, ProviderNetwork, StockLocation
from health_responder.reference.models import Item
from health_responder.stock.models import LotStatus, StockLot, StockMovement

_AVAILABLE = StockLot.on_hand - StockLot.reserved
# Lots without an expiry date sort after every dated lot, on SQLite and PostgreSQL alike.
_EXPIRY_SORT = sa.func.coalesce(StockLot.expires_on, date(9999, 12, 31))
_ITEM_CODE = select(Item.code).where(Item.id == StockLot.item_id).correlate(StockLot).scalar_subquery()
LOT_ORDER = {
    "id": StockLot.id,
    "expires_on": _EXPIRY_SORT,
    "lot_code": StockLot.lot_code,
    "available": _AVAILABLE,
    "on_hand": StockLot.on_hand,
    "reserved": StockLot.reserved,
    "status": StockLot.status,
    "item": _ITEM_CODE,
    "provider": select(Provider.name)
    .where(Provider.id == StockLot.provider_id)
    .correlate(StockLot)
    .scalar_subquery(),
    "location": select(StockLocation.name)
    .where(StockLocation.id == StockLot.location_id)
    .correlate(StockLot)
    .scalar_subquery(),
}


def _ensure_sees_stock(user: User) -> None:
    if user.role not in (Role.PROVIDER, *STAFF):
        raise Forbidden(_l("Your role (%(role)s) does not see stock.", role=user.role))


def lots_visible_to(*, user: User) -> sa.Select:
    """The lots ``user`` may see: the only way to list lots."""
    _ensure_sees_stock(user)
    statement = select(StockLot)
    if user.role == Role.PROVIDER:
        statement = statement.where(StockLot.provider_id == user.provider_id)
    return statement


def _filtered(statement: sa.Select, args: dict) -> sa.Select:
    for name in ("item_id", "location_id", "provider_id", "status"):
        if args.get(name) is not None:
            statement = statement.where(getattr(StockLot, name) == args[name])
    if args.get("expires_before") is not None:
        statement = statement.where(StockLot.expires_on < args["expires_before"])
    if args.get("expires_after") is not None:
        statement = statement.where(StockLot.expires_on > args["expires_after"])
    if args.get("available_min") is not None:
        statement = statement.where(args["available_min"] <= _AVAILABLE)
    if args.get("q") and args["q"].strip():
        # Case-insensitive; % and _ match themselves.
        statement = statement.where(StockLot.lot_code.icontains(args["q"].strip(), autoescape=True))
    return statement


def list_lots(*, user: User, args: dict) -> dict:
    """A page of the lots ``user`` sees, filtered and ordered as ``args`` say."""
    return paginate(db.session, _filtered(lots_visible_to(user=user), args), args, LOT_ORDER)


def lots_by_item_page(*, user: User, filters: dict, page: int, page_size: int, order_by: str | None) -> dict:
    """A page of the lots ``user`` sees, grouped by item (item code first), each item's lots in ``order_by``.

    ``order_by`` names a LOT_ORDER column (``-`` for descending); by default the earliest expiry first.
    """
    name = order_by or "expires_on"
    column = LOT_ORDER[name.lstrip("-")]
    order = (_ITEM_CODE.asc(), column.desc() if name.startswith("-") else column.asc())
    statement = _filtered(lots_visible_to(user=user), filters)
    args = {"page": page, "page_size": page_size}
    return paginate(db.session, statement, args, {"id": StockLot.id}, default_order=order)


def get_lot(*, user: User, lot_id: int) -> StockLot:
    """One lot ``user`` may see, or NotFound (also for another provider's lot)."""
    lot = db.session.scalar(lots_visible_to(user=user).where(StockLot.id == lot_id))
    if lot is None:
        raise NotFound(_l("No stock lot %(id)s.", id=lot_id))
    return lot


def list_movements(*, lot: StockLot, args: dict) -> dict:
    """A page of one lot's ledger, oldest first unless ordered otherwise."""
    statement = select(StockMovement).where(StockMovement.lot_id == lot.id)
    if args.get("kind"):
        statement = statement.where(StockMovement.kind == args["kind"])
    return paginate(
        db.session, statement, args, {"id": StockMovement.id, "created_at": StockMovement.created_at}
    )


LEVEL_COLUMNS = {
    "item_id": Item.id,
    "code": Item.code,
    "name": Item.name,
    "category": Item.category,
}


def stock_levels(*, user: User, args: dict) -> dict:
    """A page of per-item totals over the lots ``user`` sees, in one grouped query.

    ``available`` sums every lot's on hand minus reserved (as each lot shows it); ``allocatable`` only
    that of available, unexpired lots; ``on_hold`` is on hand in quarantined or recalled lots and
    ``expired`` on hand in available lots past their date.
    """
    _ensure_sees_stock(user)
    today = utc_today()
    usable = sa.and_(
        StockLot.status == LotStatus.AVAILABLE,
        sa.or_(StockLot.expires_on.is_(None), StockLot.expires_on >= today),
    )
    totals = {
        "on_hand": sa.func.sum(StockLot.on_hand),
        "reserved": sa.func.sum(StockLot.reserved),
        "available": sa.func.sum(_AVAILABLE),
        "allocatable": sa.func.sum(sa.case((usable, _AVAILABLE), else_=0)),
        "on_hold": sa.func.sum(sa.case((StockLot.status != LotStatus.AVAILABLE, StockLot.on_hand), else_=0)),
        "expired": sa.func.sum(
            sa.case(
                (
                    sa.and_(StockLot.status == LotStatus.AVAILABLE, StockLot.expires_on < today),
                    StockLot.on_hand,
                ),
                else_=0,
            )
        ),
        "lots": sa.func.count(StockLot.id),
        "providers": sa.func.count(sa.distinct(StockLot.provider_id)),
    }
    statement = (
        sa.select(
            Item.id.label("item_id"),
            Item.code,
            Item.name,
            Item.category,
            Item.unit,
            *(expression.label(name) for name, expression in totals.items()),
        )
        .select_from(StockLot)
        .join(Item, Item.id == StockLot.item_id)
        .group_by(Item.id, Item.code, Item.name, Item.category, Item.unit)
    )
    if user.role == Role.PROVIDER:
        statement = statement.where(StockLot.provider_id == user.provider_id)
    if args.get("item_id") is not None:
        statement = statement.where(StockLot.item_id == args["item_id"])
    if args.get("category"):
        statement = statement.where(Item.category == args["category"])
    if args.get("provider_id") is not None:
        statement = statement.where(StockLot.provider_id == args["provider_id"])
    if args.get("network_id") is not None:
        statement = statement.where(
            StockLot.provider_id.in_(
                select(ProviderNetwork.provider_id).where(ProviderNetwork.network_id == args["network_id"])
            )
        )
    order = args.get("order_by") or "code"
    key = LEVEL_COLUMNS.get(order.lstrip("-"), totals.get(order.lstrip("-")))
    keys = [key.desc() if order.startswith("-") else key.asc(), Item.id.asc()]
    page, size = args.get("page", 1), args.get("page_size", 20)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(statement.subquery()))
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


def export_rows(*, user: User | None, args: dict, batch: int = 500) -> Iterator[dict]:
    """Every lot ``user`` sees under ``args``'s filters, with item code and location name, in id order.

    ``user`` is None only for the command line, whose operator sees every lot. Rows are read in
    batches by id (keyset), so a large export neither holds one long cursor nor loads every lot.
    """
    visible = lots_visible_to(user=user) if user is not None else select(StockLot)
    base = (
        _filtered(visible, args)
        .with_only_columns(
            StockLot.id,
            Provider.name.label("provider"),
            Item.code.label("item_code"),
            Item.name.label("item_name"),
            Item.name_ko.label("item_name_ko"),
            StockLocation.name.label("location"),
            StockLot.location_id,
            StockLot.lot_code,
            StockLot.expires_on,
            StockLot.status,
            StockLot.on_hand,
            StockLot.reserved,
            _AVAILABLE.label("available"),
        )
        .join(Item, Item.id == StockLot.item_id)
        .join(StockLocation, StockLocation.id == StockLot.location_id)
        .join(Provider, Provider.id == StockLot.provider_id)
        .order_by(StockLot.id)
        .limit(batch)
    )
    last = 0
    while True:
        rows = db.session.execute(base.where(StockLot.id > last)).mappings().all()
        yield from (dict(row) for row in rows)
        if len(rows) < batch:
            return
        last = rows[-1]["id"]


def provider_named(*, name: str) -> Provider:
    """The provider with this exact name, or NotFound."""
    provider = db.session.scalar(select(Provider).where(Provider.name == name))
    if provider is None:
        raise NotFound(_l("No provider named %(name)s.", name=repr(name)))
    return provider


# --- reads the pages need -------------------------------------------------------------------------


def lots_by_id(*, ids) -> dict[int, StockLot]:
    """The lots whose id is in ``ids``, by id (lots named by rows the caller may already see)."""
    return by_id(db.session, StockLot, ids)


def lots_expiring(*, user: User, until: date, limit: int = 10) -> list[StockLot]:
    """Lots ``user`` sees with units on hand that expire on or before ``until``, soonest first."""
    return db.session.scalars(
        lots_visible_to(user=user)
        .where(StockLot.expires_on.is_not(None), StockLot.expires_on <= until, StockLot.on_hand > 0)
        .order_by(StockLot.expires_on, StockLot.id)
        .limit(limit)
    ).all()


#: Availability levels the public directory shows instead of quantities.
IN_STOCK, LOW, OUT = "in_stock", "low", "out"


def availability_level(*, available: int, threshold: int) -> str:
    """``out`` at nothing usable, ``low`` at or below ``threshold`` units, else ``in_stock``."""
    if available <= 0:
        return OUT
    return LOW if available <= threshold else IN_STOCK


def category_availability(*, provider_id: int, today, threshold: int) -> list[dict]:
    """A provider's equipment categories, each with its availability level for the public (never a quantity)."""
    usable = sa.case(
        (
            sa.and_(
                StockLot.status == LotStatus.AVAILABLE,
                sa.or_(StockLot.expires_on.is_(None), StockLot.expires_on >= today),
            ),
            StockLot.on_hand - StockLot.reserved,
        ),
        else_=0,
    )
    rows = db.session.execute(
        select(Item.category, sa.func.sum(usable))
        .select_from(StockLot)
        .join(Item, Item.id == StockLot.item_id)
        .where(StockLot.provider_id == provider_id)
        .group_by(Item.category)
        .order_by(Item.category)
    ).all()
    return [
        {
            "category": category,
            "level": availability_level(available=int(available or 0), threshold=threshold),
        }
        for category, available in rows
    ]


# --- the lot card ---------------------------------------------------------------------------------

#: What other features hold of a lot, shown on its card: ``name → read(lot, user)`` giving a list of
#: rows. The features that use lots register their reader at import (allocation: ``reservations``,
#: dispatch: ``dispatches``); they import stock, so stock never imports them back.
LOT_USES: dict[str, Callable[[StockLot, User], list[dict]]] = {}


def lot_uses(*, user: User, lot: StockLot) -> dict[str, list[dict]]:
    """Each registered use of ``lot`` that ``user`` may see, by name (an empty list where there is none)."""
    return {name: read(lot, user) for name, read in LOT_USES.items()}


def ledger_page(*, lot: StockLot, args: dict) -> dict:
    """A page of the lot's movements, newest first, each with the lot's balances just after it.

    The balance after the page's newest row is the sum of every row up to it (one query); walking
    down the page undoes one row at a time, so every page shows a true running balance.
    """
    page = list_movements(lot=lot, args=args | {"order_by": "-id"})
    rows = page["items"]
    on_hand = reserved = 0
    if rows:
        on_hand, reserved = db.session.execute(
            sa.select(
                sa.func.coalesce(sa.func.sum(StockMovement.delta_on_hand), 0),
                sa.func.coalesce(sa.func.sum(StockMovement.delta_reserved), 0),
            ).where(StockMovement.lot_id == lot.id, StockMovement.id <= rows[0].id)
        ).one()
    entries = []
    for movement in rows:
        entries.append({"movement": movement, "on_hand": on_hand, "reserved": reserved})
        on_hand -= movement.delta_on_hand
        reserved -= movement.delta_reserved
    return page | {"items": entries}
