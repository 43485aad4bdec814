"""Receiving, reading and correcting stock lots over the API, for each role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from health_responder.audit.models import AuditEvent
from health_responder.db import utc_today
from health_responder.extensions import db
from tests.factories import NEXT_YEAR, reserve

LOT_KEYS = {
    "id",
    "provider_id",
    "item_id",
    "location_id",
    "lot_code",
    "expires_on",
    "status",
    "on_hand",
    "reserved",
    "available",
    "created_at",
    "updated_at",
}


def test_provider_receives_a_lot_with_its_receipt_in_the_ledger(keeper, world):
    response = keeper.post(
        "/api/v1/stock/lots",
        json={
            "item_id": world.item.id,
            "location_id": world.location.id,
            "lot_code": "L-0425",
            "expires_on": "2099-03-31",
            "quantity": 120,
            "note": "first delivery",
        },
    )
    assert response.status_code == 201, response.json
    lot = response.json
    assert set(lot) == LOT_KEYS
    assert lot["provider_id"] == world.provider.id and lot["expires_on"] == "2099-03-31"
    assert (lot["status"], lot["on_hand"], lot["reserved"], lot["available"]) == ("available", 120, 0, 120)
    ledger = keeper.get(f"/api/v1/stock/lots/{lot['id']}/movements").json
    assert ledger["total"] == 1
    receipt = ledger["items"][0]
    assert (receipt["kind"], receipt["delta_on_hand"], receipt["delta_reserved"]) == ("receipt", 120, 0)
    assert receipt["note"] == "first delivery" and receipt["actor_label"] == f"user:{keeper.user.email}"


def test_coordinator_receives_a_lot_for_the_provider_of_the_location(coordinator, world):
    response = coordinator.post(
        "/api/v1/stock/lots",
        json={
            "item_id": world.mask.id,
            "location_id": world.other_location.id,
            "lot_code": "M-1",
            "expires_on": None,
            "quantity": 5,
            "status": "quarantined",
        },
    )
    assert response.status_code == 201, response.json
    assert response.json["provider_id"] == world.other.id
    assert response.json["expires_on"] is None and response.json["status"] == "quarantined"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"item_id": 999_999}, "item_id"),
        ({"location_id": 999_999}, "location_id"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": -3}, "quantity"),
        ({"quantity": "12"}, "quantity"),
        ({"lot_code": ""}, "lot_code"),
        ({"expires_on": "31/03/2027"}, "expires_on"),
        ({"status": "lost"}, "status"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_lot_input_answers_422_naming_the_field(keeper, world, change, field):
    body = {
        "item_id": world.item.id,
        "location_id": world.location.id,
        "lot_code": "L-1",
        "expires_on": NEXT_YEAR,
        "quantity": 10,
    } | change
    response = keeper.post("/api/v1/stock/lots", json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert keeper.get("/api/v1/stock/lots").json["total"] == 0


def test_a_lot_already_expired_is_refused(keeper, world):
    yesterday = (utc_today() - timedelta(days=2)).isoformat()
    response = keeper.post(
        "/api/v1/stock/lots",
        json={
            "item_id": world.item.id,
            "location_id": world.location.id,
            "lot_code": "OLD",
            "expires_on": yesterday,
            "quantity": 10,
        },
    )
    assert response.status_code == 422
    assert "past" in response.json["errors"]["expires_on"][0]


def test_a_provider_cannot_receive_at_another_providers_location(keeper, world):
    response = keeper.post(
        "/api/v1/stock/lots",
        json={
            "item_id": world.item.id,
            "location_id": world.other_location.id,
            "lot_code": "X",
            "quantity": 10,
        },
    )
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["location_id"]
    assert "Elsewhere" not in response.get_data(as_text=True)


@pytest.mark.both_databases
def test_the_same_lot_code_twice_at_a_location_answers_409(keeper, world, new_lot):
    new_lot(lot_code="DUP-1")
    response = keeper.post(
        "/api/v1/stock/lots",
        json={"item_id": world.item.id, "location_id": world.location.id, "lot_code": "DUP-1", "quantity": 3},
    )
    assert response.status_code == 409
    assert "lot_code" in response.json["errors"]
    # The same code for another item is another lot.
    new_lot(lot_code="DUP-1", item_id=world.mask.id)


def test_city_users_see_no_stock(city_user, new_lot):
    lot = new_lot()
    for path in (
        "/api/v1/stock/lots",
        f"/api/v1/stock/lots/{lot['id']}",
        f"/api/v1/stock/lots/{lot['id']}/movements",
        "/api/v1/stock/levels",
        "/api/v1/stock/lots.csv",
    ):
        response = city_user.get(path)
        assert response.status_code == 403, path
        assert str(lot["on_hand"]) not in str(response.json.get("errors"))
    assert city_user.post("/api/v1/stock/lots", json={}).status_code == 403
    assert city_user.post(f"/api/v1/stock/lots/{lot['id']}/adjustments", json={}).status_code == 403
    assert city_user.patch(f"/api/v1/stock/lots/{lot['id']}", json={"status": "recalled"}).status_code == 403


def test_without_a_token_stock_answers_401(anonymous):
    assert anonymous.get("/api/v1/stock/lots").status_code == 401
    assert anonymous.post("/api/v1/stock/lots", json={}).status_code == 401


def test_another_providers_lot_answers_404_without_its_data(rival, new_lot):
    lot = new_lot(lot_code="SECRET-LOT")
    for response in (
        rival.get(f"/api/v1/stock/lots/{lot['id']}"),
        rival.get(f"/api/v1/stock/lots/{lot['id']}/movements"),
        rival.patch(f"/api/v1/stock/lots/{lot['id']}", json={"status": "recalled"}),
        rival.post(f"/api/v1/stock/lots/{lot['id']}/adjustments", json={"delta": -1, "reason": "lost"}),
    ):
        assert response.status_code == 404
        assert "SECRET-LOT" not in response.get_data(as_text=True)
        assert set(response.json) == {"code", "status", "message", "errors"}
    assert rival.get("/api/v1/stock/lots").json["total"] == 0


@pytest.mark.both_databases
def test_lists_are_tenant_scoped_and_filtered(keeper, rival, coordinator, world, new_lot):
    mine = new_lot(quantity=10, lot_code="A")
    new_lot(quantity=50, lot_code="B", item_id=world.mask.id, expires_on=None)
    theirs = new_lot(quantity=7, lot_code="C", client=coordinator, location_id=world.other_location.id)
    assert [lot["lot_code"] for lot in keeper.get("/api/v1/stock/lots").json["items"]] == ["A", "B"]
    assert [lot["id"] for lot in rival.get("/api/v1/stock/lots").json["items"]] == [theirs["id"]]
    assert coordinator.get("/api/v1/stock/lots").json["total"] == 3
    assert coordinator.get(f"/api/v1/stock/lots?provider_id={world.other.id}").json["total"] == 1
    # A provider asking for another provider's lots gets none, not theirs.
    assert keeper.get(f"/api/v1/stock/lots?provider_id={world.other.id}").json["total"] == 0
    assert [x["id"] for x in keeper.get(f"/api/v1/stock/lots?item_id={world.item.id}").json["items"]] == [
        mine["id"]
    ]
    assert keeper.get("/api/v1/stock/lots?available_min=11").json["total"] == 1
    assert (
        keeper.get(f"/api/v1/stock/lots?expires_before=2099-01-01&location_id={world.location.id}").json[
            "total"
        ]
        == 1
    )
    assert keeper.get("/api/v1/stock/lots?expires_after=2099-01-01").json["total"] == 0
    by_available = keeper.get("/api/v1/stock/lots?order_by=-available").json["items"]
    assert [lot["lot_code"] for lot in by_available] == ["B", "A"]
    by_expiry = keeper.get("/api/v1/stock/lots?order_by=expires_on").json["items"]
    assert [lot["lot_code"] for lot in by_expiry] == ["A", "B"]  # undated lots last
    bad = keeper.get("/api/v1/stock/lots?order_by=note&status=lost")
    assert bad.status_code == 422 and {"order_by", "status"} <= set(bad.json["errors"])


def test_lots_page_through_every_lot_once(keeper, new_lot):
    ids = {new_lot(quantity=1)["id"] for _ in range(5)}
    first = keeper.get("/api/v1/stock/lots?page_size=2").json
    seen = [
        lot["id"]
        for page in range(1, first["pages"] + 1)
        for lot in keeper.get(f"/api/v1/stock/lots?page_size=2&page={page}").json["items"]
    ]
    assert (first["total"], first["pages"]) == (5, 3)
    assert sorted(seen) == sorted(ids)


def test_quarantine_and_corrections_are_audited(app, keeper, new_lot):
    lot = new_lot(lot_code="TYPO")
    response = keeper.patch(
        f"/api/v1/stock/lots/{lot['id']}",
        json={
            "status": "quarantined",
            "lot_code": "FIXED",
            "expires_on": "2098-01-31",
            "note": "label misprinted",
        },
    )
    assert response.status_code == 200, response.json
    assert (response.json["status"], response.json["lot_code"], response.json["expires_on"]) == (
        "quarantined",
        "FIXED",
        "2098-01-31",
    )
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "stock_lot.update", AuditEvent.subject_id == lot["id"]
            )
        ).one()
        assert event.before["lot_code"] == "TYPO" and event.after["lot_code"] == "FIXED"
        assert event.after["note"] == "label misprinted" and event.actor_id == keeper.user.id
    released = keeper.patch(f"/api/v1/stock/lots/{lot['id']}", json={"status": "available"})
    assert released.json["status"] == "available"


def test_a_recalled_lot_stays_recalled(keeper, new_lot):
    lot = new_lot()
    assert keeper.patch(f"/api/v1/stock/lots/{lot['id']}", json={"status": "recalled"}).status_code == 200
    response = keeper.patch(f"/api/v1/stock/lots/{lot['id']}", json={"status": "available"})
    assert response.status_code == 409
    assert "recalled" in response.json["message"] and "available" in response.json["message"]


def test_correcting_a_lot_code_to_an_existing_one_answers_409(keeper, new_lot):
    new_lot(lot_code="TAKEN")
    lot = new_lot(lot_code="FREE")
    response = keeper.patch(f"/api/v1/stock/lots/{lot['id']}", json={"lot_code": "TAKEN"})
    assert response.status_code == 409 and "lot_code" in response.json["errors"]
    assert keeper.get(f"/api/v1/stock/lots/{lot['id']}").json["lot_code"] == "FREE"


def test_an_empty_patch_answers_422(keeper, new_lot):
    lot = new_lot()
    assert keeper.patch(f"/api/v1/stock/lots/{lot['id']}", json={"note": "nothing"}).status_code == 422
    assert keeper.patch(f"/api/v1/stock/lots/{lot['id']}", json={"on_hand": 5}).status_code == 422


def test_a_lot_shows_its_reservations(app, keeper, new_lot):
    lot = new_lot(quantity=30)
    reserve(app, lot["id"], 12)
    shown = keeper.get(f"/api/v1/stock/lots/{lot['id']}").json
    assert (shown["on_hand"], shown["reserved"], shown["available"]) == (30, 12, 18)
