"""Writes of dispatches: prepare, ship, cancel (the city's receipt and replacements: ``receipts``).

prepared ─ship─▶ shipped ─receipt─▶ received ; prepared ─cancel─▶ cancelled.

Locks follow the order of the request services: the request row first, then the dispatch, then lots
in id order. Cancelling a *dispatch* only detaches its allocations: they stay reserved for the next
dispatch (the stock is still promised to the request). Cancelling or closing the *request* cancels
its prepared dispatches with ``cancel_prepared_of`` (the same cancellation) and then releases the
allocations (allocation.services.release_all).
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlmodel import select

from health_responder.allocation import holds, rules
from health_responder.allocation.models import Allocation, AllocationStatus
from health_responder.audit import services as audit
from health_responder.audit.actor import Actor
from health_responder.auth.access import STAFF, require_role
from health_responder.auth.models import Role, User
from health_responder.db import utcnow
from health_responder.dispatch import snapshot
from health_responder.dispatch.models import (
    TRANSITIONS,
    Dispatch,
    DispatchLine,
    DispatchStatus,
)
from health_responder.errors import Conflict, InvalidTransition, NotFound, ValidationFailed, code_label
from health_responder.extensions import db
from health_responder.health_requests import services as requests
from health_responder.health_requests.models import (
    FULFILLING,
    AssistanceRequest,
    RequestLine,
    RequestStatus,
)
from health_responder.notifications import services as notifications
from health_responder.stock import services as stock
from health_responder.stock.models import StockLot

D = DispatchStatus
LINES = RequestLine.__table__
ALLOCATIONS = Allocation.__table__
#: The words of a refused transition's message ("Cannot ship a dispatch that is cancelled …").
DISPATCH, REQUEST = _l("dispatch"), _l("request")


def check_tenant(dispatch: Dispatch, by: User) -> None:
    """A provider acts on its own dispatches, a city on those to it; others are not found."""
    if (by.role == Role.PROVIDER and dispatch.provider_id != by.provider_id) or (
        by.role == Role.CITY and dispatch.city_id != by.city_id
    ):
        raise NotFound(_l("No dispatch %(id)s.", id=dispatch.id))


def lock_dispatch(dispatch_id: int) -> Dispatch:
    """The dispatch, read afresh and locked for this transaction; NotFound otherwise."""
    found = db.session.scalar(
        select(Dispatch)
        .where(Dispatch.id == dispatch_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if found is None:
        raise NotFound(_l("No dispatch %(id)s.", id=dispatch_id))
    return found


def check_state(dispatch: Dispatch, action: str, verb) -> None:
    """InvalidTransition unless ``action`` may be taken from the dispatch's status."""
    allowed, target = TRANSITIONS[action]
    if dispatch.status not in allowed:
        raise InvalidTransition(DISPATCH, dispatch.status, target, action=verb)


def lines_of(dispatch_id: int) -> list[DispatchLine]:
    """The dispatch's lines in id order."""
    return list(
        db.session.scalars(
            select(DispatchLine)
            .where(DispatchLine.dispatch_id == dispatch_id)
            .order_by(DispatchLine.id)
            .execution_options(populate_existing=True)
        )
    )


