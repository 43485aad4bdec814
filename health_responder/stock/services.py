"""Every change of a lot's balances, each with its ledger row in the same transaction.

Balances change only through conditional UPDATEs (``… WHERE on_hand - reserved >= :n``) whose
rowcount says whether the stock was really there; the CHECK constraints on ``stock_lot`` back them
up. So two racing reservations of the last unit cannot both succeed, on PostgreSQL (the second
UPDATE waits for the first row lock and re-checks its condition) or on SQLite (IMMEDIATE writers
queue). Callers that touch several lots do it in lot id order, so two transactions never deadlock.

The second half holds the stock feature's own operations (receiving a lot, correcting it, adjusting
it; importing a CSV of lots lives in ``imports.py``): they check role, tenant and input, write the audit event, and call the
primitives above for every change of a balance.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from health_responder.audit import services as audit
from health_responder.audit.actor import Actor
from health_responder.auth.access import STAFF, require_role
from health_responder.auth.models import Role, User
from health_responder.db import utc_today, utcnow
from health_responder.errors import (
    Conflict,
    Duplicate,
    InsufficientStock,
    InvalidTransition,
    NotFound,
    ValidationFailed,
    code_label,
)
from health_responder.extensions import db
from health_responder.providers.models import StockLocation
from health_responder.reference.models import Item
from health_responder.stock.models import ADJUSTMENT_REASONS, LotStatus, MovementKind, StockLot, StockMovement

LOT = StockLot.__table__
#: Called as ``hook(lot=…, before=…)`` after a lot's status changed, in the same transaction: the
#: allocation feature registers the alert on reservations held by a quarantined or recalled lot
#: (allocation.holds; stock does not import allocation, which imports stock).
STATUS_HOOKS: list[Callable[..., None]] = []
#: ``reader(lot_id)`` → the references of the requests holding the lot's reserved units, so that a
#: refused removal can say whose reservation stands in the way (allocation.holds registers it).
RESERVED_FOR: list[Callable[[int], list[str]]] = []

#: Requests a refused removal names at most.
_NAMED_HOLDERS = 5


def _cannot_lose(lot: StockLot, n: int) -> InsufficientStock:
    """The refusal of removing ``n`` units; when reservations (not the count) stand in the way, it says
    who holds them and who frees them: the coordinator releases the allocation on the request.
    """
    facts = {"lot": lot.lot_code, "on_hand": lot.on_hand, "reserved": lot.reserved, "n": n}
    at_most = {"delta": [_l("At most %(n)s can be removed.", n=lot.on_hand - lot.reserved)]}
    if not lot.reserved or n > lot.on_hand:
        return InsufficientStock(
            _l(
                "Lot %(lot)s has %(on_hand)s on hand of which %(reserved)s reserved: it cannot lose %(n)s.",
                **facts,
            ),
            at_most,
        )
    references = [reference for read in RESERVED_FOR for reference in read(lot.id)]
    if not references:
        return InsufficientStock(
            _l(
                "Lot %(lot)s has %(on_hand)s on hand of which %(reserved)s reserved: it cannot lose %(n)s. "
                "Ask the coordinator to release the reservation first.",
                **facts,
            ),
            at_most,
        )
    named = ", ".join(references[:_NAMED_HOLDERS]) + (" …" if len(references) > _NAMED_HOLDERS else "")
    return InsufficientStock(
        _l(
            "Lot %(lot)s has %(on_hand)s on hand of which %(reserved)s reserved: it cannot lose %(n)s. "
            "Reserved for %(requests)s: ask the coordinator to release the allocation first.",
            requests=named,
            **facts,
        ),
        at_most,
    )


def _status_changed(lot: StockLot, before: str) -> None:
    for hook in STATUS_HOOKS:
        hook(lot=lot, before=before)


def ledger_row(
    *,
    lot_id: int | None,
    kind: str,
    actor: Actor,
    delta_on_hand: int = 0,
    delta_reserved: int = 0,
    reason: str | None = None,
    note: str | None = None,
    reference: tuple[str, int | None] | None = None,
    at: datetime | None = None,
) -> dict:
    """The column values of one ledger row (``created_at`` left to the table's default when not given).

    The one place that says how an actor and a reference are stored: the ORM path below makes its
    rows from it, and the bulk allocation takes its shared columns from it.
    """
    row = {
        "lot_id": lot_id,
        "kind": kind,
        "delta_on_hand": delta_on_hand,
        "delta_reserved": delta_reserved,
        "reason": reason,
        "note": note,
        "actor_id": actor.user_id,
        "actor_label": actor.label[:200],
        "job_run_id": actor.job_run_id,
        "reference_type": reference[0] if reference else None,
        "reference_id": reference[1] if reference else None,
    }
    if at is not None:
        row["created_at"] = at
    return row


def _ledger(**values) -> StockMovement:
    movement = StockMovement(**ledger_row(**values))
    db.session.add(movement)
    return movement


def _refresh(lot_id: int) -> None:
    lot = db.session.get(StockLot, lot_id)
    if lot is not None:
        db.session.refresh(lot)


def receive(
    *,
    provider_id: int,
    location_id: int,
    item_id: int,
    lot_code: str,
    expires_on: date | None,
    quantity: int,
    actor: Actor,
    note: str | None = None,
    status: str = LotStatus.AVAILABLE,
    reference: tuple[str, int | None] | None = None,
) -> StockLot:
    """Create a lot with ``quantity`` units on hand and its receipt row in the ledger."""
    if quantity <= 0:
        raise ValidationFailed(
            _l("A received quantity must be positive."), {"quantity": [_l("Must be at least 1.")]}
        )
    lot = StockLot(
        provider_id=provider_id,
        location_id=location_id,
        item_id=item_id,
        lot_code=lot_code,
        expires_on=expires_on,
        status=status,
        on_hand=quantity,
        reserved=0,
        updated_at=utcnow(),
    )
    db.session.add(lot)
    db.session.flush()
    _ledger(
        lot_id=lot.id,
        kind=MovementKind.RECEIPT,
        actor=actor,
        delta_on_hand=quantity,
        note=note,
        reference=reference,
    )
    return lot


def adjust(
    *,
    lot_id: int,
    delta: int,
    reason: str,
    actor: Actor,
    note: str | None = None,
    kind: str = MovementKind.ADJUSTMENT,
    reference: tuple[str, int | None] | None = None,
) -> StockMovement:
    """Add ``delta`` (negative removes) to on hand; refused when it would go below what is reserved."""
    if delta == 0:
        raise ValidationFailed(
            _l("An adjustment must change the quantity."), {"delta": [_l("Must not be 0.")]}
        )
    result = db.session.execute(
        sa.update(LOT)
        .where(LOT.c.id == lot_id, LOT.c.on_hand + delta >= LOT.c.reserved)
        .values(on_hand=LOT.c.on_hand + delta, updated_at=utcnow())
    )
    if result.rowcount != 1:
        lot = db.session.get(StockLot, lot_id)
        if lot is None:
            raise NotFound(_l("No stock lot %(id)s.", id=lot_id))
        db.session.refresh(lot)
        raise _cannot_lose(lot, -delta)
    movement = _ledger(
        lot_id=lot_id,
        kind=kind,
        actor=actor,
        delta_on_hand=delta,
        reason=reason,
        note=note,
        reference=reference,
    )
    _refresh(lot_id)
    return movement


def reserve(
    *,
    lot_id: int,
    quantity: int,
    actor: Actor,
    reference: tuple[str, int | None],
    usable: sa.ColumnElement[bool] | None = None,
    usable_on: date | None = None,
) -> StockMovement:
    """Reserve ``quantity`` units of an available lot; InsufficientStock when they are not there.

    ``usable``: the caller's rule for a lot it may take (allocation.rules.usable_sql over this table),
    added to the conditional UPDATE; ``usable_on``: the date it judged for (the line's needed-by),
    to explain a refusal.
    """
    if quantity <= 0:
        raise ValidationFailed(
            _l("A reserved quantity must be positive."), {"quantity": [_l("Must be at least 1.")]}
        )
    condition = [
        LOT.c.id == lot_id,
        LOT.c.status == LotStatus.AVAILABLE,
        LOT.c.on_hand - LOT.c.reserved >= quantity,
    ]
    if usable is not None:
        condition.append(usable)
    result = db.session.execute(
        sa.update(LOT).where(*condition).values(reserved=LOT.c.reserved + quantity, updated_at=utcnow())
    )
    if result.rowcount != 1:
        lot = db.session.get(StockLot, lot_id)
        if lot is None:
            raise NotFound(_l("No stock lot %(id)s.", id=lot_id))
        db.session.refresh(lot)
        if lot.status != LotStatus.AVAILABLE:
            raise Conflict(
                _l(
                    "Lot %(lot)s is %(status)s; only available lots can be reserved.",
                    lot=lot.lot_code,
                    status=code_label(lot.status),
                ),
                {"lot_id": [_l("Lot is %(status)s.", status=code_label(lot.status))]},
            )
        if usable_on is not None and lot.expires_on is not None and lot.expires_on < usable_on:
            raise Conflict(
                _l(
                    "Lot %(lot)s expires on %(date)s, before %(needed_by)s.",
                    lot=lot.lot_code,
                    date=str(lot.expires_on),
                    needed_by=str(usable_on),
                ),
                {"lot_id": [_l("Expires before the date it is needed by.")]},
            )
        raise InsufficientStock(
            _l(
                "Lot %(lot)s has only %(available)s available; asked for %(n)s.",
                lot=lot.lot_code,
                available=lot.available,
                n=quantity,
            ),
            {"quantity": [_l("Only %(n)s available.", n=lot.available)]},
        )
    movement = _ledger(
        lot_id=lot_id,
        kind=MovementKind.RESERVATION,
        actor=actor,
        delta_reserved=quantity,
        reference=reference,
    )
    _refresh(lot_id)
    return movement


def release(
    *, lot_id: int, quantity: int, actor: Actor, reference: tuple[str, int | None], note: str | None = None
) -> StockMovement:
    """Give back ``quantity`` reserved units (an allocation released, a request cancelled)."""
    if quantity <= 0:
        raise ValidationFailed(
            _l("A released quantity must be positive."), {"quantity": [_l("Must be at least 1.")]}
        )
    result = db.session.execute(
        sa.update(LOT)
        .where(LOT.c.id == lot_id, LOT.c.reserved >= quantity)
        .values(reserved=LOT.c.reserved - quantity, updated_at=utcnow())
    )
    if result.rowcount != 1:
        raise Conflict(_l("Lot %(id)s does not hold %(n)s reserved units to release.", id=lot_id, n=quantity))
    movement = _ledger(
        lot_id=lot_id,
        kind=MovementKind.RELEASE,
        actor=actor,
        delta_reserved=-quantity,
        reference=reference,
        note=note,
    )
    _refresh(lot_id)
    return movement


def ship(*, lot_id: int, quantity: int, actor: Actor, reference: tuple[str, int | None]) -> StockMovement:
    """Move ``quantity`` reserved units out of the warehouse (on hand and reserved both drop)."""
    if quantity <= 0:
        raise ValidationFailed(
            _l("A shipped quantity must be positive."), {"quantity": [_l("Must be at least 1.")]}
        )
    result = db.session.execute(
        sa.update(LOT)
        .where(LOT.c.id == lot_id, LOT.c.reserved >= quantity, LOT.c.on_hand >= quantity)
        .values(on_hand=LOT.c.on_hand - quantity, reserved=LOT.c.reserved - quantity, updated_at=utcnow())
    )
    if result.rowcount != 1:
        raise Conflict(_l("Lot %(id)s does not hold %(n)s reserved units to ship.", id=lot_id, n=quantity))
    movement = _ledger(
        lot_id=lot_id,
        kind=MovementKind.DISPATCH,
        actor=actor,
        delta_on_hand=-quantity,
        delta_reserved=-quantity,
        reference=reference,
    )
    _refresh(lot_id)
    return movement


def set_status(*, lot_id: int, status: str, actor: Actor, note: str | None = None) -> StockLot:
    """Quarantine, recall or release a lot; it keeps its reservations (people decide what to do with them)."""
    if status not in set(LotStatus):
        raise ValidationFailed(
            _l("Unknown lot status."), {"status": [_l("One of: %(choices)s.", choices=", ".join(LotStatus))]}
        )
    lot = db.session.get(StockLot, lot_id)
    if lot is None:
        raise NotFound(_l("No stock lot %(id)s.", id=lot_id))
    before, lot.status = lot.status, status
    lot.updated_at = utcnow()
    db.session.flush()
    _status_changed(lot, before)
    return lot


def ledger_mismatches() -> list[int]:
    """Ids of lots whose ledger does not sum to their balances (an empty list is the invariant)."""
    sums = (
        sa.select(
            StockMovement.lot_id,
            sa.func.sum(StockMovement.delta_on_hand).label("on_hand"),
            sa.func.sum(StockMovement.delta_reserved).label("reserved"),
        )
        .group_by(StockMovement.lot_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(LOT.c.id)
        .select_from(LOT.outerjoin(sums, sums.c.lot_id == LOT.c.id))
        .where(
            sa.or_(
                sa.func.coalesce(sums.c.on_hand, 0) != LOT.c.on_hand,
                sa.func.coalesce(sums.c.reserved, 0) != LOT.c.reserved,
            )
        )
    )
    return [row[0] for row in rows]


# --- The stock feature's operations: role, tenant and input checks, audit, then the primitives above.

#: The statuses a lot may move to from each status; a recall is final.
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    LotStatus.AVAILABLE: frozenset({LotStatus.QUARANTINED, LotStatus.RECALLED}),
    LotStatus.QUARANTINED: frozenset({LotStatus.AVAILABLE, LotStatus.RECALLED}),
    LotStatus.RECALLED: frozenset(),
}
_STATUS_VERBS = {
    LotStatus.AVAILABLE: _l("release"),
    LotStatus.QUARANTINED: _l("quarantine"),
    LotStatus.RECALLED: _l("recall"),
}
LOT_FIELDS = (
    "provider_id",
    "location_id",
    "item_id",
    "lot_code",
    "expires_on",
    "status",
    "on_hand",
    "reserved",
)
MAX_LOT_CODE = 80
MAX_NOTE = 2000


def _snapshot(lot: StockLot) -> dict:
    return {name: getattr(lot, name) for name in LOT_FIELDS}


def _check_lot_tenant(lot: StockLot, by: User) -> None:
    require_role(by, Role.PROVIDER, *STAFF)
    if by.role == Role.PROVIDER and lot.provider_id != by.provider_id:
        raise NotFound(_l("No stock lot %(id)s.", id=lot.id))


def _ensure_new_lot_code(
    *, location_id: int, item_id: int, lot_code: str, exclude_id: int | None = None
) -> None:
    existing = db.session.scalar(
        select(StockLot.id).where(
            StockLot.location_id == location_id, StockLot.item_id == item_id, StockLot.lot_code == lot_code
        )
    )
    if existing is not None and existing != exclude_id:
        raise _duplicate_from(lot_code)


def _duplicate_from(lot_code: str) -> Duplicate:
    """The answer to a lot code taken for its item at its location (checked before, or a unique-key race lost)."""
    return Duplicate(
        _l("Lot %(lot)s of this item already exists at this location.", lot=repr(lot_code)),
        {"lot_code": [_l("Already exists for this item at this location.")]},
    )


def create_lot(
    *,
    by: User,
    item_id: int,
    location_id: int,
    lot_code: str,
    expires_on: date | None,
    quantity: int,
    status: str = LotStatus.AVAILABLE,
    note: str | None = None,
) -> StockLot:
    """Receive a new lot at a location of the caller's provider (staff: of any provider)."""
    require_role(by, Role.PROVIDER, *STAFF)
    errors: dict[str, list] = {}
    item = db.session.get(Item, item_id)
    if item is None:
        errors["item_id"] = [_l("No item %(id)s.", id=item_id)]
    elif not item.active:
        errors["item_id"] = [_l("Item %(code)s is no longer in the catalogue.", code=item.code)]
    location = db.session.get(StockLocation, location_id)
    if location is None or (by.role == Role.PROVIDER and location.provider_id != by.provider_id):
        # Another provider's location reads as no location: ids leak nothing.
        errors["location_id"] = [
            _l("No stock location %(id)s of your provider.", id=location_id)
            if by.role == Role.PROVIDER
            else _l("No stock location %(id)s.", id=location_id)
        ]
    elif not location.active:
        errors["location_id"] = [_l("Location %(name)s is inactive.", name=repr(location.name))]
    lot_code = lot_code.strip()
    if not lot_code or len(lot_code) > MAX_LOT_CODE:
        errors["lot_code"] = [_l("1 to %(n)s characters.", n=MAX_LOT_CODE)]
    if expires_on is not None and expires_on < utc_today():
        errors["expires_on"] = [
            _l("%(date)s is in the past: an expired lot cannot be received.", date=expires_on.isoformat())
        ]
    if quantity <= 0:
        errors["quantity"] = [_l("Must be at least 1.")]
    if status not in set(LotStatus):
        errors["status"] = [_l("One of: %(choices)s.", choices=", ".join(LotStatus))]
    if errors:
        raise ValidationFailed(_l("The lot cannot be received: see errors for each field."), errors)
    _ensure_new_lot_code(location_id=location.id, item_id=item.id, lot_code=lot_code)
    try:
        lot = receive(
            provider_id=location.provider_id,
            location_id=location.id,
            item_id=item.id,
            lot_code=lot_code,
            expires_on=expires_on,
            quantity=quantity,
            actor=Actor.of(by),
            note=note,
            status=status,
        )
        db.session.flush()
    except IntegrityError as error:
        raise _duplicate_from(lot_code) from error
    audit.record(action="stock_lot.create", subject=lot, by=by, after=_snapshot(lot) | {"note": note})
    return lot


def update_lot(*, lot: StockLot, by: User, note: str | None = None, **values) -> StockLot:
    """Correct a lot's code or expiry date, or quarantine, recall or release it; audited before and after."""
    _check_lot_tenant(lot, by)
    unknown = set(values) - {"lot_code", "expires_on", "status"}
    if unknown:
        raise ValidationFailed(
            _l("These fields cannot be changed."), {name: [_l("Cannot be changed.")] for name in unknown}
        )
    changes = {name: value for name, value in values.items() if getattr(lot, name) != value}
    if "lot_code" in changes:
        changes["lot_code"] = changes["lot_code"].strip()
        if not changes["lot_code"] or len(changes["lot_code"]) > MAX_LOT_CODE:
            raise ValidationFailed(
                _l("Invalid lot code."), {"lot_code": [_l("1 to %(n)s characters.", n=MAX_LOT_CODE)]}
            )
        _ensure_new_lot_code(
            location_id=lot.location_id, item_id=lot.item_id, lot_code=changes["lot_code"], exclude_id=lot.id
        )
    if "status" in changes:
        target = changes["status"]
        if target not in set(LotStatus):
            raise ValidationFailed(
                _l("Unknown lot status."),
                {"status": [_l("One of: %(choices)s.", choices=", ".join(LotStatus))]},
            )
        if target not in STATUS_TRANSITIONS[lot.status]:
            raise InvalidTransition(_l("lot"), lot.status, target, action=_STATUS_VERBS[target])
    if not changes:
        return lot
    before = _snapshot(lot)
    for name, value in changes.items():
        setattr(lot, name, value)
    lot.updated_at = utcnow()
    try:
        db.session.flush()
    except IntegrityError as error:
        raise _duplicate_from(lot.lot_code) from error
    audit.record(
        action="stock_lot.update", subject=lot, by=by, before=before, after=_snapshot(lot) | {"note": note}
    )
    _status_changed(lot, before["status"])
    return lot


def adjust_lot(*, lot: StockLot, by: User, delta: int, reason: str, note: str | None = None) -> StockMovement:
    """Add or remove units after a count, a loss, damage …; never below what is reserved (409)."""
    _check_lot_tenant(lot, by)
    if reason not in ADJUSTMENT_REASONS:
        raise ValidationFailed(
            _l("Unknown adjustment reason."),
            {"reason": [_l("One of: %(choices)s.", choices=", ".join(ADJUSTMENT_REASONS))]},
        )
    movement = adjust(lot_id=lot.id, delta=delta, reason=reason, actor=Actor.of(by), note=note)
    audit.record(
        action="stock_lot.adjust",
        subject=lot,
        by=by,
        before={"on_hand": lot.on_hand - delta, "reserved": lot.reserved},
        after={
            "on_hand": lot.on_hand,
            "reserved": lot.reserved,
            "delta": delta,
            "reason": reason,
            "note": note,
            "movement_id": movement.id,
        },
    )
    return movement
