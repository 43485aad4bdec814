"""Factories shared by every test: ``make`` writes rows through the services, ``world`` is the cast.

``make`` (the fixture) is a :class:`Factories`: ``make.city()``, ``make.user("city")``, ``make.lot()``,
``make.approved_request()``, ``make.shipped_dispatch()``, ``make.program()`` … Each writes through the
same services the application uses and commits, so the ledger always sums to the balances.

``world`` (the fixture) is a :class:`World`: two networks, two cities, two providers (the first one
serves the first city's network), their warehouses, three items and a logged-in client per role. The
places, tenants and items exist from the start (tests name them: a CSV names "Main" and "OXY-CONC-10L");
users, clients and lots are created the first time a test reads them, so a test pays only for the
people it uses; the tests that need stock on the shelves ask for ``world.lots`` (or ``shelves``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from types import SimpleNamespace

import sqlalchemy as sa

from health_responder.extensions import db
from tests.clients import PASSWORD, ApiClient, PageClient, csrf_token, flashes, page_login, text  # noqa: F401
from tests.world import CAST, World, days, future  # noqa: F401

JUSTIFICATION = "Our district hospital lost its oxygen supply after the flood."


def request_body(*lines, priority="normal", needed_by=None, **extra) -> dict:
    """A valid create body for ``POST /api/v1/requests``; ``lines`` are (item, quantity) pairs."""
    return {
        "priority": priority,
        "needed_by": str(needed_by or future(30)),
        "justification": JUSTIFICATION,
        "delivery_contact": "Ward 3, +82 10 0000 0000",
        "lines": [{"item_id": item.id, "quantity": quantity} for item, quantity in lines],
    } | extra


def program_body(**overrides) -> dict:
    """A valid training program: starts in ten days at 09:00 UTC, enrolment deadline five days before."""
    start = (datetime.now(UTC) + timedelta(days=10)).replace(hour=9, minute=0, second=0, microsecond=0)
    body = {
        "title": "Oxygen therapy basics",
        "topic": "oxygen_therapy",
        "language": "en",
        "mode": "online",
        "link": "https://learn.example.org/oxygen",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=4)).isoformat(),
        "enrolment_deadline": (start.date() - timedelta(days=5)).isoformat(),
        "capacity": 30,
    }
    return body | overrides


#: The training topics ``make.topics()`` seeds.
TOPICS = [
    ("oxygen_therapy", "Oxygen therapy"),
    ("ventilation", "Mechanical ventilation"),
    ("diagnostics", "Diagnostics and testing"),
    ("infection_control", "Infection prevention and control"),
]


class Factories:
    """Writes rows through the services and commits; each factory returns the row, detached."""

    def __init__(self, app):
        self.app = app
        self.counter = 0

    @cached_property
    def world(self) -> World:
        """The test's cast (the same object as the ``world`` fixture)."""
        return World(self).cast()

    def _n(self) -> int:
        self.counter += 1
        return self.counter

    def _save(self, row):
        with self.app.app_context(), db.write_session() as session:
            session.add(row)
            session.flush()
            session.refresh(row)
            session.expunge(row)
        return row

    # --- reference data and tenants

    def network(self, code=None, name=None):
        """A regional network."""
        from health_responder.reference.models import Network

        n = self._n()
        return self._save(Network(code=code or f"NET{n}", name=name or f"Network {n}"))

    def city(self, name=None, network=None, **kw):
        """A member city (of a new network unless given)."""
        from health_responder.reference.models import City

        network = network or self.network()
        n = self._n()
        values = {"country": "KR", "timezone": "Asia/Seoul", "delivery_address": f"{n} Main St"} | kw
        return self._save(City(name=name or f"City {n}", network_id=network.id, **values))

    def provider(self, name=None, networks=(), **kw):
        """A solution provider serving ``networks``."""
        from health_responder.providers.models import Provider, ProviderNetwork

        n = self._n()
        provider = self._save(Provider(name=name or f"Provider {n}", country=kw.pop("country", "KR"), **kw))
        for network in networks:
            self._save(ProviderNetwork(provider_id=provider.id, network_id=network.id))
        return provider

    def location(self, provider, name=None):
        """A stock location (warehouse) of ``provider``."""
        from health_responder.providers.models import StockLocation

        return self._save(
            StockLocation(provider_id=provider.id, name=name or f"Warehouse {self._n()}", country="KR")
        )

    def topic(self, code="oxygen_therapy", name="Oxygen therapy"):
        """A training topic (the existing one when the code is taken)."""
        from health_responder.reference.models import TrainingTopic

        with self.app.app_context():
            existing = db.session.get(TrainingTopic, code)
            if existing is not None:
                return existing
        return self._save(TrainingTopic(code=code, name=name))

    def topics(self) -> list:
        """The four topics the training tests use."""
        return [self.topic(code, name) for code, name in TOPICS]

    def item(self, code=None, **kw):
        """A catalogue item."""
        from health_responder.reference.models import Item

        n = self._n()
        values = {"name": f"Item {n}", "category": "respiratory", "unit": "each"} | kw
        return self._save(Item(code=code or f"ITEM-{n}", **values))

    # --- people

    def user(self, role, city=None, provider=None, email=None, password=PASSWORD):
        """A user of ``role`` (of a new city or provider unless given)."""
        from health_responder.auth import services

        if role == "city" and city is None:
            city = self.city()
        if role == "provider" and provider is None:
            provider = self.provider()
        with self.app.app_context(), db.write_session():
            user = services.create_user(
                email=email or f"{role}{self._n()}@example.org",
                password=password,
                role=role,
                name=f"Test {role}",
                city_id=city.id if city else None,
                provider_id=provider.id if provider else None,
            )
            db.session.flush()
            db.session.expunge(user)
        return user

    def token(self, user):
        """A new API token of ``user``."""
        from health_responder.auth import services

        with self.app.app_context(), db.write_session():
            _row, token = services.issue_token(user=user)
        return token

    def api(self, role=None, user=None, **kw) -> ApiClient:
        """An ApiClient logged in as a new user of ``role`` (or as ``user``)."""
        user = user or self.user(role, **kw)
        return ApiClient(self.app, self.token(user), user)

    # --- stock

    def lot(
        self,
        quantity: int = 100,
        *,
        expires_on: date | None = None,
        provider=None,
        location=None,
        item=None,
        status: str = "available",
        code: str | None = None,
    ):
        """A lot received through the ledger (default: the world's provider, warehouse and item)."""
        from health_responder.stock import services as stock

        provider = provider or self.world.provider
        location = location or self.world.location_of(provider)
        with self.app.app_context(), db.write_session() as session:
            lot = stock.receive(
                provider_id=provider.id,
                location_id=location.id,
                item_id=(item or self.world.item).id,
                lot_code=code or f"L-{self._n():03d}",
                expires_on=expires_on,
                quantity=quantity,
                actor=stock.Actor(user_id=None, label="test"),
                status=status,
            )
            session.flush()
            session.expunge(lot)
        return lot

    # --- requests and dispatches, through the API as their users would

    def request(self, *lines, by: ApiClient | None = None, **kw) -> dict:
        """A draft request created through the API (by the world's city); ``lines`` are (item, quantity)."""
        response = (by or self.world.city_api).post("/api/v1/requests", json=request_body(*lines, **kw))
        assert response.status_code == 201, response.json
        return response.json

    def submitted_request(self, *lines, by: ApiClient | None = None, **kw) -> dict:
        """A request created and submitted by the world's city (or ``by``)."""
        by = by or self.world.city_api
        created = self.request(*lines, by=by, **kw)
        answer = by.post(f"/api/v1/requests/{created['id']}/submit")
        assert answer.status_code == 200, answer.json
        return answer.json

    def approved_request(self, *lines, by: ApiClient | None = None, **kw) -> dict:
        """A request submitted by the world's city (or ``by``) and approved by the coordinator."""
        submitted = self.submitted_request(*lines, by=by, **kw)
        answer = self.world.coordinator.post(f"/api/v1/requests/{submitted['id']}/approve")
        assert answer.status_code == 200, answer.json
        return answer.json

    def allocation(
        self, request: dict, line_index: int, lot_id: int, quantity: int, expect: int = 201
    ) -> dict:
        """The coordinator allocates ``quantity`` of a lot to a request line (answer ``expect``)."""
        response = self.world.coordinator.post(
            f"/api/v1/requests/{request['id']}/allocations",
            json={"line_id": request["lines"][line_index]["id"], "lot_id": lot_id, "quantity": quantity},
        )
        assert response.status_code == expect, response.json
        return response.json

    def shipped_dispatch(self, quantity: int = 5, lot_id: int | None = None) -> tuple[dict, dict]:
        """(request, dispatch): one line of the world's item allocated from its shelf lot (or ``lot_id``),
        prepared and shipped."""
        world = self.world
        request = self.approved_request((world.item, quantity), priority="high", needed_by=future(60))
        self.allocation(request, 0, lot_id or world.lots.oxy, quantity)
        dispatch = world.provider_api.post("/api/v1/dispatches", json={"request_id": request["id"]})
        assert dispatch.status_code == 201, dispatch.json
        shipped = world.provider_api.post(
            f"/api/v1/dispatches/{dispatch.json['id']}/ship",
            json={"carrier": "DHL", "tracking_number": "TR-1", "packages": 1},
        )
        assert shipped.status_code == 200, shipped.json
        return world.coordinator.get(f"/api/v1/requests/{request['id']}").json, shipped.json

    # --- training

    def program(self, by: ApiClient | None = None, **overrides) -> dict:
        """A training program created through the API (by the world's provider unless ``by``)."""
        self.topics()
        response = (by or self.world.provider_api).post(
            "/api/v1/training/programs", json=program_body(**overrides)
        )
        assert response.status_code == 201, response.json
        return response.json


