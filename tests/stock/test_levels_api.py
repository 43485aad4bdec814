"""Stock levels per item, summed over the lots the caller sees."""

from __future__ import annotations

from datetime import timedelta

import pytest

from health_responder.db import utc_today
from health_responder.extensions import db
from health_responder.stock.models import StockLot
from tests.factories import reserve


def _levels(client, query="") -> dict:
    response = client.get(f"/api/v1/stock/levels{query}")
    assert response.status_code == 200, response.json
    return {row["code"]: row for row in response.json["items"]}


@pytest.mark.both_databases
def test_levels_sum_each_items_lots_across_providers(app, keeper, coordinator, world, new_lot):
    a = new_lot(quantity=100)
    new_lot(quantity=20, status="quarantined")
    new_lot(quantity=30, client=coordinator, location_id=world.other_location.id)
    new_lot(quantity=7, item_id=world.mask.id)
    reserve(app, a["id"], 15)
    levels = _levels(coordinator)
    oxy = levels["OXY-CONC-10L"]
    assert (oxy["on_hand"], oxy["reserved"], oxy["available"]) == (150, 15, 135)
    assert (oxy["allocatable"], oxy["on_hold"], oxy["lots"], oxy["providers"]) == (115, 20, 3, 2)
    assert levels["MASK-N95"]["on_hand"] == 7 and levels["MASK-N95"]["category"] == "ppe"
    # A provider sees totals of its own lots only.
    mine = _levels(keeper)["OXY-CONC-10L"]
    assert (mine["on_hand"], mine["lots"], mine["providers"]) == (120, 2, 1)


@pytest.mark.both_databases
def test_levels_filter_by_item_category_provider_and_network(coordinator, world, new_lot):
    new_lot(quantity=10)
    new_lot(quantity=4, item_id=world.mask.id)
    new_lot(quantity=30, client=coordinator, location_id=world.other_location.id)
    assert set(_levels(coordinator, f"?item_id={world.mask.id}")) == {"MASK-N95"}
    assert set(_levels(coordinator, "?category=ppe")) == {"MASK-N95"}
    assert _levels(coordinator, f"?provider_id={world.other.id}")["OXY-CONC-10L"]["on_hand"] == 30
    # Only the near provider serves the network.
    assert _levels(coordinator, f"?network_id={world.network.id}")["OXY-CONC-10L"]["on_hand"] == 10
    ordered = coordinator.get("/api/v1/stock/levels?order_by=-on_hand").json["items"]
    assert [row["code"] for row in ordered] == ["OXY-CONC-10L", "MASK-N95"]
    assert coordinator.get("/api/v1/stock/levels?order_by=price").status_code == 422


def test_expired_units_are_not_allocatable(app, keeper, new_lot):
    lot = new_lot(quantity=9)
    with app.app_context(), db.write_session() as session:
        session.get(StockLot, lot["id"]).expires_on = utc_today() - timedelta(days=3)
    oxy = _levels(keeper)["OXY-CONC-10L"]
    assert (oxy["on_hand"], oxy["available"], oxy["allocatable"], oxy["expired"]) == (9, 9, 0, 9)
