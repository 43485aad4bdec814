"""Fixtures for the checks: a small world of cities, providers, lots and approved requests.

Requests are written straight into the tables in the state a check finds them (approved, submitted …)
with the timestamps each scenario needs; stock goes through the ledger service so that the ledger
always sums to the balances.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlmodel import select

from health_responder.allocation.models import Allocation
from health_responder.db import utcnow
from health_responder.extensions import db
from health_responder.health_requests.models import PRIORITY_RANK, AssistanceRequest, RequestLine
from health_responder.stock import services as stock
from health_responder.stock.models import StockLot

TODAY = date.today()


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


class World:
    """Builders for the scenarios; every row is committed."""

    def __init__(self, app, make):
        self.app, self.make = app, make
        self.home = make.network(code="HOME", name="Home network")
        self.away = make.network(code="AWAY", name="Away network")
        self.city = make.city(name="Busan", network=self.home)
        self.near = make.provider(name="Near Supply", networks=[self.home])
        self.far = make.provider(name="Far Supply", networks=[self.away])
        self.near_wh = make.location(self.near, name="Near warehouse")
        self.far_wh = make.location(self.far, name="Far warehouse")
        self.item = make.item(code="OXY-CONC-10L")
        self._lots = 0
        self._requests = 0

    def lot(
        self,
        quantity: int,
        expires_on: date | None = None,
        provider=None,
        item=None,
        status="available",
        code: str | None = None,
    ) -> StockLot:
        provider = provider or self.near
        location = self.near_wh if provider.id == self.near.id else self.far_wh
        self._lots += 1
        with self.app.app_context(), db.write_session() as session:
            lot = stock.receive(
                provider_id=provider.id,
                location_id=location.id,
                item_id=(item or self.item).id,
                lot_code=code or f"L-{self._lots:03d}",
                expires_on=expires_on,
                quantity=quantity,
                actor=stock.Actor(user_id=None, label="test"),
                status=status,
            )
            session.flush()
            session.expunge(lot)
        return lot

    def request(
        self,
        *lines: tuple,
        priority: str = "normal",
        needed_by: date | None = None,
        city=None,
        status: str = "approved",
        submitted_at: datetime | None = None,
    ) -> SimpleNamespace:
        """A request with ``lines`` of (item, quantity), in ``status``; submitted in call order unless given."""
        self._requests += 1
        submitted_at = submitted_at or utcnow() - timedelta(hours=1) + timedelta(seconds=self._requests)
        with self.app.app_context(), db.write_session() as session:
            request = AssistanceRequest(
                city_id=(city or self.city).id,
                status=status,
                priority=priority,
                priority_rank=PRIORITY_RANK[priority],
                needed_by=needed_by or days(30),
                justification="test",
                submitted_at=submitted_at,
                approved_at=submitted_at if status != "submitted" else None,
            )
            session.add(request)
            session.flush()
            request.reference = f"REQ-{TODAY.year}-{request.id:06d}"
            rows = [
                RequestLine(request_id=request.id, item_id=item.id, quantity=quantity)
                for item, quantity in lines
            ]
            session.add_all(rows)
            session.flush()
            result = SimpleNamespace(
                id=request.id, reference=request.reference, line_ids=[r.id for r in rows]
            )
        return result

    def allocations(self, **where) -> list[Allocation]:
        with self.app.app_context(), db.read_session() as session:
            statement = select(Allocation).order_by(Allocation.id)
            for key, value in where.items():
                statement = statement.where(getattr(Allocation, key) == value)
            rows = session.scalars(statement).all()
            session.expunge_all()
        return rows

    def get(self, model, ident):
        with self.app.app_context(), db.read_session() as session:
            row = session.get(model, ident)
            session.expunge(row)
        return row

    def ledger_mismatches(self) -> list[int]:
        with self.app.app_context(), db.read_session():
            return stock.ledger_mismatches()

    def half_handled(self) -> int:
        """Lines whose allocated quantity differs from their live allocations (must be 0)."""
        with self.app.app_context(), db.read_session() as session:
            live = (
                select(Allocation.line_id, sa.func.sum(Allocation.quantity).label("q"))
                .where(Allocation.status.in_(["reserved", "dispatched"]))
                .group_by(Allocation.line_id)
                .subquery()
            )
            return session.scalar(
                select(sa.func.count())
                .select_from(RequestLine)
                .outerjoin(live, live.c.line_id == RequestLine.id)
                .where(sa.func.coalesce(live.c.q, 0) != RequestLine.quantity_allocated)
            )


@pytest.fixture
def world(app, make):
    return World(app, make)


@pytest.fixture
def coordinator(make):
    return make.api("coordinator")


@pytest.fixture
def run_check(coordinator):
    """``run_check("auto_allocate", dry_run=False)`` → the job run JSON (asserting 200)."""

    def run(name: str, dry_run: bool = False) -> dict:
        response = coordinator.post(f"/api/v1/jobs/{name}/run", json={"dry_run": dry_run})
        assert response.status_code == 200, response.json
        assert response.json["outcome"] == "succeeded", response.json
        return response.json

    return run