# --- the helpers the older tests call with a world first (kept while the tests move to ``make``)


def create(api: ApiClient, *lines, **kw) -> dict:
    """A draft request created through ``api``."""
    response = api.post("/api/v1/requests", json=request_body(*lines, **kw))
    assert response.status_code == 201, response.json
    return response.json


def approved(w: World, *lines, **kw) -> dict:
    """A request of ``w.city`` created, submitted and approved."""
    return w.make.approved_request(*lines, **kw)


def allocate(w: World, request: dict, line_index: int, lot_id: int, quantity: int, expect: int = 201) -> dict:
    """The coordinator allocates ``quantity`` of a lot to a request line."""
    return w.make.allocation(request, line_index, lot_id, quantity, expect)


def api_request(w: World, *lines, priority="high", submit=True, approve=False, needed_by=None) -> dict:
    """A request of ``w.city`` (needed in 60 days), submitted and approved when asked, as the coordinator reads it."""
    kw = {"priority": priority, "needed_by": needed_by or future(60)}
    if approve:
        created = w.make.approved_request(*lines, **kw)
    elif submit:
        created = w.make.submitted_request(*lines, **kw)
    else:
        created = w.make.request(*lines, **kw)
    return w.coordinator.get(f"/api/v1/requests/{created['id']}").json


