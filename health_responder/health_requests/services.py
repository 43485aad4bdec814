"""Writes of assistance requests and allocations: the request workflow of design.md.

Every transition is one function that locks the request row, checks role, tenant and state, changes
the rows, writes the audit event (and the ledger, through ``stock``) and never commits. Locks are
taken request first, then lots in id order, everywhere (here and in dispatch), so two transactions
never wait on each other in a circle.

The statuses between ``approved`` and ``delivered`` follow from the lines: ``refresh_status`` derives
them after every allocation, release, shipment and receipt.
"""

from __future__ import annotations

import operator
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

import sqlalchemy as sa
from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.audit import services as audit
from health_responder.audit.models import AuditEvent
from health_responder.auth.access import STAFF, require_role
from health_responder.auth.models import Role, User
from health_responder.db import UTCDateTime, utc_today, utcnow
from health_responder.dispatch.models import Dispatch, DispatchStatus
from health_responder.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from health_responder.extensions import db
from health_responder.health_requests.models import (
    FULFILLING,
    PRIORITY_RANK,
    TARGET,
    TRANSITIONS,
    Allocation,
    AllocationStatus,
    AssistanceRequest,
    RequestLine,
    RequestStatus,
)
from health_responder.notifications import services as notifications
from health_responder.providers.models import Provider, ProviderNetwork
from health_responder.reference.models import City, Item
from health_responder.stock import services as stock
from health_responder.stock.models import LotStatus, MovementKind, StockLot, StockMovement
from health_responder.stock.services import Actor

S = RequestStatus
LINES = RequestLine.__table__
REQUEST_FIELDS = ("status", "priority", "needed_by", "justification", "delivery_contact")
#: The words of a refused transition's message ("Cannot approve a request that is draft …").
REQUEST = _l("request")
ACTIONS = {
    "submit": _l("submit"),
    "approve": _l("approve"),
    "reject": _l("reject"),
    "cancel": _l("cancel"),
    "close": _l("close"),
    "edit": _l("edit"),
}


# --- helpers


def reference_for(prefix: str, year: int, ident: int) -> str:
    """``REQ-2026-000123``: the year of creation and the id, unique without a counter."""
    return f"{prefix}-{year}-{ident:06d}"


