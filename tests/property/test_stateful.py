"""A hypothesis state machine drives random sequences through the services on a real SQLite database.

Steps: lots received, adjusted (both ways), quarantined and released; requests created, submitted,
approved, rejected, cancelled and closed; stock allocated by hand and by the ``auto_allocate`` check,
and released; dispatches prepared, shipped, cancelled and received with accepted and rejected units;
training programs created, enlarged and cancelled, with enrolments, cancellations and attendance.

A domain refusal (409 Conflict and its kinds, 422 ValidationFailed) is a normal outcome of a random
step. Any other exception (a 403/404 for the right tenant, an IntegrityError that a service should have
prevented, a bare Python error) fails the run. After every step these must hold:

- stock: ``0 ≤ reserved ≤ on_hand``; the ledger sums to the balances; a lot's ``reserved`` is the sum of
  its reserved allocations;
- request lines: allocated = reserved + dispatched allocations; dispatched = dispatched allocations =
  shipped dispatch lines; received/rejected = the receipts' accepted/rejected; received + rejected ≤
  dispatched; the request's status is the one its lines imply; a request that is over holds nothing;
- dispatches: a prepared dispatch carries exactly its reserved allocations; a cancelled one carries none;
- training: ``seats_taken`` = enrolments holding a seat (enrolled, attended, completed, no-show) ≤
  capacity; waitlist tickets strictly increase with enrolment order; nobody waits while a seat is free
  in a published program; a promoted participant always held a lower ticket than everyone still waiting.

Bounded for ``make test`` (25 sequences of up to 30 steps); ``PROPERTY_EXAMPLES=500
PROPERTY_STEPS=60`` runs a longer search.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlmodel import SQLModel, select

from health_responder.allocation import services as allocations
from health_responder.allocation.models import Allocation, AllocationStatus
from health_responder.db import clock_at, utc_today, utcnow
from health_responder.dispatch import receipts
from health_responder.dispatch import services as dispatches
from health_responder.dispatch.models import REJECTION_REASONS, Dispatch, DispatchLine, DispatchStatus
from health_responder.errors import Conflict, ValidationFailed
from health_responder.extensions import db
from health_responder.health_requests import services as requests
from health_responder.health_requests.models import (
    FULFILLING,
    TRANSITIONS,
    AssistanceRequest,
    RequestLine,
    RequestStatus,
)
from health_responder.stock import services as stock
from health_responder.stock.models import ADJUSTMENT_REASONS, StockLot, StockMovement
from health_responder.training import services as training
from health_responder.training.models import (
    HOLDS_SEAT,
    Enrolment,
    EnrolmentStatus,
    ProgramStatus,
    TrainingProgram,
)

EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "25"))
STEPS = int(os.environ.get("PROPERTY_STEPS", "30"))

#: A random step may be refused for a reason (409, 422); nothing else is allowed to escape a service.
EXPECTED = (Conflict, ValidationFailed)
#: Tables the cast fixture fills once; every other table is emptied before each sequence.
STATIC = {
    "network",
    "provider",
    "training_topic",
    "city",
    "item",
    "provider_network",
    "stock_location",
    "user",
    "api_token",
}
S = RequestStatus
OVER = {S.DRAFT, S.SUBMITTED, S.REJECTED, S.CANCELLED, S.CLOSED}
DERIVED = {S.APPROVED, S.PARTIALLY_ALLOCATED, S.ALLOCATED, S.PARTIALLY_DISPATCHED, S.DISPATCHED, S.DELIVERED}
PICK = st.integers(min_value=0, max_value=10_000)
#: Allocations that wait for a dispatch (what prepare and release act on).
WAITING = sa.and_(Allocation.status == AllocationStatus.RESERVED, Allocation.dispatch_id.is_(None))
LIVE = (EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED)


@pytest.fixture
def cast(make):
    """One network; two cities (UTC, so 'today' is the same everywhere); a provider serving the network
    with two locations and one that does not; three items; a user of each kind."""
    network = make.network()
    cities = [make.city(network=network, timezone="UTC"), make.city(network=network, timezone="UTC")]
    serving, far = make.provider(networks=[network]), make.provider()
    make.topic()
    return {
        "cities": cities,
        "city_users": [make.user("city", city=c) for c in cities],
        "providers": [serving, far],
        "provider_users": [make.user("provider", provider=serving), make.user("provider", provider=far)],
        "locations": {
            serving.id: [make.location(serving), make.location(serving)],
            far.id: [make.location(far)],
        },
        "items": [make.item(), make.item(), make.item()],
        "coordinator": make.user("coordinator"),
    }


def _pick(values: list, index: int):
    return values[index % len(values)]


class Workflow(RuleBasedStateMachine):
    """Random walks through stock, requests, dispatches and training; invariants after each step."""

    def __init__(self, cast: dict) -> None:
        super().__init__()
        self.w = cast
        self.coordinator = cast["coordinator"]
        self.provider_user = {u.provider_id: u for u in cast["provider_users"]}
        self.city_user = {u.city_id: u for u in cast["city_users"]}
        self.counter = 0
        self.lots: list[int] = []
        self.requests: list[int] = []
        self.allocations: list[int] = []
        self.dispatches: list[int] = []
        self.programs: list[int] = []
        self.enrolments: list[int] = []
        #: The waitlist ticket each enrolment was seen holding.
        self.tickets: dict[int, int] = {}
        self.refusals: dict[str, int] = defaultdict(int)
        self.calls: dict[str, int] = defaultdict(int)
        with db.write_session() as session:
            for table in reversed(SQLModel.metadata.sorted_tables):
                if table.name not in STATIC:
                    session.execute(table.delete())

    # --- helpers

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def _do(self, name: str, call) -> object | None:
        """Run ``call()`` in one committed transaction; a domain refusal is counted and rolled back."""
        self.calls[name] += 1
        try:
            with db.write_session():
                result = call()
                ident = getattr(result, "id", None)
        except EXPECTED as refusal:
            self.refusals[f"{name}:{type(refusal).__name__}"] += 1
            return None
        return ident

    def _get(self, model, ident):
        row = db.session.get(model, ident)
        assert row is not None, f"{model.__name__} {ident} vanished"
        return row

    def _choose(self, ids: list[int], model, condition, index: int, aim: bool) -> int:
        """One of ``ids``: when ``aim``, one whose row meets ``condition`` (if any does), so walks go deep."""
        if aim:
            with db.read_session() as session:
                fitting = session.scalars(
                    select(model.id).where(model.id.in_(ids), condition).order_by(model.id)
                ).all()
            if fitting:
                return _pick(fitting, index)
        return _pick(ids, index)

    def _actor_for_provider(self, provider_id: int, as_staff: bool):
        return self.coordinator if as_staff else self.provider_user[provider_id]

    # --- a starting point, so that short walks reach allocation, dispatch and the waitlist

    @initialize(quantities=st.lists(st.integers(1, 30), min_size=3, max_size=3), capacity=st.integers(1, 3))
    def stock_requests_and_a_course(self, quantities, capacity):
        for index, quantity in enumerate(quantities):
            self._receive(provider=0, item=index, quantity=quantity, expiry=None, as_staff=False)
            self._receive(provider=1, item=index, quantity=quantity, expiry=90, as_staff=True)
        self._create_program(provider=0, capacity=capacity, started=True)
        for city, priority in enumerate(["high", "normal", "critical"]):
            self.create_request(
                city=city,
                lines=[(i, q) for i, q in enumerate(quantities)],
                needed_in=30 + city,
                priority=priority,
                then="approved",
            )

    # --- stock

    def _receive(self, *, provider, item, quantity, expiry, as_staff):
        provider = _pick(self.w["providers"], provider)
        location = _pick(self.w["locations"][provider.id], item)
        expires_on = utc_today() + timedelta(days=expiry) if expiry is not None else None
        ident = self._do(
            "receive",
            lambda: stock.create_lot(
                by=self._actor_for_provider(provider.id, as_staff),
                item_id=_pick(self.w["items"], item).id,
                location_id=location.id,
                lot_code=f"L-{self._next()}",
                expires_on=expires_on,
                quantity=quantity,
            ),
        )
        if ident is not None:
            self.lots.append(ident)

    @rule(
        provider=PICK,
        item=PICK,
        quantity=st.integers(1, 25),
        expiry=st.sampled_from([None, 10, 90]),
        as_staff=st.booleans(),
    )
    def receive_lot(self, provider, item, quantity, expiry, as_staff):
        self._receive(provider=provider, item=item, quantity=quantity, expiry=expiry, as_staff=as_staff)

    @precondition(lambda self: self.lots)
    @rule(
        lot=PICK,
        action=st.sampled_from(["adjust", "adjust", "quarantined", "available"]),
        delta=st.integers(-15, 15).filter(bool),
        reason=st.sampled_from(ADJUSTMENT_REASONS),
    )
    def change_lot(self, lot, action, delta, reason):
        lot_id = _pick(self.lots, lot)

        def call():
            row = self._get(StockLot, lot_id)
            if action == "adjust":
                return stock.adjust_lot(
                    lot=row, by=self.provider_user[row.provider_id], delta=delta, reason=reason
                )
            return stock.update_lot(lot=row, by=self.coordinator, status=action)

        self._do(f"lot_{action}", call)

    # --- requests

    @rule(
        city=PICK,
        lines=st.lists(st.tuples(PICK, st.integers(1, 15)), min_size=1, max_size=3),
        needed_in=st.integers(0, 60),
        priority=st.sampled_from(["critical", "high", "normal", "low"]),
        then=st.sampled_from(["approved", "submitted", "draft"]),
    )
    def create_request(self, city, lines, needed_in, priority, then):
        city = _pick(self.w["cities"], city)
        items = {}
        for item, quantity in lines:
            items.setdefault(_pick(self.w["items"], item).id, quantity)
        ident = self._do(
            "create_request",
            lambda: requests.create_request(
                by=self.city_user[city.id],
                needed_by=utc_today() + timedelta(days=needed_in),
                justification="Ward over capacity.",
                priority=priority,
                lines=[{"item_id": i, "quantity": q} for i, q in items.items()],
            ),
        )
        if ident is None:
            return
        self.requests.append(ident)
        if then != "draft":
            self._do(
                "submit",
                lambda: requests.submit(
                    request=self._get(AssistanceRequest, ident), by=self.city_user[city.id]
                ),
            )
        if then == "approved":
            self._do(
                "approve",
                lambda: requests.approve(request=self._get(AssistanceRequest, ident), by=self.coordinator),
            )

    @precondition(lambda self: self.requests)
    @rule(
        request=PICK,
        action=st.sampled_from(["submit", "approve", "reject", "cancel", "cancel_by_city", "close"]),
        stray=st.booleans(),
    )
    def review_request(self, request, action, stray):
        """A person's transition of a request; aimed (unless ``stray``) at a request in a state that allows it."""
        allowed = TRANSITIONS[action.removesuffix("_by_city")]
        request_id = self._choose(
            self.requests, AssistanceRequest, AssistanceRequest.status.in_(allowed), request, not stray
        )

        def call():
            r = self._get(AssistanceRequest, request_id)
            city_user = self.city_user[r.city_id]
            return {
                "submit": lambda: requests.submit(request=r, by=city_user),
                "approve": lambda: requests.approve(request=r, by=self.coordinator),
                "reject": lambda: requests.reject(request=r, by=self.coordinator, reason="Not eligible."),
                "cancel": lambda: requests.cancel(request=r, by=self.coordinator),
                "cancel_by_city": lambda: requests.cancel(request=r, by=city_user),
                "close": lambda: requests.close(request=r, by=self.coordinator, note="Short of stock."),
            }[action]()

        self._do(action, call)

    @precondition(lambda self: self.requests and self.lots)
    @rule(
        request=PICK,
        line=PICK,
        lot=PICK,
        quantity=st.integers(1, 12),
        any_lot=st.booleans(),
        then=st.sampled_from(["shipped", "received", "prepared", "reserved"]),
    )
    def allocate(self, request, line, lot, quantity, any_lot, then):
        """A coordinator's allocation, then (``then``) its dispatch prepared, shipped and received."""
        with db.read_session() as session:
            request_id = self._choose(
                self.requests,
                AssistanceRequest,
                AssistanceRequest.status.in_(FULFILLING),
                request,
                not any_lot,
            )
            lines = session.scalars(
                select(RequestLine).where(RequestLine.request_id == request_id).order_by(RequestLine.id)
            ).all()
            chosen = _pick(lines, line)
            candidates = self.lots
            if not any_lot:  # mostly a lot of the line's item; else the 422 path
                candidates = (
                    session.scalars(
                        select(StockLot.id).where(
                            StockLot.item_id == chosen.item_id, StockLot.id.in_(self.lots)
                        )
                    ).all()
                    or candidates
                )
            lot_id = _pick(sorted(candidates), lot)
        ident = self._do(
            "allocate",
            lambda: allocations.allocate(
                request=self._get(AssistanceRequest, request_id),
                by=self.coordinator,
                line_id=chosen.id,
                lot_id=lot_id,
                quantity=quantity,
            ),
        )
        if ident is not None:
            self.allocations.append(ident)
            self._follow(ident, then)

    @rule(then=st.sampled_from(["shipped", "received", "prepared", "reserved"]), which=PICK)
    def auto_allocate(self, then, which):
        """The scheduled check allocates by priority; one of its allocations goes on as far as ``then``."""
        from health_responder.scheduler import run_job

        before = set(self.allocations)
        run = run_job("auto_allocate", scheduled_for=utcnow(), trigger="manual")
        assert run.outcome == "succeeded", run.error
        with db.read_session() as session:
            self.allocations = session.scalars(select(Allocation.id).order_by(Allocation.id)).all()
        new = [a for a in self.allocations if a not in before]
        if new:
            self._follow(_pick(new, which), then)

    def _follow(self, allocation_id: int, then: str) -> None:
        if then == "reserved":
            return
        dispatch_id = self._prepare(allocation_id, as_staff=False, without_location=False)
        if dispatch_id is None or then == "prepared":
            return
        self._dispatch_action(dispatch_id, "ship", as_staff=False)
        if then == "received":
            self._dispatch_action(dispatch_id, "receipt", rejected=[allocation_id % 3])

    @precondition(lambda self: self.allocations)
    @rule(allocation=PICK, as_staff=st.booleans(), stray=st.booleans())
    def release(self, allocation, as_staff, stray):
        allocation_id = self._choose(self.allocations, Allocation, WAITING, allocation, not stray)

        def call():
            row = self._get(Allocation, allocation_id)
            return allocations.release(allocation=row, by=self._actor_for_provider(row.provider_id, as_staff))

        self._do("release", call)

    # --- dispatches

    def _prepare(self, allocation_id: int, *, as_staff: bool, without_location: bool) -> int | None:
        def call():
            row = self._get(Allocation, allocation_id)
            location = None if without_location else self._get(StockLot, row.lot_id).location_id
            return dispatches.create_dispatch(
                request=self._get(AssistanceRequest, row.request_id),
                by=self._actor_for_provider(row.provider_id, as_staff),
                provider_id=row.provider_id if as_staff else None,
                location_id=location,
            )

        ident = self._do("prepare", call)
        if ident is not None:
            self.dispatches.append(ident)
        return ident

    @precondition(lambda self: self.allocations)
    @rule(allocation=PICK, as_staff=st.booleans(), without_location=st.booleans(), stray=st.booleans())
    def prepare_dispatch(self, allocation, as_staff, without_location, stray):
        allocation_id = self._choose(self.allocations, Allocation, WAITING, allocation, not stray)
        self._prepare(allocation_id, as_staff=as_staff, without_location=without_location)

    def _dispatch_action(
        self,
        dispatch_id: int,
        action: str,
        *,
        as_staff: bool = False,
        rejected=(0,),
        miscount: bool = False,
        reason: str = "damaged",
    ) -> None:
        def call():
            d = self._get(Dispatch, dispatch_id)
            provider_side = self._actor_for_provider(d.provider_id, as_staff)
            if action == "ship":
                return dispatches.ship(
                    dispatch=d,
                    by=provider_side,
                    carrier="DHL",
                    tracking_number=f"T{self._next()}",
                    packages=1 + dispatch_id % 3,
                )
            if action == "cancel":
                return dispatches.cancel(dispatch=d, by=provider_side)
            entries = []
            for index, line in enumerate(dispatches.lines_of(d.id)):
                refused = min(rejected[index % len(rejected)], line.quantity)
                entries.append(
                    {
                        "line_id": line.id,
                        "accepted": line.quantity - refused + int(miscount),
                        "rejected": refused,
                        "reason": reason,
                    }
                )
            return receipts.record_receipt(
                dispatch=d,
                by=self.coordinator if as_staff else self.city_user[d.city_id],
                lines=entries,
                received_by="Ward nurse",
            )

        self._do(f"dispatch_{action}", call)

    @precondition(lambda self: self.dispatches)
    @rule(
        dispatch=PICK,
        action=st.sampled_from(["ship", "receipt", "cancel"]),
        as_staff=st.booleans(),
        stray=st.booleans(),
        rejected=st.lists(st.integers(0, 5), min_size=1, max_size=4),
        miscount=st.booleans(),
        reason=st.sampled_from(REJECTION_REASONS),
    )
    def dispatch_step(self, dispatch, action, as_staff, stray, rejected, miscount, reason):
        """Ship, receive (accepted + rejected, sometimes not adding up) or cancel a dispatch."""
        wanted = DispatchStatus.SHIPPED if action == "receipt" else DispatchStatus.PREPARED
        dispatch_id = self._choose(self.dispatches, Dispatch, Dispatch.status == wanted, dispatch, not stray)
        self._dispatch_action(
            dispatch_id, action, as_staff=as_staff, rejected=rejected, miscount=miscount, reason=reason
        )

    # --- training

    def _create_program(self, *, provider, capacity, started):
        provider = _pick(self.w["providers"], provider)
        if started:  # began today: attendance is open (its places were taken the evening before: see enrol)
            starts = datetime.combine(utc_today(), time(0, 0), tzinfo=UTC)
            deadline = utc_today()
        else:
            starts = datetime.combine(utc_today() + timedelta(days=10), time(9, 0), tzinfo=UTC)
            deadline = utc_today() + timedelta(days=5)
        ident = self._do(
            "create_program",
            lambda: training.create_program(
                by=self.provider_user[provider.id],
                title=f"Course {self._next()}",
                topic="oxygen_therapy",
                language="en",
                mode="online",
                link="https://learn.example.org",
                starts_at=starts,
                ends_at=starts + timedelta(days=1),
                enrolment_deadline=deadline,
                capacity=capacity,
            ),
        )
        if ident is not None:
            self.programs.append(ident)

    @rule(provider=PICK, capacity=st.integers(1, 4), started=st.booleans())
    def create_program(self, provider, capacity, started):
        self._create_program(provider=provider, capacity=capacity, started=started)

    @precondition(lambda self: self.programs)
    @rule(program=PICK, city=PICK, person=st.integers(0, 30), stray=st.booleans())
    def enrol(self, program, city, person, stray):
        program_id = self._choose(
            self.programs,
            TrainingProgram,
            TrainingProgram.status == ProgramStatus.PUBLISHED,
            program,
            not stray,
        )
        city = _pick(self.w["cities"], city)

        def call():
            program = self._get(TrainingProgram, program_id)
            # Enrolment closes when a program begins: a place in one that has begun was taken the
            # evening before (the services judge "now" by db.clock_at), so attendance can follow.
            moment = min(utcnow(), program.starts_at - timedelta(hours=1))
            with clock_at(moment):
                return training.enrol(
                    program=program,
                    by=self.city_user[city.id],
                    participant_name=f"Nurse {person}",
                    participant_email=f"Nurse{person}@Example.org",
                )

        ident = self._do("enrol", call)
        if ident is not None:
            self.enrolments.append(ident)

    @precondition(lambda self: self.enrolments)
    @rule(
        enrolment=PICK,
        action=st.sampled_from(["cancel", "cancel_by_provider", "attended", "completed", "no_show"]),
        stray=st.booleans(),
    )
    def enrolment_step(self, enrolment, action, stray):
        """A city or the provider cancels a place (a seat frees for the waitlist), or attendance is marked."""
        live = LIVE if action.startswith("cancel") else HOLDS_SEAT
        enrolment_id = self._choose(
            self.enrolments, Enrolment, Enrolment.status.in_(live), enrolment, not stray
        )

        def call():
            row = self._get(Enrolment, enrolment_id)
            provider_user = self.provider_user[self._get(TrainingProgram, row.program_id).provider_id]
            if action == "cancel":
                return training.cancel_enrolment(enrolment=row, by=self.city_user[row.city_id])
            if action == "cancel_by_provider":
                return training.cancel_enrolment(enrolment=row, by=provider_user)
            return training.mark_attendance(enrolment=row, by=provider_user, status=action)

        self._do(f"enrolment_{action}", call)

    @precondition(lambda self: self.programs)
    @rule(program=PICK, action=st.sampled_from(["resize", "resize", "cancel"]), capacity=st.integers(1, 6))
    def program_step(self, program, action, capacity):
        """The provider changes a program's capacity (more seats fill from the waitlist) or cancels it."""
        program_id = _pick(self.programs, program)

        def call():
            row = self._get(TrainingProgram, program_id)
            by = self.provider_user[row.provider_id]
            if action == "cancel":
                return training.cancel_program(program=row, by=by)
            return training.update_program(program=row, by=by, capacity=capacity)

        self._do(f"program_{action}", call)

    # --- invariants

    @invariant()
    def stock_balances_hold(self):
        with db.read_session() as session:
            lots = session.scalars(select(StockLot)).all()
            reserved = dict(
                session.execute(
                    select(Allocation.lot_id, sa.func.sum(Allocation.quantity))
                    .where(Allocation.status == AllocationStatus.RESERVED)
                    .group_by(Allocation.lot_id)
                ).all()
            )
            for lot in lots:
                assert 0 <= lot.reserved <= lot.on_hand, (lot.id, lot.on_hand, lot.reserved)
                assert lot.reserved == (reserved.get(lot.id) or 0), (
                    lot.id,
                    lot.reserved,
                    reserved.get(lot.id),
                )
            assert stock.ledger_mismatches() == []
            assert session.scalar(select(sa.func.count()).select_from(StockMovement)) >= len(lots)

    @invariant()
    def request_lines_add_up(self):
        with db.read_session() as session:
            allocations = session.scalars(select(Allocation)).all()
            by_line: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            for a in allocations:
                by_line[a.line_id][a.status] += a.quantity
            shipped: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            for line, status in session.execute(
                select(DispatchLine, Dispatch.status).join(Dispatch, Dispatch.id == DispatchLine.dispatch_id)
            ):
                if status in (DispatchStatus.SHIPPED, DispatchStatus.RECEIVED):
                    shipped[line.request_line_id]["quantity"] += line.quantity
                if status == DispatchStatus.RECEIVED:
                    shipped[line.request_line_id]["accepted"] += line.accepted
                    shipped[line.request_line_id]["rejected"] += line.rejected
            lines = session.scalars(select(RequestLine)).all()
            for line in lines:
                held = by_line[line.id]
                assert (
                    line.quantity_allocated
                    == held[AllocationStatus.RESERVED] + held[AllocationStatus.DISPATCHED]
                ), (line.id, line.quantity_allocated, dict(held))
                assert (
                    line.quantity_dispatched
                    == held[AllocationStatus.DISPATCHED]
                    == shipped[line.id]["quantity"]
                ), (line.id, line.quantity_dispatched, dict(held), dict(shipped[line.id]))
                assert line.quantity_received == shipped[line.id]["accepted"]
                assert line.quantity_rejected == shipped[line.id]["rejected"]
                assert line.quantity_received + line.quantity_rejected <= line.quantity_dispatched
                assert line.quantity_allocated <= line.quantity
            per_request: dict[int, list[RequestLine]] = defaultdict(list)
            for line in lines:
                per_request[line.request_id].append(line)
            for request in session.scalars(select(AssistanceRequest)):
                self._check_request_status(session, request, per_request[request.id], by_line)

    def _check_request_status(self, session, request, lines, by_line):
        reserved = sum(by_line[line.id][AllocationStatus.RESERVED] for line in lines)
        statuses = session.scalars(select(Dispatch.status).where(Dispatch.request_id == request.id)).all()
        if request.status in OVER:
            assert reserved == 0, (
                f"{request.status} request {request.id} still holds {reserved} reserved units"
            )
            assert DispatchStatus.PREPARED not in statuses, (
                f"{request.status} request {request.id} has a prepared dispatch"
            )
        if request.status not in DERIVED:
            return
        wanted = sum(line.quantity for line in lines)
        allocated = sum(line.quantity_allocated for line in lines)
        dispatched = sum(line.quantity_dispatched for line in lines)
        if dispatched >= wanted:
            open_ = any(s in (DispatchStatus.PREPARED, DispatchStatus.SHIPPED) for s in statuses)
            expected = S.DISPATCHED if open_ else S.DELIVERED
        elif dispatched:
            expected = S.PARTIALLY_DISPATCHED
        elif allocated >= wanted:
            expected = S.ALLOCATED
        elif allocated:
            expected = S.PARTIALLY_ALLOCATED
        else:
            expected = S.APPROVED
        assert request.status == expected, (
            request.id,
            request.status,
            expected,
            wanted,
            allocated,
            dispatched,
        )

    @invariant()
    def dispatches_carry_their_allocations(self):
        with db.read_session() as session:
            for dispatch in session.scalars(select(Dispatch)):
                lines = session.scalars(
                    select(DispatchLine).where(DispatchLine.dispatch_id == dispatch.id)
                ).all()
                carried = session.scalars(
                    select(Allocation).where(Allocation.dispatch_id == dispatch.id)
                ).all()
                if dispatch.status == DispatchStatus.CANCELLED:
                    assert carried == [], f"cancelled dispatch {dispatch.id} still carries allocations"
                    continue
                want = (
                    AllocationStatus.RESERVED
                    if dispatch.status == DispatchStatus.PREPARED
                    else AllocationStatus.DISPATCHED
                )
                assert all(a.status == want for a in carried), (
                    dispatch.id,
                    dispatch.status,
                    [a.status for a in carried],
                )
                totals: dict[tuple[int, int], int] = defaultdict(int)
                for a in carried:
                    totals[(a.line_id, a.lot_id)] += a.quantity
                assert dict(totals) == {(x.request_line_id, x.lot_id): x.quantity for x in lines}, dispatch.id

    @invariant()
    def seats_and_waitlist_hold(self):
        with db.read_session() as session:
            for program in session.scalars(select(TrainingProgram)):
                enrolments = session.scalars(
                    select(Enrolment).where(Enrolment.program_id == program.id).order_by(Enrolment.id)
                ).all()
                holding = sum(1 for e in enrolments if e.status in HOLDS_SEAT)
                assert program.seats_taken == holding <= program.capacity, (
                    program.id,
                    program.seats_taken,
                    holding,
                    program.capacity,
                )
                waiting = [e for e in enrolments if e.status == EnrolmentStatus.WAITLISTED]
                positions = [e.waitlist_position for e in waiting]
                assert positions == sorted(set(positions)), (program.id, positions)
                assert all(0 < p <= program.waitlist_last for p in positions)
                if program.status == ProgramStatus.PUBLISHED and waiting:
                    assert program.seats_taken == program.capacity, (
                        f"program {program.id}: {len(waiting)} waiting with {program.seats_left} seat(s) free"
                    )
                for e in waiting:
                    self.tickets[e.id] = e.waitlist_position
                first_waiting = min(positions, default=None)
                for e in enrolments:
                    if e.promoted_at is not None and first_waiting is not None and e.id in self.tickets:
                        assert self.tickets[e.id] < first_waiting, (
                            f"enrolment {e.id} (ticket {self.tickets[e.id]}) promoted ahead of ticket {first_waiting}"
                        )


def test_random_workflows_keep_stock_requests_and_seats_consistent(app, cast):
    """Random sequences of every workflow step; the invariants above hold after each one."""
    machines = []

    def factory():
        machines.append(Workflow(cast))
        return machines[-1]

    with app.app_context():
        run_state_machine_as_test(
            factory,
            settings=settings(
                max_examples=EXAMPLES,
                stateful_step_count=STEPS,
                deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
    calls, refused = Counter(), Counter()
    for machine in machines:
        calls.update(machine.calls)
        refused.update(machine.refusals)
    done = Counter(
        {
            name: calls[name] - sum(n for key, n in refused.items() if key.split(":")[0] == name)
            for name in calls
        }
    )
    print(f"{len(machines)} sequences; steps done: {dict(done)}; refused: {dict(refused)}")
    # The walks must reach the deep states, not only bounce off refusals.
    assert len(machines) >= min(EXAMPLES, 10)
    assert sum(len(m.allocations) for m in machines) > 0
    for step in ("prepare", "dispatch_ship", "enrol"):
        assert done[step] > 0, (step, dict(done), dict(refused))
