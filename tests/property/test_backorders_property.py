"""Back-orders are never forgotten, as a property (issue 19).

A hypothesis state machine walks random sequences of new stock (some quarantined, some expiring soon),
approved requests of every priority, allocations by hand, ``auto_allocate`` runs, dispatches prepared
and shipped, receipts with rejected units, and replacements of rejected units, through the services on
a real SQLite database. After any such sequence, one ``auto_allocate`` run leaves no request line
with both a remainder (requested + replaced - allocated, of a request that is approved, partially
allocated or partially dispatched) and a usable lot (available, a unit free, not expiring before the
request's needed-by): what a city is owed is served as soon as stock exists.

The usable-lot test below is written from design.md, not taken from allocation/rules.py, so that the
property judges the rules instead of repeating them. Bounded (``BACKORDER_EXAMPLES``, default 12
sequences of up to ``BACKORDER_STEPS`` = 20 steps) to keep ``make test`` short.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlmodel import SQLModel, select

from health_responder.allocation import services as allocations
from health_responder.allocation.models import Allocation, AllocationStatus
from health_responder.db import utc_today, utcnow
from health_responder.dispatch import receipts
from health_responder.dispatch import services as dispatches
from health_responder.dispatch.models import Dispatch, DispatchLine, DispatchStatus
from health_responder.errors import Conflict, ValidationFailed
from health_responder.extensions import db
from health_responder.health_requests import services as requests
from health_responder.health_requests.models import AssistanceRequest, RequestLine
from health_responder.stock import services as stock
from health_responder.stock.models import StockLot

EXAMPLES = int(os.environ.get("BACKORDER_EXAMPLES", "12"))
STEPS = int(os.environ.get("BACKORDER_STEPS", "20"))
EXPECTED = (Conflict, ValidationFailed)
STATIC = {"network", "provider", "city", "item", "provider_network", "stock_location", "user", "api_token"}
#: Requests whose remainder is owed and served (design.md).
SERVED = {"approved", "partially_allocated", "partially_dispatched"}
PICK = st.integers(min_value=0, max_value=10_000)


def _pick(values: list, index: int):
    return values[index % len(values)]


def owed_with_usable_stock() -> list[tuple]:
    """Lines with a remainder for which some lot is usable, by design.md's definitions."""
    lots = db.session.scalars(select(StockLot)).all()
    found = []
    for line, request in db.session.execute(
        select(RequestLine, AssistanceRequest).join(
            AssistanceRequest, AssistanceRequest.id == RequestLine.request_id
        )
    ).all():
        remainder = line.quantity + line.quantity_replaced - line.quantity_allocated
        if request.status not in SERVED or remainder <= 0:
            continue
        usable = [
            lot.id
            for lot in lots
            if lot.item_id == line.item_id
            and lot.status == "available"
            and lot.on_hand - lot.reserved > 0
            and (lot.expires_on is None or lot.expires_on >= request.needed_by)
        ]
        if usable:
            found.append((request.reference, request.status, line.id, remainder, usable))
    return found


@pytest.fixture
def small_world(make):
    network = make.network()
    cities = [make.city(network=network, timezone="UTC"), make.city(network=network, timezone="UTC")]
    near, far = make.provider(networks=[network]), make.provider()
    return {
        "cities": cities,
        "city_users": {c.id: make.user("city", city=c) for c in cities},
        "providers": [near, far],
        "provider_users": {p.id: make.user("provider", provider=p) for p in (near, far)},
        "locations": {p.id: make.location(p) for p in (near, far)},
        "items": [make.item(), make.item()],
        "coordinator": make.user("coordinator"),
    }


