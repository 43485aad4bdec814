"""Stock fixtures: two providers with a warehouse each, two items, and API clients for each role."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from health_responder.extensions import db
from health_responder.stock import services
from health_responder.stock.models import StockLot

NEXT_YEAR = (date.today() + timedelta(days=365)).isoformat()


@pytest.fixture
def world(make):
    """Provider "Acme" (network N1, warehouse "Main") and provider "Other", items OXY-CONC-10L and MASK-N95."""
    network = make.network(code="NONE", name="Network one")
    provider = make.provider(name="Acme Medical", networks=[network])
    other = make.provider(name="Other Supplies")
    return SimpleNamespace(
        network=network,
        provider=provider,
        other=other,
        location=make.location(provider, name="Main"),
        other_location=make.location(other, name="Elsewhere"),
        item=make.item(code="OXY-CONC-10L"),
        mask=make.item(code="MASK-N95", category="ppe"),
    )


@pytest.fixture
def keeper(make, world):
    """An API client of a user of provider Acme."""
    return make.api("provider", provider=world.provider)


@pytest.fixture
def rival(make, world):
    """An API client of a user of the other provider."""
    return make.api("provider", provider=world.other)


@pytest.fixture
def coordinator(make):
    return make.api("coordinator")


@pytest.fixture
def city_user(make):
    return make.api("city")


@pytest.fixture
def new_lot(keeper, world):
    """``new_lot(quantity=…, **fields)`` receives a lot of Acme through the API and returns its JSON."""
    counter = iter(range(1, 10_000))

    def receive(quantity: int = 100, client=None, **fields) -> dict:
        body = {
            "item_id": world.item.id,
            "location_id": world.location.id,
            "lot_code": f"L-{next(counter):04d}",
            "expires_on": NEXT_YEAR,
            "quantity": quantity,
        } | fields
        response = (client or keeper).post("/api/v1/stock/lots", json=body)
        assert response.status_code == 201, response.json
        return response.json

    return receive


def reserve(app, lot_id: int, quantity: int) -> None:
    """Reserve units of a lot through the ledger primitive, as an allocation would."""
    with app.app_context(), db.write_session():
        services.reserve(
            lot_id=lot_id,
            quantity=quantity,
            actor=services.Actor(user_id=None, label="test"),
            reference=("allocation", None),
        )


def lot_state(app, lot_id: int) -> tuple[int, int, list[int]]:
    """(on_hand, reserved, ledger mismatches) read straight from the database."""
    with app.app_context(), db.read_session() as session:
        lot = session.get(StockLot, lot_id)
        return lot.on_hand, lot.reserved, services.ledger_mismatches()


def count_rows(app, model=StockLot) -> int:
    """How many rows ``model``'s table holds."""
    with app.app_context(), db.read_session() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model))