def lock_request(request_id: int) -> AssistanceRequest:
    """The request row, locked for this transaction (PostgreSQL) and re-read, or NotFound."""
    found = db.session.scalar(
        select(AssistanceRequest)
        .where(AssistanceRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if found is None:
        raise NotFound(_l("No request %(id)s.", id=request_id))
    return found


def lines_of(request_id: int) -> list[RequestLine]:
    """The request's lines in id order, re-read."""
    return list(
        db.session.scalars(
            select(RequestLine)
            .where(RequestLine.request_id == request_id)
            .order_by(RequestLine.id)
            .execution_options(populate_existing=True)
        )
    )


def _check_tenant(request: AssistanceRequest, by: User | None) -> None:
    """A city user acts on its own city's requests only; another city's request is not found."""
    if by is not None and by.role == Role.CITY and by.city_id != request.city_id:
        raise NotFound(_l("No request %(id)s.", id=request.id))
    if by is not None and by.role == Role.PROVIDER:
        raise NotFound(_l("No request %(id)s.", id=request.id))


def _check_state(request: AssistanceRequest, action: str) -> None:
    if request.status not in TRANSITIONS[action]:
        raise InvalidTransition(REQUEST, request.status, TARGET[action], action=ACTIONS[action])


def _snapshot(request: AssistanceRequest) -> dict:
    return {name: getattr(request, name) for name in REQUEST_FIELDS}


def _label(by: User | None, actor: Actor | None = None) -> str | None:
    if by is not None:
        return None
    return actor.label if actor is not None else "system"


def _check_needed_by(needed_by: date) -> None:
    if needed_by < utc_today():
        raise ValidationFailed(
            _l("The needed-by date is in the past."),
            {
                "needed_by": [
                    _l("%(date)s is in the past: give today or a later day.", date=needed_by.isoformat())
                ]
            },
        )


def _check_lines(lines: list[dict]) -> None:
    """Every item exists and is in the catalogue; each item once."""
    errors: dict[str, list] = {}
    ids = [line["item_id"] for line in lines]
    found = {
        item.id: item
        for item in db.session.execute(select(Item.id, Item.code, Item.active).where(Item.id.in_(ids)))
    }
    seen: dict[int, int] = {}
    for index, line in enumerate(lines):
        item = found.get(line["item_id"])
        if item is None:
            errors[f"lines.{index}.item_id"] = [_l("No item %(id)s.", id=line["item_id"])]
        elif not item.active:
            errors[f"lines.{index}.item_id"] = [
                _l("Item %(code)s is no longer in the catalogue.", code=item.code)
            ]
        elif line["item_id"] in seen:
            errors[f"lines.{index}.item_id"] = [
                _l("Item %(code)s is already on line %(line)s.", code=item.code, line=seen[line["item_id"]])
            ]
        else:
            seen[line["item_id"]] = index
        if line["quantity"] <= 0:
            errors[f"lines.{index}.quantity"] = [_l("Must be at least 1.")]
    if errors:
        raise ValidationFailed(_l("Some lines are not valid: see errors for each field."), errors)


def _add_lines(request: AssistanceRequest, lines: list[dict]) -> list[RequestLine]:
    rows = [
        RequestLine(
            request_id=request.id,
            item_id=line["item_id"],
            quantity=line["quantity"],
            quantity_allocated=0,
            quantity_dispatched=0,
            quantity_received=0,
            quantity_rejected=0,
        )
        for line in lines
    ]
    db.session.add_all(rows)
    return rows


def _city_of(by: User, city_id: int | None) -> int:
    if by.role == Role.CITY:
        if city_id is not None and city_id != by.city_id:
            raise ValidationFailed(
                _l("City users create requests for their own city."),
                {"city_id": [_l("Leave it out, or give your own city.")]},
            )
        return by.city_id
    if city_id is None:
        raise ValidationFailed(
            _l("Say which city the request is for."), {"city_id": [_l("Required for coordinators.")]}
        )
    if db.session.get(City, city_id) is None:
        raise ValidationFailed(_l("Unknown city."), {"city_id": [_l("No city %(id)s.", id=city_id)]})
    return city_id


# --- requests


def create_request(
    *,
    by: User,
    needed_by: date,
    justification: str,
    lines: list[dict],
    priority: str = "normal",
    delivery_contact: str | None = None,
    city_id: int | None = None,
) -> AssistanceRequest:
    """A draft request of a city (city users: their own; staff: the city they name)."""
    require_role(by, Role.CITY, *STAFF)
    city_id = _city_of(by, city_id)
    _check_needed_by(needed_by)
    _check_lines(lines)
    now = utcnow()
    request = AssistanceRequest(
        city_id=city_id,
        status=S.DRAFT,
        priority=priority,
        priority_rank=PRIORITY_RANK[priority],
        needed_by=needed_by,
        justification=justification,
        delivery_contact=delivery_contact,
        created_by_id=by.id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(request)
    db.session.flush()
    request.reference = reference_for("REQ", now.year, request.id)
    _add_lines(request, lines)
    audit.record(
        action="request.create",
        subject=request,
        by=by,
        after=_snapshot(request) | {"reference": request.reference, "city_id": city_id, "lines": lines},
    )
    db.session.flush()
    return request


def update_request(*, request: AssistanceRequest, by: User, **values) -> AssistanceRequest:
    """Change a draft; ``lines``, when given, replace all its lines."""
    require_role(by, Role.CITY, *STAFF)
    _check_tenant(request, by)
    request = lock_request(request.id)
    _check_state(request, "edit")
    if "needed_by" in values:
        _check_needed_by(values["needed_by"])
    lines = values.pop("lines", None)
    if lines is not None:
        _check_lines(lines)
    before = _snapshot(request) | {"lines": [(line.item_id, line.quantity) for line in lines_of(request.id)]}
    for name, value in values.items():
        setattr(request, name, value)
    if "priority" in values:
        request.priority_rank = PRIORITY_RANK[values["priority"]]
    if lines is not None:
        db.session.execute(sa.delete(LINES).where(LINES.c.request_id == request.id))
        _add_lines(request, lines)
    request.updated_at = utcnow()
    db.session.flush()
    audit.record(
        action="request.update",
        subject=request,
        by=by,
        before=before,
        after=_snapshot(request)
        | {"lines": [(line.item_id, line.quantity) for line in lines_of(request.id)]},
    )
    return request


def _move(request: AssistanceRequest, action: str, by: User | None, **extra) -> AssistanceRequest:
    before = request.status
    request.status = TARGET[action]
    request.updated_at = utcnow()
    audit.record(
        action=f"request.{action}",
        subject=request,
        by=by,
        before={"status": before},
        after={"status": request.status, **extra},
    )
    return request


def submit(*, request: AssistanceRequest, by: User) -> AssistanceRequest:
    """draft → submitted; the coordinators hear of it."""
    require_role(by, Role.CITY, *STAFF)
    _check_tenant(request, by)
    request = lock_request(request.id)
    _check_state(request, "submit")
    _check_needed_by(request.needed_by)
    request.submitted_at = utcnow()
    _move(request, "submit", by)
    notifications.notify(
        users=notifications.staff_users(),
        key=f"request:{request.id}:submitted",
        subject=f"{request.reference} submitted ({request.priority})",
        body=f"Request {request.reference} needs review; needed by {request.needed_by.isoformat()}.",
        link=f"/requests/{request.id}",
    )
    return request


def approve(*, request: AssistanceRequest, by: User) -> AssistanceRequest:
    """submitted → approved (coordinators); allocation is a separate act."""
    require_role(by, *STAFF)
    request = lock_request(request.id)
    _check_state(request, "approve")
    request.approved_at = utcnow()
    request.approved_by_id = by.id
    _move(request, "approve", by)
    notifications.notify(
        users=notifications.city_users(request.city_id),
        key=f"request:{request.id}:approved",
        subject=f"{request.reference} approved",
        body=f"Your request {request.reference} was approved; stock will be allocated to it.",
        link=f"/requests/{request.id}",
    )
    return request


def reject(*, request: AssistanceRequest, by: User, reason: str) -> AssistanceRequest:
    """submitted/approved (nothing reserved yet) → rejected, with the reason."""
    require_role(by, *STAFF)
    request = lock_request(request.id)
    _check_state(request, "reject")
    if any(line.quantity_allocated for line in lines_of(request.id)):
        raise InvalidTransition(REQUEST, request.status, S.REJECTED, action=ACTIONS["reject"])
    request.rejected_reason = reason
    _move(request, "reject", by, reason=reason)
    notifications.notify(
        users=notifications.city_users(request.city_id),
        key=f"request:{request.id}:rejected",
        subject=f"{request.reference} rejected",
        body=reason,
        link=f"/requests/{request.id}",
    )
    return request


def _cancel_prepared_dispatches(request: AssistanceRequest, by: User | None) -> list[int]:
    """Cancel the request's prepared dispatches and detach their allocations; returns their ids."""
    prepared = db.session.scalars(
        select(Dispatch)
        .where(Dispatch.request_id == request.id, Dispatch.status == DispatchStatus.PREPARED)
        .order_by(Dispatch.id)
        .with_for_update()
    ).all()
    now = utcnow()
    for dispatch in prepared:
        dispatch.status = DispatchStatus.CANCELLED
        dispatch.cancelled_at = now
        audit.record(
            action="dispatch.cancel",
            subject=dispatch,
            by=by,
            actor_label=_label(by),
            before={"status": DispatchStatus.PREPARED},
            after={"status": DispatchStatus.CANCELLED, "because": f"request {request.status}"},
        )
    if prepared:
        db.session.execute(
            sa.update(Allocation)
            .where(
                Allocation.dispatch_id.in_([d.id for d in prepared]),
                Allocation.status == AllocationStatus.RESERVED,
            )
            .values(dispatch_id=None)
        )
    return [d.id for d in prepared]


def _release_all(request: AssistanceRequest, actor: Actor, note: str) -> int:
    """Release every still-reserved allocation of the request (lots in id order); returns the units."""
    allocations = db.session.scalars(
        select(Allocation)
        .where(Allocation.request_id == request.id, Allocation.status == AllocationStatus.RESERVED)
        .order_by(Allocation.lot_id, Allocation.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    released = 0
    for allocation in allocations:
        _release_allocation_rows(allocation, actor, note)
        released += allocation.quantity
    return released


def _release_allocation_rows(allocation: Allocation, actor: Actor, note: str) -> None:
    stock.release(
        lot_id=allocation.lot_id,
        quantity=allocation.quantity,
        actor=actor,
        reference=("allocation", allocation.id),
        note=note,
    )
    result = db.session.execute(
        sa.update(LINES)
        .where(
            LINES.c.id == allocation.line_id,
            LINES.c.quantity_allocated - LINES.c.quantity_dispatched >= allocation.quantity,
        )
        .values(quantity_allocated=LINES.c.quantity_allocated - allocation.quantity)
    )
    if result.rowcount != 1:
        raise Conflict(
            _l(
                "Line %(line)s does not hold %(n)s reserved units to release.",
                line=allocation.line_id,
                n=allocation.quantity,
            )
        )
    allocation.status = AllocationStatus.RELEASED
    allocation.released_at = utcnow()
    allocation.dispatch_id = None


def cancel(*, request: AssistanceRequest, by: User, reason: str | None = None) -> AssistanceRequest:
    """Any state before a shipment → cancelled: releases every reservation, cancels prepared dispatches."""
    require_role(by, Role.CITY, *STAFF)
    _check_tenant(request, by)
    request = lock_request(request.id)
    _check_state(request, "cancel")
    dispatches = _cancel_prepared_dispatches(request, by)
    released = _release_all(request, Actor.of(by), note=f"request {request.reference} cancelled")
    request.cancelled_at = utcnow()
    _move(request, "cancel", by, reason=reason, released_units=released, cancelled_dispatches=dispatches)
    return request


def close(*, request: AssistanceRequest, by: User, note: str) -> AssistanceRequest:
    """Any state after approval → closed with a note: releases what is reserved, cancels prepared dispatches.

    What was never allocated stays visible on the lines (``quantity - quantity_allocated``).
    """
    require_role(by, *STAFF)
    request = lock_request(request.id)
    _check_state(request, "close")
    dispatches = _cancel_prepared_dispatches(request, by)
    released = _release_all(request, Actor.of(by), note=f"request {request.reference} closed")
    request.closed_at = utcnow()
    lines = lines_of(request.id)
    unfilled = {
        line.id: line.owed - line.quantity_dispatched
        for line in lines
        if line.owed > line.quantity_dispatched
    }
    request.close_note = note + _owed_at_close(lines)
    _move(
        request,
        "close",
        by,
        note=request.close_note,
        released_units=released,
        cancelled_dispatches=dispatches,
        unfilled=unfilled,
    )
    return request


def _owed_at_close(lines: list[RequestLine]) -> str:
    """What a request closed short still owed, as a sentence for its close note ("" when nothing)."""
    owed = [(line.item_id, line.owed - line.quantity_dispatched) for line in lines]
    owed = [(item_id, units) for item_id, units in owed if units > 0]
    if not owed:
        return ""
    codes = dict(
        db.session.execute(select(Item.id, Item.code).where(Item.id.in_([i for i, _u in owed]))).all()
    )
    parts = ", ".join(f"{units} × {codes.get(item_id, item_id)}" for item_id, units in owed)
    return f"\n\nClosed short: {sum(u for _i, u in owed)} unit(s) still owed ({parts})."


def _allocation_status(wanted: int, allocated: int) -> str:
    """The derived status of a request of which nothing has shipped yet."""
    if allocated >= wanted > 0:
        return S.ALLOCATED
    return S.PARTIALLY_ALLOCATED if allocated > 0 else S.APPROVED


def refresh_status(*, request: AssistanceRequest) -> str:
    """Derive the status between approved and delivered from the lines (and the dispatches' receipts)."""
    derived = {S.APPROVED, S.PARTIALLY_ALLOCATED, S.ALLOCATED, S.PARTIALLY_DISPATCHED, S.DISPATCHED}
    if request.status not in derived:
        return request.status
    db.session.flush()
    totals = db.session.execute(
        select(
            sa.func.coalesce(sa.func.sum(RequestLine.quantity + RequestLine.quantity_replaced), 0),
            sa.func.coalesce(sa.func.sum(RequestLine.quantity_allocated), 0),
            sa.func.coalesce(sa.func.sum(RequestLine.quantity_dispatched), 0),
        ).where(RequestLine.request_id == request.id)
    ).one()
    wanted, allocated, dispatched = (int(v) for v in totals)
    if dispatched >= wanted > 0:
        open_dispatches = db.session.scalar(
            select(sa.func.count())
            .select_from(Dispatch)
            .where(
                Dispatch.request_id == request.id,
                Dispatch.status.in_([DispatchStatus.PREPARED, DispatchStatus.SHIPPED]),
            )
        )
        status = S.DISPATCHED if open_dispatches else S.DELIVERED
    elif dispatched > 0:
        status = S.PARTIALLY_DISPATCHED
    else:
        status = _allocation_status(wanted, allocated)
    if status != request.status:
        before = request.status
        request.status = status
        request.updated_at = utcnow()
        if status == S.DELIVERED:
            request.delivered_at = request.updated_at
        audit.record(
            action="request.status",
            subject=request,
            actor_label="system",
            before={"status": before},
            after={"status": status},
        )
    return request.status


# --- allocation


def _served_by_city_network(city: City):
    return sa.exists(
        select(ProviderNetwork.provider_id).where(
            ProviderNetwork.provider_id == StockLot.provider_id, ProviderNetwork.network_id == city.network_id
        )
    )


def usable_lots_query(*, line: RequestLine, request: AssistanceRequest, city: City) -> sa.Select:
    """Lots usable for ``line``, best first.

    Usable: ``available`` status, stock left, and no expiry before the request's needed-by. Order:
    providers serving the city's network first, then earliest expiry (no expiry last), then lot id.
    """
    served = _served_by_city_network(city)
    return (
        select(StockLot)
        .where(
            StockLot.item_id == line.item_id,
            StockLot.status == LotStatus.AVAILABLE,
            StockLot.on_hand - StockLot.reserved > 0,
            sa.or_(StockLot.expires_on.is_(None), StockLot.expires_on >= request.needed_by),
        )
        .order_by(
            sa.case((served, 0), else_=1),
            sa.case((StockLot.expires_on.is_(None), 1), else_=0),
            StockLot.expires_on,
            StockLot.id,
        )
    )


def lot_rationale(
    *, lot: StockLot, provider_name: str, serves_network: bool, needed_by: date, still_needed: int
) -> str:
    """Why a lot suits a line, in one sentence people can read in the allocation history."""
    network = "serves the city's network" if serves_network else "does not serve the city's network"
    expiry = (
        f"expires {lot.expires_on.isoformat()} (needed by {needed_by.isoformat()})"
        if lot.expires_on
        else "does not expire"
    )
    return (
        f"Lot {lot.lot_code} of {provider_name} ({network}) {expiry}; "
        f"{lot.on_hand - lot.reserved} available, {still_needed} still to allocate."
    )


def reserve_line(
    *,
    request: AssistanceRequest,
    line: RequestLine,
    lot_id: int,
    quantity: int,
    actor: Actor,
    rationale: str,
    by: User | None = None,
) -> Allocation:
    """Reserve ``quantity`` of lot ``lot_id`` for ``line``; whole or nothing (a savepoint), else an error.

    Allowed while the request is approved … partially dispatched (else InvalidTransition). Not enough
    stock, or not that much left to allocate on the line, answers 409; a lot of another item, or one
    that is not usable by the needed-by date, 422/409. The caller commits (a job may go on after an
    error: nothing of this call is left in the session).
    """
    request = lock_request(request.id)
    if request.status not in FULFILLING:
        raise InvalidTransition(REQUEST, request.status, S.ALLOCATED, action=_l("allocate stock to"))
    if line.request_id != request.id:
        raise ValidationFailed(
            _l("The line is not on this request."),
            {"line_id": [_l("No line %(id)s on this request.", id=line.id)]},
        )
    if quantity <= 0:
        raise ValidationFailed(_l("Allocate at least one unit."), {"quantity": [_l("Must be at least 1.")]})
    lot = db.session.get(StockLot, lot_id)
    if lot is None:
        raise ValidationFailed(_l("Unknown stock lot."), {"lot_id": [_l("No stock lot %(id)s.", id=lot_id)]})
    if lot.item_id != line.item_id:
        raise ValidationFailed(
            _l("The lot holds another item than the line asks for."),
            {"lot_id": [_l("Lot %(lot)s is not of item %(item)s.", lot=lot.lot_code, item=line.item_id)]},
        )
    with db.session.begin_nested():
        result = db.session.execute(
            sa.update(LINES)
            .where(LINES.c.id == line.id, LINES.c.quantity_allocated + quantity <= LINES.c.quantity)
            .values(quantity_allocated=LINES.c.quantity_allocated + quantity)
        )
        if result.rowcount != 1:
            current = db.session.scalar(
                select(LINES.c.quantity - LINES.c.quantity_allocated).where(LINES.c.id == line.id)
            )
            raise Conflict(
                _l(
                    "Line %(line)s has only %(left)s unit(s) left to allocate; asked for %(n)s.",
                    line=line.id,
                    left=current,
                    n=quantity,
                ),
                {"quantity": [_l("At most %(n)s.", n=current)]},
            )
        allocation = Allocation(
            request_id=request.id,
            line_id=line.id,
            lot_id=lot.id,
            provider_id=lot.provider_id,
            quantity=quantity,
            status=AllocationStatus.RESERVED,
            rationale=rationale,
            created_by_id=by.id if by is not None else actor.user_id,
            job_run_id=actor.job_run_id,
            created_at=utcnow(),
        )
        db.session.add(allocation)
        db.session.flush()
        stock.reserve(
            lot_id=lot.id,
            quantity=quantity,
            actor=actor,
            reference=("allocation", allocation.id),
            usable_on=request.needed_by,
        )
    db.session.refresh(line)
    audit.record(
        action="allocation.create",
        subject=allocation,
        by=by,
        actor_label=_label(by, actor),
        after={
            "request_id": request.id,
            "line_id": line.id,
            "lot_id": lot.id,
            "quantity": quantity,
            "provider_id": lot.provider_id,
            "rationale": rationale,
            "job_run_id": actor.job_run_id,
        },
    )
    refresh_status(request=request)
    notifications.notify(
        users=notifications.provider_users(lot.provider_id),
        key=f"allocation:{allocation.id}",
        subject=f"{quantity} × lot {lot.lot_code} allocated to {request.reference}",
        body=f"Prepare a dispatch of {quantity} unit(s) of lot {lot.lot_code} for {request.reference}, "
        f"needed by {request.needed_by.isoformat()}.",
        link=f"/requests/{request.id}",
    )
    return allocation


def allocate(
    *,
    request: AssistanceRequest,
    by: User,
    line_id: int,
    lot_id: int,
    quantity: int,
    rationale: str | None = None,
) -> Allocation:
    """A coordinator's allocation of a lot to a line, with a generated rationale unless one is given."""
    require_role(by, *STAFF)
    line = db.session.get(RequestLine, line_id)
    if line is None or line.request_id != request.id:
        raise ValidationFailed(
            _l("The line is not on this request."),
            {"line_id": [_l("No line %(id)s on this request.", id=line_id)]},
        )
    if not rationale:
        lot = db.session.get(StockLot, lot_id)
        if lot is not None and lot.item_id == line.item_id:
            city = db.session.get(City, request.city_id)
            serves = db.session.scalar(
                select(
                    sa.exists().where(
                        ProviderNetwork.provider_id == lot.provider_id,
                        ProviderNetwork.network_id == city.network_id,
                    )
                )
            )
            provider = db.session.get(Provider, lot.provider_id)
            rationale = "Chosen by a coordinator. " + lot_rationale(
                lot=lot,
                provider_name=provider.name,
                serves_network=bool(serves),
                needed_by=request.needed_by,
                still_needed=line.quantity - line.quantity_allocated,
            )
        else:
            rationale = "Chosen by a coordinator."
    return reserve_line(
        request=request,
        line=line,
        lot_id=lot_id,
        quantity=quantity,
        actor=Actor.of(by),
        rationale=rationale,
        by=by,
    )


def release_allocation(*, allocation: Allocation, by: User, note: str | None = None) -> Allocation:
    """Give a reserved allocation's units back to the lot (staff; a provider its own)."""
    require_role(by, Role.PROVIDER, *STAFF)
    if by.role == Role.PROVIDER and allocation.provider_id != by.provider_id:
        raise NotFound(_l("No allocation %(id)s.", id=allocation.id))
    request = lock_request(allocation.request_id)
    allocation = db.session.scalar(
        select(Allocation)
        .where(Allocation.id == allocation.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if allocation.status != AllocationStatus.RESERVED:
        raise InvalidTransition(
            _l("allocation"), allocation.status, AllocationStatus.RELEASED, action=_l("release")
        )
    if allocation.dispatch_id is not None:
        raise Conflict(
            _l(
                "Allocation %(id)s is on prepared dispatch %(dispatch)s: cancel that dispatch first.",
                id=allocation.id,
                dispatch=allocation.dispatch_id,
            ),
            {"dispatch_id": [_l("On a prepared dispatch.")]},
        )
    _release_allocation_rows(allocation, Actor.of(by), note or f"allocation {allocation.id} released")
    audit.record(
        action="allocation.release",
        subject=allocation,
        by=by,
        before={"status": AllocationStatus.RESERVED},
        after={"status": AllocationStatus.RELEASED, "note": note},
    )
    refresh_status(request=request)
    return allocation


# --- bulk allocation (the auto_allocate check)
#
# The check plans in memory and reserves a whole batch of requests with a few statements: one
# conditional UPDATE per lot and per line (sent with executemany), then the allocation, ledger and
# audit rows as multi-row INSERTs. The rules are the ones above: ``plan_line`` is usable_lots_query in
# memory, and the UPDATEs carry the conditions of stock.reserve and reserve_line, so a stale plan can
# never oversell or over-allocate: it only makes the batch fall back to request-by-request savepoints.

ALLOCATIONS = Allocation.__table__
REQUESTS = AssistanceRequest.__table__
LOTS = StockLot.__table__
MOVEMENTS = StockMovement.__table__
AUDIT = AuditEvent.__table__

_RESERVE_LOT = (
    sa.update(LOTS)
    .where(
        LOTS.c.id == sa.bindparam("b_lot"),
        LOTS.c.item_id == sa.bindparam("b_item"),
        LOTS.c.status == LotStatus.AVAILABLE,
        LOTS.c.on_hand - LOTS.c.reserved >= sa.bindparam("b_q"),
        sa.or_(LOTS.c.expires_on.is_(None), LOTS.c.expires_on >= sa.bindparam("b_need", type_=sa.Date)),
    )
    .values(
        reserved=LOTS.c.reserved + sa.bindparam("b_q"), updated_at=sa.bindparam("b_at", type_=UTCDateTime)
    )
)
_ALLOCATE_LINE = (
    sa.update(LINES)
    .where(
        LINES.c.id == sa.bindparam("b_line"),
        LINES.c.request_id == sa.bindparam("b_request"),
        LINES.c.item_id == sa.bindparam("b_item"),
        LINES.c.quantity_allocated + sa.bindparam("b_q") <= LINES.c.quantity,
    )
    .values(quantity_allocated=LINES.c.quantity_allocated + sa.bindparam("b_q"))
)
_SET_STATUS = (
    sa.update(REQUESTS)
    .where(REQUESTS.c.id == sa.bindparam("b_id"), REQUESTS.c.status == sa.bindparam("b_from"))
    .values(status=sa.bindparam("b_to"), updated_at=sa.bindparam("b_at", type_=UTCDateTime))
)
_ADD_ALLOCATIONS = sa.insert(ALLOCATIONS)
_ADD_MOVEMENTS = sa.insert(MOVEMENTS)
_ADD_AUDIT = sa.insert(AUDIT)

#: (statement, dialect, parameter names) -> (SQL, bind names in order, their bind processors, fixed values)
_COMPILED: dict[tuple, tuple] = {}


def _core(statement, parameters=None):
    """Run a Core statement on the session's connection, past the ORM layer (these paths move many rows)."""
    return db.session.connection().execute(statement, parameters)


def _executemany(statement, rows: Sequence[dict], constants: dict | None = None) -> int:
    """``cursor.executemany`` of a Core statement, past SQLAlchemy's per-row parameter handling; the total rowcount.

    The statement is compiled once per dialect and each value goes through its type's bind processor,
    so what reaches the driver is what SQLAlchemy itself would send (dates, times and JSON are stored
    alike); ``constants`` (the same for every row) and the values written in the statement are
    processed once. This is the hot path of the auto_allocate check: thousands of rows a batch.
    """
    if not rows:
        return 0
    connection = db.session.connection()
    dialect = connection.dialect
    constants = constants or {}
    keys = tuple(rows[0]) + tuple(constants)
    cache_key = (statement, dialect.name, keys)
    entry = _COMPILED.get(cache_key)
    if entry is None:
        compiled = statement.compile(
            dialect=dialect, column_keys=list(keys) if isinstance(statement, sa.Insert) else None
        )
        if compiled.escaped_bind_names:
            raise NotImplementedError(f"{statement} needs escaped parameter names")
        processors = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors[name] = processor
        written = {name: bind.effective_value for name, bind in compiled.binds.items() if name not in keys}
        # positional drivers (sqlite3's qmark) take tuples in the statement's order, the others dicts
        order = (
            (lambda values, get=operator.itemgetter(*compiled.positiontup, "_"): get(values)[:-1])
            if compiled.positional
            else None
        )
        entry = _COMPILED[cache_key] = (compiled.string, processors, written, order)
    sql, processors, written, order = entry
    fixed = {
        name: processors[name](value) if name in processors else value
        for name, value in (written | constants).items()
    }
    if order is not None:
        fixed["_"] = None  # makes itemgetter return a tuple even for a one-parameter statement
    varying = [(name, processors[name]) for name in rows[0] if name in processors]
    prepared = []
    for row in rows:
        values = fixed | row
        for name, processor in varying:
            values[name] = processor(values[name])
        prepared.append(order(values) if order is not None else values)
    return connection.exec_driver_sql(sql, prepared).rowcount


@dataclass(slots=True)
class LotStock:
    """A lot as the planner sees it; ``left`` is what is still free to reserve (it shrinks as the plan takes)."""

    id: int
    provider_id: int
    item_id: int
    lot_code: str
    expires_on: date | None
    left: int


def fefo_key(lot: LotStock) -> tuple:
    """First-expiry-first-out: earliest expiry first, no expiry last, then lot id (usable_lots_query's order)."""
    return (lot.expires_on is None, lot.expires_on or date.max, lot.id)


def usable_by(lot: LotStock, needed_by: date) -> bool:
    """A lot can serve a line needed by ``needed_by``: units left, and no expiry before that day."""
    return lot.left > 0 and (lot.expires_on is None or lot.expires_on >= needed_by)


def plan_line(
    *, needed: int, needed_by: date, lots: Sequence[LotStock], preferred: Collection[int]
) -> tuple[list[tuple[LotStock, int, bool]], int]:
    """Take ``needed`` units from one item's available ``lots`` (in FEFO order) by usable_lots_query's rules.

    Usable lots only; lots of the ``preferred`` providers (those serving the city's network) first,
    then the others, each in FEFO order. Lowers ``left`` of every lot it takes from. Returns the
    choices ``[(lot, quantity, preferred)]`` and the shortfall (0 when the line is covered).
    """
    choices: list[tuple[LotStock, int, bool]] = []
    for want_preferred in (True, False):
        for lot in lots:
            if needed <= 0:
                return choices, 0
            if (lot.provider_id in preferred) is not want_preferred or not usable_by(lot, needed_by):
                continue
            take = min(lot.left, needed)
            lot.left -= take
            needed -= take
            choices.append((lot, take, want_preferred))
    return choices, max(needed, 0)


@dataclass
class AllocationSnapshot:
    """Some requests and their lines, as they are in this transaction (plain tuples, as the driver gives them)."""

    #: request id -> (id, reference, city_id, status, priority, needed_by)
    requests: dict[int, tuple]
    #: request id -> open lines [(request_id, id, item_id, quantity, quantity_allocated)], in id order
    lines: dict[int, list[tuple]]
    #: request id -> (units wanted, allocated, dispatched) over all its lines
    totals: dict[int, tuple[int, int, int]]
    #: the requests stay locked until the caller's transaction ends, so what this says stays true
    locked: bool


def _driver_rows(sql: str) -> list[tuple]:
    """Rows of a SELECT run on the driver's cursor in the session's transaction: plain tuples, no result objects."""
    cursor = db.session.connection().connection.cursor()
    try:
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        cursor.close()


#: The snapshot's two reads, written out: the ids are integers from the database, joined into the IN list
#: (compiling a Core statement with hundreds of literal parameters costs more than running it).
_SNAPSHOT_REQUESTS = (
    "SELECT id, reference, city_id, status, priority, needed_by FROM assistance_request "
    "WHERE id IN ({ids}) ORDER BY id"
)
_SNAPSHOT_LINES = (
    "SELECT request_id, id, item_id, quantity, quantity_allocated, quantity_dispatched FROM request_line "
    "WHERE request_id IN ({ids}) ORDER BY request_id, id"
)


def allocation_snapshot(*, request_ids: Collection[int], lock: bool) -> AllocationSnapshot:
    """The requests a batch of the check plans, and their lines; with ``lock``, the requests stay locked (id order).

    Every writer of a line's allocated quantity locks its request first, so the lines read after the
    requests are locked stay true until the caller commits: reserve_lines_bulk derives the statuses
    from them instead of reading the lines again.
    """
    ids = sorted({int(ident) for ident in request_ids})
    if not ids:
        return AllocationSnapshot(requests={}, lines={}, totals={}, locked=lock)
    dialect = db.session.connection().dialect
    locking = (
        " FOR UPDATE" if lock and dialect.name == "postgresql" else ""
    )  # SQLite: the write transaction locks
    rows = _driver_rows(_SNAPSHOT_REQUESTS.format(ids=",".join(map(str, ids))) + locking)
    to_date = sa.Date().dialect_impl(dialect).result_processor(dialect, None)
    if to_date is not None:
        rows = [(*row[:5], to_date(row[5])) for row in rows]
    found = {row[0]: row for row in rows}
    lines: dict[int, list[tuple]] = {}
    totals: dict[int, tuple[int, int, int]] = {}
    if found:
        for request_id, line_id, item_id, quantity, allocated, dispatched in _driver_rows(
            _SNAPSHOT_LINES.format(ids=",".join(map(str, sorted(found))))
        ):
            wanted, total_allocated, total_dispatched = totals.get(request_id, (0, 0, 0))
            totals[request_id] = (
                wanted + quantity,
                total_allocated + allocated,
                total_dispatched + dispatched,
            )
            if allocated < quantity:
                lines.setdefault(request_id, []).append((request_id, line_id, item_id, quantity, allocated))
    return AllocationSnapshot(requests=found, lines=lines, totals=totals, locked=lock)


class PlannedAllocation(NamedTuple):
    """One allocation a plan wants: ``quantity`` of lot ``lot_id`` for line ``line_id``, and why."""

    line_id: int
    item_id: int
    lot_id: int
    provider_id: int
    quantity: int
    rationale: str


@dataclass(slots=True)
class RequestPlan:
    """A request's planned allocations: reserved all together, or (when a line changed meanwhile) none."""

    request_id: int
    needed_by: date
    allocations: list[PlannedAllocation]


@dataclass
class BulkReservation:
    """What reserve_lines_bulk did."""

    #: (allocation id, request id, planned) for every allocation made, in plan order
    made: list[tuple[int, int, PlannedAllocation]] = field(default_factory=list)
    #: (request id, planned) whose lot had no longer enough free units (a race lost): skipped
    lost: list[tuple[int, PlannedAllocation]] = field(default_factory=list)
    #: requests left untouched: no longer being fulfilled, or a line allocated by someone meanwhile
    undone: list[int] = field(default_factory=list)
    #: request id -> its status after (for every request that got an allocation)
    statuses: dict[int, str] = field(default_factory=dict)


class _Stale(Exception):
    """A conditional UPDATE matched fewer rows than planned: the plan was made on data that changed."""


def _reserve_all(plans: list[RequestPlan], now) -> None:
    """The usual case: one UPDATE per lot and per line for the whole batch; _Stale when any of them did not match."""
    per_lot: dict[
        int, list
    ] = {}  # lot id -> [item id, units, latest needed-by of the requests taking from it]
    per_line: dict[tuple[int, int, int], int] = {}
    for plan in plans:
        for a in plan.allocations:
            lot = per_lot.setdefault(a.lot_id, [a.item_id, 0, plan.needed_by])
            lot[1] += a.quantity
            lot[2] = max(lot[2], plan.needed_by)
            key = (a.line_id, plan.request_id, a.item_id)
            per_line[key] = per_line.get(key, 0) + a.quantity
    lot_rows = [
        {"b_lot": lot_id, "b_item": item_id, "b_q": units, "b_need": needed_by}
        for lot_id, (item_id, units, needed_by) in sorted(per_lot.items())
    ]
    if _executemany(_RESERVE_LOT, lot_rows, {"b_at": now}) != len(lot_rows):
        raise _Stale
    line_rows = [
        {"b_line": line_id, "b_request": request_id, "b_item": item_id, "b_q": units}
        for (line_id, request_id, item_id), units in per_line.items()
    ]
    if _executemany(_ALLOCATE_LINE, line_rows) != len(line_rows):
        raise _Stale


def _reserve_each(plans: list[RequestPlan], now, outcome: BulkReservation) -> list[RequestPlan]:
    """After a mismatch: request by request in a savepoint; a lot no longer free is skipped, a changed line undoes its request."""
    kept_plans = []
    for plan in plans:
        kept, lost = [], []
        try:
            with db.session.begin_nested():
                for a in plan.allocations:
                    if (
                        _core(
                            _RESERVE_LOT,
                            {
                                "b_lot": a.lot_id,
                                "b_item": a.item_id,
                                "b_q": a.quantity,
                                "b_need": plan.needed_by,
                                "b_at": now,
                            },
                        ).rowcount
                        != 1
                    ):
                        lost.append((plan.request_id, a))
                        continue
                    if (
                        _core(
                            _ALLOCATE_LINE,
                            {
                                "b_line": a.line_id,
                                "b_request": plan.request_id,
                                "b_item": a.item_id,
                                "b_q": a.quantity,
                            },
                        ).rowcount
                        != 1
                    ):
                        raise _Stale
                    kept.append(a)
        except _Stale:
            outcome.undone.append(plan.request_id)
            continue
        outcome.lost.extend(lost)
        if kept:
            kept_plans.append(
                RequestPlan(request_id=plan.request_id, needed_by=plan.needed_by, allocations=kept)
            )
    return kept_plans


def reserve_lines_bulk(
    *, plans: Sequence[RequestPlan], actor: Actor, snapshot: AllocationSnapshot | None = None
) -> BulkReservation:
    """Reserve many requests' planned allocations in the caller's transaction; each request whole or not at all.

    Locks the requests, then the lots, in id order; given a locked ``snapshot`` of the requests (taken
    in this transaction), it uses that instead of reading them again. The lots and lines change only
    through conditional UPDATEs (the lot available, with the free units, not expiring before the
    needed-by; the line not above its quantity). When one does not match, the batch is redone request
    by request in savepoints: a lot no longer free is skipped (a race lost), a line allocated meanwhile
    undoes its whole request. Then, for what was reserved: the allocation rows, one ledger row each,
    each request's status derived once, and one audit event per request listing its allocations. The
    caller commits; it tells the providers (notify_providers_of_run).
    """
    outcome = BulkReservation()
    plans = [plan for plan in plans if plan.allocations]
    pairs = [(a.line_id, a.lot_id) for plan in plans for a in plan.allocations]
    if len(set(pairs)) != len(pairs):
        raise ValueError("A plan takes the same lot twice for one line: make it one allocation.")
    if not plans:
        return outcome
    now = utcnow()
    request_ids = sorted({p.request_id for p in plans})
    if snapshot is not None and snapshot.locked:
        statuses = {rid: snapshot.requests[rid][3] for rid in request_ids if rid in snapshot.requests}
    else:
        snapshot = None
        statuses = dict(
            _core(
                select(REQUESTS.c.id, REQUESTS.c.status)
                .where(REQUESTS.c.id.in_(request_ids))
                .order_by(REQUESTS.c.id)
                .with_for_update()
            ).all()
        )
    live = [plan for plan in plans if statuses.get(plan.request_id) in FULFILLING]
    outcome.undone = [plan.request_id for plan in plans if statuses.get(plan.request_id) not in FULFILLING]
    if not live:
        return outcome
    if (
        db.dialect == "postgresql"
    ):  # row locks in id order (SQLite: the IMMEDIATE transaction holds the database)
        _core(
            select(LOTS.c.id)
            .where(LOTS.c.id.in_(sorted({a.lot_id for p in live for a in p.allocations})))
            .order_by(LOTS.c.id)
            .with_for_update()
        ).all()
    try:
        with db.session.begin_nested():
            _reserve_all(live, now)
    except _Stale:
        live = _reserve_each(live, now, outcome)
    if not live:
        return outcome
    pending = [(plan.request_id, a) for plan in live for a in plan.allocations]
    outcome.made = [
        (ident, request_id, a)
        for ident, (request_id, a) in zip(_new_ids(ALLOCATIONS, len(pending)), pending, strict=True)
    ]
    _executemany(
        _ADD_ALLOCATIONS,
        [
            {
                "id": ident,
                "request_id": request_id,
                "line_id": a.line_id,
                "lot_id": a.lot_id,
                "provider_id": a.provider_id,
                "quantity": a.quantity,
                "rationale": a.rationale,
            }
            for ident, request_id, a in outcome.made
        ],
        {
            "status": AllocationStatus.RESERVED,
            "created_by_id": actor.user_id,
            "job_run_id": actor.job_run_id,
            "created_at": now,
        },
    )
    label = actor.label[:200]
    _executemany(
        _ADD_MOVEMENTS,
        [
            {"lot_id": a.lot_id, "delta_reserved": a.quantity, "reference_id": ident}
            for ident, _request_id, a in outcome.made
        ],
        {
            "kind": MovementKind.RESERVATION,
            "delta_on_hand": 0,
            "reason": None,
            "note": None,
            "actor_id": actor.user_id,
            "actor_label": label,
            "reference_type": "allocation",
            "job_run_id": actor.job_run_id,
            "created_at": now,
        },
    )
    totals = None
    if snapshot is not None:  # the lines as the snapshot saw them (locked), plus what this call added
        added: dict[int, int] = {}
        for _ident, request_id, a in outcome.made:
            added[request_id] = added.get(request_id, 0) + a.quantity
        totals = {}
        for plan in live:
            wanted, allocated, dispatched = snapshot.totals.get(plan.request_id, (0, 0, 0))
            totals[plan.request_id] = (wanted, allocated + added.get(plan.request_id, 0), dispatched)
    _bulk_statuses(statuses, [plan.request_id for plan in live], now, outcome, totals)
    by_request: dict[int, list[dict]] = {}
    for ident, request_id, a in outcome.made:
        by_request.setdefault(request_id, []).append(
            {
                "id": ident,
                "line_id": a.line_id,
                "lot_id": a.lot_id,
                "provider_id": a.provider_id,
                "quantity": a.quantity,
            }
        )
    _executemany(
        _ADD_AUDIT,
        [
            {
                "subject_id": request_id,
                "before": {"status": statuses[request_id]},
                "after": {
                    "status": outcome.statuses[request_id],
                    "job_run_id": actor.job_run_id,
                    "units": sum(a["quantity"] for a in made),
                    "allocations": made,
                },
            }
            for request_id, made in by_request.items()
        ],
        {
            "at": now,
            "actor_id": actor.user_id,
            "actor_label": label,
            "action": "request.allocate",
            "subject_type": REQUESTS.name,
            "request_id": g.get("request_id") if has_request_context() else None,
        },
    )
    return outcome


def _new_ids(table: sa.Table, count: int) -> list[int]:
    """``count`` ids for new rows of ``table``, taken before the INSERT, so that other rows can refer to them at once.

    PostgreSQL: from the table's sequence. SQLite: after the highest id, which is safe because the
    transaction holds the database's write lock (BEGIN IMMEDIATE); were it not so, SQLite would refuse
    the write of a transaction that read before another one wrote, and the INSERT would fail on the
    primary key rather than mix up rows.
    """
    if not count:
        return []
    if db.dialect == "postgresql":
        sequence = sa.func.pg_get_serial_sequence(table.name, "id")
        return [
            int(ident)
            for (ident,) in _core(
                select(sa.func.nextval(sequence)).select_from(sa.func.generate_series(1, count))
            ).all()
        ]
    top = _core(select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one()
    return list(range(top + 1, top + 1 + count))


def _bulk_statuses(
    before: dict[int, str],
    request_ids: list[int],
    now,
    outcome: BulkReservation,
    totals: dict[int, tuple[int, int, int]] | None = None,
) -> None:
    """Derive each request's status once from its lines' totals (its audit event records the change).

    ``totals`` (request id -> units wanted, allocated, dispatched) when the caller knows them from a
    locked snapshot; else they are read.
    """
    if totals is None:
        totals = {
            request_id: (int(wanted), int(allocated), int(dispatched))
            for request_id, wanted, allocated, dispatched in _core(
                select(
                    LINES.c.request_id,
                    sa.func.sum(LINES.c.quantity),
                    sa.func.sum(LINES.c.quantity_allocated),
                    sa.func.sum(LINES.c.quantity_dispatched),
                )
                .where(LINES.c.request_id.in_(sorted(request_ids)))
                .group_by(LINES.c.request_id)
            ).all()
        }
    changes = []
    for request_id in request_ids:
        wanted, allocated, dispatched = totals[request_id]
        if dispatched:  # something shipped already: the full derivation, with the dispatches' receipts
            request = db.session.get(AssistanceRequest, request_id, populate_existing=True)
            outcome.statuses[request_id] = refresh_status(request=request)
            continue
        status = _allocation_status(wanted, allocated)
        outcome.statuses[request_id] = status
        if status != before[request_id]:
            changes.append({"b_id": request_id, "b_from": before[request_id], "b_to": status})
    if _executemany(_SET_STATUS, changes, {"b_at": now}) != len(changes):
        raise Conflict("A request changed while its allocations were being reserved; nothing was reserved.")


def notify_providers_of_run(*, job_run_id: int) -> int:
    """Tell each provider's users, once per run (a stable key), what a run reserved of its stock; returns messages queued."""
    rows = db.session.execute(
        select(
            Allocation.provider_id, Allocation.request_id, sa.func.count(), sa.func.sum(Allocation.quantity)
        )
        .where(Allocation.job_run_id == job_run_id, Allocation.status == AllocationStatus.RESERVED)
        .group_by(Allocation.provider_id, Allocation.request_id)
        .order_by(Allocation.provider_id, Allocation.request_id)
    ).all()
    per_provider: dict[int, list[tuple[int, int, int]]] = {}
    for provider_id, request_id, count, units in rows:
        per_provider.setdefault(provider_id, []).append((request_id, int(count), int(units)))
    shown = sorted({request_id for served in per_provider.values() for request_id, _c, _u in served[:5]})
    references = (
        dict(
            db.session.execute(
                select(REQUESTS.c.id, REQUESTS.c.reference).where(REQUESTS.c.id.in_(shown))
            ).all()
        )
        if shown
        else {}
    )
    users: dict[int, list[int]] = {}
    for user_id, provider_id in (
        _core(
            select(User.id, User.provider_id).where(
                User.provider_id.in_(sorted(per_provider)), User.active.is_(True)
            )
        ).all()
        if per_provider
        else ()
    ):
        users.setdefault(provider_id, []).append(user_id)
    queued = 0
    for provider_id, served in per_provider.items():
        units = sum(u for _r, _c, u in served)
        count = sum(c for _r, c, _u in served)
        names = ", ".join(references.get(r) or f"request {r}" for r, _c, _u in served[:5])
        more = f" and {len(served) - 5} more" if len(served) > 5 else ""
        queued += notifications.notify(
            users=users.get(provider_id, []),
            key=f"allocation-run:{job_run_id}:provider={provider_id}",
            subject=f"{units} unit(s) of your stock allocated to {len(served)} request(s)",
            body=f"The automatic allocation (run {job_run_id}) reserved {units} unit(s) of your stock in {count} "
            f"allocation(s) for {names}{more}. Prepare the dispatches.",
            link="/dispatches/waiting",
        )
    return queued