def shipped_dispatch(w: World, quantity=5) -> tuple[dict, dict]:
    """(request, dispatch) shipped from ``w.lots.oxy``."""
    return w.make.shipped_dispatch(quantity)


def lot(app, lot_id: int) -> SimpleNamespace:
    """A lot's balances read straight from the database."""
    from health_responder.stock.models import StockLot

    with app.app_context():
        found = db.session.get(StockLot, lot_id)
        return SimpleNamespace(on_hand=found.on_hand, reserved=found.reserved, available=found.available)


def ledger_ok(app) -> bool:
    """Every lot's ledger sums to its balances."""
    from health_responder.stock import services as stock

    with app.app_context():
        return stock.ledger_mismatches() == []


#: A best-before date a year ahead, as the API takes it.
NEXT_YEAR = days(365).isoformat()


def reserve(app, lot_id: int, quantity: int) -> None:
    """Reserve units of a lot through the ledger primitive, as an allocation would."""
    from health_responder.stock import services as stock

    with app.app_context(), db.write_session():
        stock.reserve(
            lot_id=lot_id,
            quantity=quantity,
            actor=stock.Actor(user_id=None, label="test"),
            reference=("allocation", None),
        )


def lot_state(app, lot_id: int) -> tuple[int, int, list[int]]:
    """(on_hand, reserved, ledger mismatches) read straight from the database."""
    from health_responder.stock import services as stock
    from health_responder.stock.models import StockLot

    with app.app_context(), db.read_session() as session:
        found = session.get(StockLot, lot_id)
        return found.on_hand, found.reserved, stock.ledger_mismatches()


def count_rows(app, model=None) -> int:
    """How many rows ``model``'s table holds (default: stock lots)."""
    from health_responder.stock.models import StockLot

    with app.app_context(), db.read_session() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model or StockLot))


def enrol(client, program_id, name, email, **extra):
    """Enrol a participant in a program through the API; the response."""
    return client.post(
        f"/api/v1/training/programs/{program_id}/enrolments",
        json={"participant_name": name, "participant_email": email} | extra,
    )
