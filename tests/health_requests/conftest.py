"""Fixtures of the request workflow: a small world of tenants, lots, and helpers to walk a request.

tests/dispatch and the workflow tests at the top level import these fixtures from here.
"""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from health_responder.extensions import db

JUSTIFICATION = "Our district hospital lost its oxygen supply after the flood; " * 3


def future(days: int = 30) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


@pytest.fixture
def make_lot(app):
    """``make_lot(provider, location, item, quantity, expires_on=None)`` → the lot id, received through the ledger."""
    counter = iter(range(1, 10_000))

    def make(provider, location, item, quantity, expires_on=None, lot_code=None, status="available"):
        from health_responder.stock import services as stock

        with app.app_context(), db.write_session():
            lot = stock.receive(
                provider_id=provider.id,
                location_id=location.id,
                item_id=item.id,
                lot_code=lot_code or f"LOT-{next(counter)}",
                expires_on=expires_on,
                quantity=quantity,
                actor=stock.Actor(user_id=None, label="test"),
                status=status,
            )
            db.session.flush()
            return lot.id

    return make


@pytest.fixture
def world(make, make_lot):
    """Two cities, two providers (the first serves the cities' network), items, and a client per role."""
    network, far = make.network(), make.network()
    city, other_city = make.city(network=network), make.city(network=far)
    provider, other_provider = make.provider(networks=[network]), make.provider(networks=[far])
    w = SimpleNamespace(
        network=network,
        city=city,
        other_city=other_city,
        provider=provider,
        other_provider=other_provider,
        location=make.location(provider),
        location2=make.location(provider),
        other_location=make.location(other_provider),
        item=make.item(),
        item2=make.item(),
    )
    w.coordinator = make.api("coordinator")
    w.admin = make.api("admin")
    w.city_api = make.api("city", city=city)
    w.other_city_api = make.api("city", city=other_city)
    w.provider_api = make.api("provider", provider=provider)
    w.other_provider_api = make.api("provider", provider=other_provider)
    w.make_lot = make_lot
    return w


def request_body(*lines, priority="normal", needed_by=None, **extra) -> dict:
    """A valid create body; ``lines`` are (item, quantity) pairs."""
    return {
        "priority": priority,
        "needed_by": needed_by or future(),
        "justification": JUSTIFICATION,
        "delivery_contact": "Ward 3, +82 10 0000 0000",
        "lines": [{"item_id": item.id, "quantity": quantity} for item, quantity in lines],
    } | extra


def create(api, *lines, **kw) -> dict:
    response = api.post("/api/v1/requests", json=request_body(*lines, **kw))
    assert response.status_code == 201, response.json
    return response.json


def approved(w, *lines, **kw) -> dict:
    """A request of ``w.city`` created, submitted and approved."""
    created = create(w.city_api, *lines, **kw)
    assert w.city_api.post(f"/api/v1/requests/{created['id']}/submit").status_code == 200
    answer = w.coordinator.post(f"/api/v1/requests/{created['id']}/approve")
    assert answer.status_code == 200, answer.json
    return answer.json


def allocate(w, request: dict, line_index: int, lot_id: int, quantity: int, expect: int = 201) -> dict:
    response = w.coordinator.post(
        f"/api/v1/requests/{request['id']}/allocations",
        json={"line_id": request["lines"][line_index]["id"], "lot_id": lot_id, "quantity": quantity},
    )
    assert response.status_code == expect, response.json
    return response.json


def lot(app, lot_id: int):
    from health_responder.stock.models import StockLot

    with app.app_context():
        found = db.session.get(StockLot, lot_id)
        return SimpleNamespace(on_hand=found.on_hand, reserved=found.reserved, available=found.available)


def ledger_ok(app) -> bool:
    from health_responder.stock import services as stock

    with app.app_context():
        return stock.ledger_mismatches() == []