class Backorders(RuleBasedStateMachine):
    """Random allocate / ship / receive / replace / new-stock sequences; the property after each run."""

    def __init__(self, world: dict) -> None:
        super().__init__()
        self.w = world
        self.coordinator = world["coordinator"]
        self.counter = 0
        self.requests: list[int] = []
        self.checked = 0
        with db.write_session() as session:
            for table in reversed(SQLModel.metadata.sorted_tables):
                if table.name not in STATIC:
                    session.execute(table.delete())

    def _do(self, call) -> object | None:
        try:
            with db.write_session():
                result = call()
                return getattr(result, "id", None)
        except EXPECTED:
            return None

    def _ids(self, statement) -> list[int]:
        with db.read_session() as session:
            return list(session.scalars(statement).all())

    @initialize(
        stock=st.integers(1, 5), more=st.integers(1, 8), priority=st.sampled_from(["critical", "low"])
    )
    def a_back_order(self, stock, more, priority):
        """Every walk starts from the issue's case: a request got what stock there was, and it shipped."""
        self.new_stock(provider=0, item=0, quantity=stock, expiry=None, quarantined=False)
        self.new_request(city=0, lines=[(0, stock + more)], needed_in=30, priority=priority)
        self.auto_allocate(check=False)
        self.ship(which=0)

    @rule(
        provider=PICK,
        item=PICK,
        quantity=st.integers(1, 12),
        expiry=st.sampled_from([None, None, 5, 40, 90]),
        quarantined=st.booleans(),
    )
    def new_stock(self, provider, item, quantity, expiry, quarantined):
        provider = _pick(self.w["providers"], provider)
        self.counter += 1
        self._do(
            lambda: stock.create_lot(
                by=self.w["provider_users"][provider.id],
                item_id=_pick(self.w["items"], item).id,
                location_id=self.w["locations"][provider.id].id,
                lot_code=f"P-{self.counter}",
                expires_on=utc_today() + timedelta(days=expiry) if expiry else None,
                quantity=quantity,
                status="quarantined" if quarantined and expiry is None else "available",
            )
        )

    @rule(
        city=PICK,
        lines=st.lists(st.tuples(PICK, st.integers(1, 10)), min_size=1, max_size=2),
        needed_in=st.integers(0, 60),
        priority=st.sampled_from(["critical", "high", "normal", "low"]),
    )
    def new_request(self, city, lines, needed_in, priority):
        city = _pick(self.w["cities"], city)
        user = self.w["city_users"][city.id]
        items = {}
        for item, quantity in lines:
            items.setdefault(_pick(self.w["items"], item).id, quantity)

        def call():
            made = requests.create_request(
                by=user,
                needed_by=utc_today() + timedelta(days=needed_in),
                justification="Ward over capacity.",
                priority=priority,
                lines=[{"item_id": i, "quantity": q} for i, q in items.items()],
            )
            requests.submit(request=made, by=user)
            return requests.approve(request=made, by=self.coordinator)

        ident = self._do(call)
        if ident is not None:
            self.requests.append(ident)

    @precondition(lambda self: self.requests)
    @rule(request=PICK, lot=PICK, quantity=st.integers(1, 6))
    def allocate_by_hand(self, request, lot, quantity):
        request_id = _pick(self.requests, request)
        lots = self._ids(select(StockLot.id).order_by(StockLot.id))
        lines = self._ids(
            select(RequestLine.id).where(RequestLine.request_id == request_id).order_by(RequestLine.id)
        )
        if not lots or not lines:
            return
        self._do(
            lambda: allocations.allocate(
                request=db.session.get(AssistanceRequest, request_id),
                by=self.coordinator,
                line_id=_pick(lines, lot),
                lot_id=_pick(lots, lot // 7),
                quantity=quantity,
            )
        )

    @rule(check=st.booleans())
    def auto_allocate(self, check):
        """A run of the check; when ``check``, the property right after it."""
        from health_responder.scheduler import run_job

        run = run_job("auto_allocate", scheduled_for=utcnow(), trigger="manual")
        assert run.outcome == "succeeded", run.error
        if check:
            with db.read_session():
                assert owed_with_usable_stock() == []
            self.checked += 1

    @rule(which=PICK)
    def ship(self, which):
        """Prepare a dispatch of one waiting allocation's request and provider, and ship it."""
        waiting = self._ids(
            select(Allocation.id).where(
                Allocation.status == AllocationStatus.RESERVED, Allocation.dispatch_id.is_(None)
            )
        )
        if not waiting:
            return

        def call():
            allocation = db.session.get(Allocation, _pick(waiting, which))
            provider = self.w["provider_users"][allocation.provider_id]
            prepared = dispatches.create_dispatch(
                request=db.session.get(AssistanceRequest, allocation.request_id),
                by=provider,
                location_id=db.session.get(StockLot, allocation.lot_id).location_id,
            )
            return dispatches.ship(
                dispatch=prepared, by=provider, carrier="DHL", tracking_number="T-1", packages=1
            )

        self._do(call)

    @rule(which=PICK, rejected=st.integers(0, 3), reason=st.sampled_from(["damaged", "expired", "lost"]))
    def receive(self, which, rejected, reason):
        shipped = self._ids(select(Dispatch.id).where(Dispatch.status == DispatchStatus.SHIPPED))
        if not shipped:
            return

        def call():
            dispatch = db.session.get(Dispatch, _pick(shipped, which))
            entries = []
            for index, line in enumerate(dispatches.lines_of(dispatch.id)):
                out = min(rejected, line.quantity) if index == 0 else 0
                entries.append(
                    {"line_id": line.id, "accepted": line.quantity - out, "rejected": out, "reason": reason}
                )
            return receipts.record_receipt(
                dispatch=dispatch,
                by=self.w["city_users"][dispatch.city_id],
                lines=entries,
                received_by="Ward",
            )

        self._do(call)

    @rule(which=PICK, some=st.booleans())
    def replace(self, which, some):
        open_lines = self._ids(select(DispatchLine.id).where(DispatchLine.rejected > DispatchLine.replaced))
        if not open_lines:
            return
        self._do(
            lambda: receipts.replace_rejected(
                line_id=_pick(open_lines, which), by=self.coordinator, quantity=1 if some else None
            )
        )

    def teardown(self):
        """The property after the whole sequence: one run serves every remainder that has usable stock."""
        self.auto_allocate(check=True)


def test_after_any_sequence_one_auto_allocate_run_leaves_no_remainder_with_usable_stock(app, small_world):
    machines = []

    def factory():
        machines.append(Backorders(small_world))
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
    assert sum(m.checked for m in machines) >= EXAMPLES  # the property was judged after every sequence