def _refuse_unusable_lots(lot_ids: list[int], message) -> None:
    """Lock the lots (id order) and answer 409 naming each one quarantined or recalled since its reservation.

    ``message`` takes ``lots`` ("L-1 (recalled), L-2 (quarantined)"); the rule is allocation.rules'.
    """
    lots = db.session.scalars(
        select(StockLot)
        .where(StockLot.id.in_(lot_ids))
        .order_by(StockLot.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    held = [(lot.lot_code, lot.status) for lot in lots if not rules.is_dispatchable(status=lot.status)]
    if held:
        # Joined when shown, so each status is worded in the language of the page or the API.
        names = LazyString(lambda: ", ".join(f"{code} ({code_label(status)})" for code, status in held))
        raise Conflict(
            message(lots=names),
            {
                "lot_id": [
                    _l("Lot %(lot)s is %(status)s.", lot=code, status=code_label(status))
                    for code, status in held
                ]
            },
        )


def _provider_of(by: User, provider_id: int | None) -> int:
    if by.role == Role.PROVIDER:
        if provider_id is not None and provider_id != by.provider_id:
            raise ValidationFailed(
                _l("Providers dispatch their own allocations."),
                {"provider_id": [_l("Leave it out, or give your own provider.")]},
            )
        return by.provider_id
    if provider_id is None:
        raise ValidationFailed(
            _l("Say whose allocations to dispatch."), {"provider_id": [_l("Required for coordinators.")]}
        )
    return provider_id


def create_dispatch(
    *,
    request: AssistanceRequest,
    by: User,
    location_id: int | None = None,
    provider_id: int | None = None,
    notes: str | None = None,
) -> Dispatch:
    """A prepared dispatch of one provider's reserved, not yet dispatched allocations for the request.

    One location per dispatch: when the allocations' lots are at several, ``location_id`` says which.
    Lines: one per request line and lot, quantities summed.
    """
    require_role(by, Role.PROVIDER, *STAFF)
    provider_id = _provider_of(by, provider_id)
    request = requests.lock_request(request.id)
    if request.status not in FULFILLING:
        raise InvalidTransition(
            REQUEST, request.status, RequestStatus.PARTIALLY_DISPATCHED, action=_l("prepare a dispatch for")
        )
    rows = db.session.execute(
        select(Allocation, StockLot.location_id, StockLot.item_id)
        .join(StockLot, StockLot.id == Allocation.lot_id)
        .where(
            Allocation.request_id == request.id,
            Allocation.provider_id == provider_id,
            Allocation.status == AllocationStatus.RESERVED,
            Allocation.dispatch_id.is_(None),
        )
        .order_by(Allocation.id)
        .with_for_update(of=Allocation)
        .execution_options(populate_existing=True)
    ).all()
    if not rows:
        raise Conflict(
            _l("No reserved allocation of this provider is waiting to be dispatched for this request."),
            {"request_id": [_l("Nothing reserved to dispatch.")]},
        )
    locations = sorted({location for _a, location, _i in rows})
    if location_id is None:
        if len(locations) > 1:
            raise ValidationFailed(
                _l("The reserved stock is at several locations: prepare one dispatch per location."),
                {
                    "location_id": [
                        _l("Choose one of: %(choices)s.", choices=", ".join(str(x) for x in locations))
                    ]
                },
            )
        location_id = locations[0]
    elif location_id not in locations:
        raise ValidationFailed(
            _l("Nothing reserved for this request at that location."),
            {
                "location_id": [
                    _l("Choose one of: %(choices)s.", choices=", ".join(str(x) for x in locations))
                ]
            },
        )
    chosen = [(allocation, item_id) for allocation, location, item_id in rows if location == location_id]
    _refuse_unusable_lots(
        sorted({allocation.lot_id for allocation, _item in chosen}),
        lambda lots: _l(
            "Cannot prepare a dispatch holding lot %(lots)s: quarantined or recalled stock may not leave "
            "the warehouse. A coordinator releases its reservation and allocates another lot.",
            lots=lots,
        ),
    )
    now = utcnow()
    dispatch = Dispatch(
        request_id=request.id,
        provider_id=provider_id,
        location_id=location_id,
        city_id=request.city_id,
        status=D.PREPARED,
        notes=notes,
        created_by_id=by.id,
        created_at=now,
    )
    db.session.add(dispatch)
    db.session.flush()
    dispatch.reference = requests.reference_for("DSP", now.year, dispatch.id)
    summed: dict[tuple[int, int], list] = {}
    for allocation, item_id in chosen:
        entry = summed.setdefault((allocation.line_id, allocation.lot_id), [item_id, 0])
        entry[1] += allocation.quantity
    for (line_id, lot_id), (item_id, quantity) in sorted(summed.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        db.session.add(
            DispatchLine(
                dispatch_id=dispatch.id,
                request_line_id=line_id,
                lot_id=lot_id,
                item_id=item_id,
                quantity=quantity,
            )
        )
    ids = [allocation.id for allocation, _item in chosen]
    result = db.session.execute(
        sa.update(ALLOCATIONS)
        .where(
            ALLOCATIONS.c.id.in_(ids),
            ALLOCATIONS.c.dispatch_id.is_(None),
            ALLOCATIONS.c.status == AllocationStatus.RESERVED,
        )
        .values(dispatch_id=dispatch.id)
    )
    if result.rowcount != len(ids):
        raise Conflict(_l("Some of these allocations changed meanwhile; try again."))
    db.session.flush()
    audit.record(
        action="dispatch.create",
        subject=dispatch,
        by=by,
        after={
            "reference": dispatch.reference,
            "request_id": request.id,
            "provider_id": provider_id,
            "location_id": location_id,
            "allocation_ids": ids,
            "lines": [[line_id, lot_id, quantity] for (line_id, lot_id), (_i, quantity) in summed.items()],
        },
    )
    return dispatch


def prepare_all(*, request: AssistanceRequest, by: User) -> list[Dispatch]:
    """Every dispatch the request's waiting allocations make, in one go: one per provider and location.

    A provider prepares its own (its allocations at each of its locations); staff every provider's.
    Each dispatch is ``create_dispatch``'s, checked as it is; nothing waiting answers 409.
    """
    require_role(by, Role.PROVIDER, *STAFF)
    statement = (
        select(Allocation.provider_id, StockLot.location_id)
        .join(StockLot, StockLot.id == Allocation.lot_id)
        .where(
            Allocation.request_id == request.id,
            Allocation.status == AllocationStatus.RESERVED,
            Allocation.dispatch_id.is_(None),
        )
        .distinct()
        .order_by(Allocation.provider_id, StockLot.location_id)
    )
    if by.role == Role.PROVIDER:
        statement = statement.where(Allocation.provider_id == by.provider_id)
    groups = db.session.execute(statement).all()
    if not groups:
        raise Conflict(
            _l("No reserved allocation is waiting to be dispatched for this request."),
            {"request_id": [_l("Nothing reserved to dispatch.")]},
        )
    return [
        create_dispatch(
            request=request,
            by=by,
            location_id=location_id,
            provider_id=None if by.role == Role.PROVIDER else provider_id,
        )
        for provider_id, location_id in groups
    ]


def ship(*, dispatch: Dispatch, by: User, carrier: str, tracking_number: str, packages: int) -> Dispatch:
    """prepared → shipped: each line leaves its lot (lots in id order), the request's status follows."""
    require_role(by, Role.PROVIDER, *STAFF)
    check_tenant(dispatch, by)
    request = requests.lock_request(dispatch.request_id)
    dispatch = lock_dispatch(dispatch.id)
    check_state(dispatch, "ship", _l("ship"))
    if request.status not in FULFILLING:
        raise InvalidTransition(
            REQUEST, request.status, RequestStatus.DISPATCHED, action=_l("ship a dispatch of")
        )
    actor = Actor.of(by)
    lines = lines_of(dispatch.id)
    _refuse_unusable_lots(
        sorted({line.lot_id for line in lines}),
        lambda lots: _l(
            "Cannot ship %(ref)s: it holds lot %(lots)s, and quarantined or recalled stock may not leave "
            "the warehouse. Cancel the dispatch; a coordinator releases the reservation and allocates "
            "another lot.",
            ref=dispatch.reference,
            lots=lots,
        ),
    )
    for line in sorted(lines, key=lambda x: (x.lot_id, x.id)):
        stock.ship(
            lot_id=line.lot_id, quantity=line.quantity, actor=actor, reference=("dispatch", dispatch.id)
        )
    per_request_line: dict[int, int] = defaultdict(int)
    for line in lines:
        per_request_line[line.request_line_id] += line.quantity
    for line_id, quantity in sorted(per_request_line.items()):
        result = db.session.execute(
            sa.update(LINES)
            .where(
                LINES.c.id == line_id, LINES.c.quantity_dispatched + quantity <= LINES.c.quantity_allocated
            )
            .values(quantity_dispatched=LINES.c.quantity_dispatched + quantity)
        )
        if result.rowcount != 1:
            raise Conflict(
                _l("Request line %(id)s has not %(n)s allocated units left to ship.", id=line_id, n=quantity)
            )
    db.session.execute(
        sa.update(ALLOCATIONS)
        .where(ALLOCATIONS.c.dispatch_id == dispatch.id, ALLOCATIONS.c.status == AllocationStatus.RESERVED)
        .values(status=AllocationStatus.DISPATCHED)
    )
    dispatch.status = D.SHIPPED
    dispatch.carrier, dispatch.tracking_number, dispatch.packages = carrier, tracking_number, packages
    dispatch.shipped_at = utcnow()
    dispatch.shipped_by_id = by.id
    snapshot.take(dispatch)  # its documents print what left, whatever is corrected later
    audit.record(
        action="dispatch.ship",
        subject=dispatch,
        by=by,
        before={"status": D.PREPARED},
        after={
            "status": D.SHIPPED,
            "carrier": carrier,
            "tracking_number": tracking_number,
            "packages": packages,
            "units": sum(line.quantity for line in lines),
        },
    )
    requests.refresh_status(request=request)
    still = sum(max(line.owed - line.quantity_dispatched, 0) for line in requests.lines_of(request.id))
    notifications.notify(
        users=notifications.city_users(dispatch.city_id),
        key=f"dispatch:{dispatch.id}:shipped",
        subject=_l(
            "%(dispatch)s shipped for %(reference)s", dispatch=dispatch.reference, reference=request.reference
        ),
        body=_l(
            "%(units)s unit(s) in %(packages)s package(s) by %(carrier)s, tracking %(tracking)s. Confirm the "
            "receipt when it arrives.%(rest)s",
            units=sum(line.quantity for line in lines),
            packages=packages,
            carrier=carrier,
            tracking=tracking_number,
            rest=_l(
                " %(units)s unit(s) of %(reference)s are still to come (back-order).",
                units=still,
                reference=request.reference,
            )
            if still
            else "",
        ),
        link=f"/dispatches/{dispatch.id}",
    )
    return dispatch


def require_pickable(dispatch: Dispatch, by: User) -> None:
    """A pick list is checked by the provider's users or staff, while the dispatch is prepared (else 409)."""
    require_role(by, Role.PROVIDER, *STAFF)
    check_tenant(dispatch, by)
    if dispatch.status != D.PREPARED:
        raise Conflict(
            _l(
                "Dispatch %(ref)s is %(status)s: only a prepared dispatch's pick list is checked.",
                ref=dispatch.reference,
                status=code_label(dispatch.status),
            ),
            {"status": [_l("Is %(status)s, not prepared.", status=code_label(dispatch.status))]},
        )


def require_receivable(dispatch: Dispatch, by: User) -> None:
    """A receipt is recorded by the receiving city's users or staff, while the dispatch is shipped (else 409)."""
    require_role(by, Role.CITY, *STAFF)
    check_tenant(dispatch, by)
    check_state(dispatch, "receipt", _l("record the receipt of"))


def check_picked(*, dispatch: Dispatch, line_id: int, by: User) -> DispatchLine:
    """The pick list check: the lot of line ``line_id`` was scanned as packed (a prepared dispatch only).

    Scanning it again changes nothing: the first check, and who made it, stay.
    """
    require_pickable(dispatch, by)
    dispatch = lock_dispatch(dispatch.id)
    require_pickable(dispatch, by)
    line = db.session.get(DispatchLine, line_id)
    if line is None or line.dispatch_id != dispatch.id:
        raise NotFound(_l("No line %(id)s on this dispatch.", id=line_id))
    if line.checked_at is None:
        line.checked_at, line.checked_by_id = utcnow(), by.id
        audit.record(
            action="dispatch.line_checked",
            subject=dispatch,
            by=by,
            after={"line_id": line.id, "lot_id": line.lot_id, "quantity": line.quantity},
        )
    return line


def cancel(*, dispatch: Dispatch, by: User, reason: str | None = None) -> Dispatch:
    """prepared → cancelled; its allocations stay reserved for another dispatch."""
    require_role(by, Role.PROVIDER, *STAFF)
    check_tenant(dispatch, by)
    requests.lock_request(dispatch.request_id)
    dispatch = lock_dispatch(dispatch.id)
    check_state(dispatch, "cancel", _l("cancel"))
    _cancel_locked(dispatch, by=by, reason=reason)
    return dispatch


def cancel_prepared_of(*, request: AssistanceRequest, by: User, reason: str) -> list[int]:
    """Cancel every prepared dispatch of a request its caller has locked (the request's cancel and close); their ids."""
    prepared = db.session.scalars(
        select(Dispatch)
        .where(Dispatch.request_id == request.id, Dispatch.status == D.PREPARED)
        .order_by(Dispatch.id)
        .with_for_update()
    ).all()
    for dispatch in prepared:
        _cancel_locked(dispatch, by=by, reason=reason)
    return [dispatch.id for dispatch in prepared]


def _cancel_locked(dispatch: Dispatch, *, by: User, reason: str | None) -> None:
    """The cancellation itself, written once: detach the allocations (they stay reserved), mark, audit."""
    detached = db.session.execute(
        sa.update(ALLOCATIONS)
        .where(ALLOCATIONS.c.dispatch_id == dispatch.id, ALLOCATIONS.c.status == AllocationStatus.RESERVED)
        .values(dispatch_id=None)
    ).rowcount
    dispatch.status = D.CANCELLED
    dispatch.cancelled_at = utcnow()
    withdrawn = db.session.scalars(
        select(StockLot.id)
        .join(DispatchLine, DispatchLine.lot_id == StockLot.id)
        .where(DispatchLine.dispatch_id == dispatch.id, ~rules.dispatchable_sql(StockLot))
        .distinct()
    ).all()
    for lot_id in sorted(withdrawn):  # their alert no longer names this dispatch
        holds.sync_alert(lot_id=lot_id)
    audit.record(
        action="dispatch.cancel",
        subject=dispatch,
        by=by,
        before={"status": D.PREPARED},
        after={"status": D.CANCELLED, "reason": reason, "allocations_detached": detached},
    )
