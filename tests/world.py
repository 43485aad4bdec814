"""The cast of a test (the ``world`` fixture): places, tenants and items from the start, people and stock on first use."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cached_property
from types import SimpleNamespace
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import select

from health_responder.db import utc_today, utcnow
from health_responder.extensions import db
from tests.clients import ApiClient, PageClient

if TYPE_CHECKING:
    from tests.factories import Factories

#: The roles of the world's logged-in clients: ``world.api[key]``, ``world.page(key)``.
CAST = ("city", "other_city", "provider", "other_provider", "coordinator", "admin")


def days(n: int) -> date:
    """The date ``n`` days from today, judged in UTC as the application judges it."""
    return utc_today() + timedelta(days=n)


def future(n: int = 60) -> date:
    """A needed-by date comfortably ahead (``n`` days from today, UTC)."""
    return days(n)


class _Lazy(dict):
    """A dict that builds a missing entry with ``build(key)`` the first time it is read."""

    def __init__(self, build):
        super().__init__()
        self._build = build

    def __missing__(self, key):
        self[key] = value = self._build(key)
        return value


class World:
    """The cast of a test; each member is created on first use and then kept for the test."""

    def __init__(self, make: Factories):
        self.make = make
        self.app = make.app
        self.api = _Lazy(self._client)
        self.users = _Lazy(self._user)
        self._pages = _Lazy(lambda key: PageClient(self.app, self.users[key]))
        self._locations: dict[int, object] = {}
        self._requests = 0

    def cast(self) -> World:
        """Create the places, tenants and items now (users, clients and lots stay lazy)."""
        for name in ("network", "far_network", "city", "other_city", "location", "other_location"):
            getattr(self, name)
        for name in ("item", "item2", "mask"):
            getattr(self, name)
        return self

    # --- places and tenants

    @cached_property
    def network(self):
        """The home network: the city's, served by ``provider``."""
        return self.make.network(code="HOME", name="Home network")

    @cached_property
    def far_network(self):
        """The other network: ``other_city``'s, served by ``other_provider``."""
        return self.make.network(code="AWAY", name="Away network")

    @cached_property
    def city(self):
        """The city of the home network."""
        return self.make.city(name="Sejong Test", network=self.network)

    @cached_property
    def other_city(self):
        """A city of the far network."""
        return self.make.city(name="Kigali Test", network=self.far_network)

    @cached_property
    def provider(self):
        """The provider that serves the home network."""
        return self.make.provider(name="Near Supply", networks=[self.network])

    @cached_property
    def other_provider(self):
        """A provider that serves only the far network."""
        return self.make.provider(name="Far Supply", networks=[self.far_network])

    @cached_property
    def location(self):
        """``provider``'s warehouse."""
        return self._remember(self.make.location(self.provider, name="Main"))

    @cached_property
    def location2(self):
        """``provider``'s second warehouse."""
        return self.make.location(self.provider, name="Annex")

    @cached_property
    def other_location(self):
        """``other_provider``'s warehouse."""
        return self._remember(self.make.location(self.other_provider, name="Elsewhere"))

    def _remember(self, location):
        self._locations[location.provider_id] = location
        return location

    def location_of(self, provider):
        """The warehouse of ``provider`` (one is created for a provider outside the world)."""
        if provider.id == self.provider.id:
            return self.location
        if provider.id == self.other_provider.id:
            return self.other_location
        if provider.id not in self._locations:
            self._remember(self.make.location(provider))
        return self._locations[provider.id]

    @cached_property
    def item(self):
        """An oxygen concentrator."""
        return self.make.item(code="OXY-CONC-10L", name="Oxygen concentrator")

    @cached_property
    def item2(self):
        """A pulse oximeter."""
        return self.make.item(code="PULSE-OXI", name="Pulse oximeter", category="monitoring")

    @cached_property
    def mask(self):
        """A box of N95 masks."""
        return self.make.item(code="MASK-N95", name="N95 masks", category="ppe")

    @cached_property
    def lots(self) -> SimpleNamespace:
        """Stock on the shelves, as lot ids: ``oxy`` (50, ``provider``), ``pulse`` (30), ``far`` (10, the other provider)."""
        return SimpleNamespace(
            oxy=self.make.lot(50, expires_on=days(400), code="L-OXY-1").id,
            pulse=self.make.lot(30, item=self.item2, code="L-PO-1").id,
            far=self.make.lot(10, provider=self.other_provider, code="L-AF-1").id,
        )

    # Names the checks' and the stock tests knew the cast by.
    home = property(lambda self: self.network)
    away = property(lambda self: self.far_network)
    near = property(lambda self: self.provider)
    far = other = property(lambda self: self.other_provider)
    near_wh = property(lambda self: self.location)
    far_wh = property(lambda self: self.other_location)

    # --- people

    def _user(self, key: str):
        if key == "city":
            return self.make.user("city", city=self.city)
        if key == "other_city":
            return self.make.user("city", city=self.other_city)
        if key == "provider":
            return self.make.user("provider", provider=self.provider)
        if key == "other_provider":
            return self.make.user("provider", provider=self.other_provider)
        return self.make.user(key)

    def _client(self, key: str) -> ApiClient:
        return self.make.api(user=self.users[key])

    def page(self, key: str) -> PageClient:
        """A page client logged in as ``users[key]`` (one per key, kept for the test)."""
        return self._pages[key]

    @property
    def coordinator(self) -> ApiClient:
        """The coordinator's API client."""
        return self.api["coordinator"]

    @property
    def admin(self) -> ApiClient:
        """The admin's API client."""
        return self.api["admin"]

    @property
    def city_api(self) -> ApiClient:
        """The API client of a user of ``city``."""
        return self.api["city"]

    @property
    def other_city_api(self) -> ApiClient:
        """The API client of a user of ``other_city``."""
        return self.api["other_city"]

    @property
    def provider_api(self) -> ApiClient:
        """The API client of a user of ``provider``."""
        return self.api["provider"]

    @property
    def other_provider_api(self) -> ApiClient:
        """The API client of a user of ``other_provider``."""
        return self.api["other_provider"]

    # --- stock and requests written straight into the tables (the checks find them in a given state)

    def lot(
        self,
        quantity: int,
        expires_on: date | None = None,
        provider=None,
        item=None,
        status="available",
        code=None,
    ):
        """A lot of ``provider`` (default the near one) received through the ledger; the row, detached."""
        return self.make.lot(
            quantity, expires_on=expires_on, provider=provider, item=item, status=status, code=code
        )

    def make_lot(
        self, provider, location, item, quantity, expires_on=None, lot_code=None, status="available"
    ) -> int:
        """A lot received through the ledger at ``location``; its id."""
        return self.make.lot(
            quantity,
            provider=provider,
            location=location,
            item=item,
            expires_on=expires_on,
            code=lot_code,
            status=status,
        ).id

    def request(
        self,
        *lines: tuple,
        priority: str = "normal",
        needed_by: date | None = None,
        city=None,
        status: str = "approved",
        submitted_at: datetime | None = None,
    ) -> SimpleNamespace:
        """A request with ``lines`` of (item, quantity) written in ``status``; submitted in call order unless given."""
        from health_responder.health_requests.models import PRIORITY_RANK, AssistanceRequest, RequestLine

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
            request.reference = f"REQ-{utc_today().year}-{request.id:06d}"
            rows = [
                RequestLine(request_id=request.id, item_id=item.id, quantity=quantity)
                for item, quantity in lines
            ]
            session.add_all(rows)
            session.flush()
            return SimpleNamespace(id=request.id, reference=request.reference, line_ids=[r.id for r in rows])

    # --- reading back

    def allocations(self, **where) -> list:
        """Every allocation (filtered by column values), in id order, detached."""
        from health_responder.allocation.models import Allocation

        with self.app.app_context(), db.read_session() as session:
            statement = select(Allocation).order_by(Allocation.id)
            for key, value in where.items():
                statement = statement.where(getattr(Allocation, key) == value)
            rows = session.scalars(statement).all()
            session.expunge_all()
        return rows

    def get(self, model, ident):
        """One row by primary key, detached."""
        with self.app.app_context(), db.read_session() as session:
            row = session.get(model, ident)
            session.expunge(row)
        return row

    def ledger_mismatches(self) -> list[int]:
        """Lots whose ledger does not sum to their balances (must be empty)."""
        from health_responder.stock import services as stock

        with self.app.app_context(), db.read_session():
            return stock.ledger_mismatches()

    def ledger_ok(self) -> bool:
        """Every lot's ledger sums to its balances."""
        return self.ledger_mismatches() == []

    def half_handled(self) -> int:
        """Lines whose allocated quantity differs from their live allocations (must be 0)."""
        from health_responder.allocation.models import Allocation
        from health_responder.health_requests.models import RequestLine

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
