"""Adjustments of a lot and its ledger over the API."""

from __future__ import annotations

import pytest

from tests.factories import lot_state, reserve

MOVEMENT_KEYS = {
    "id",
    "lot_id",
    "kind",
    "delta_on_hand",
    "delta_reserved",
    "reason",
    "note",
    "actor_label",
    "reference_type",
    "reference_id",
    "job_run_id",
    "created_at",
}


def test_an_adjustment_answers_the_movement_and_changes_the_lot(app, keeper, new_lot):
    lot = new_lot(quantity=40)
    response = keeper.post(
        f"/api/v1/stock/lots/{lot['id']}/adjustments",
        json={"delta": -4, "reason": "damaged", "note": "crushed in transit ✓ 파손"},
    )
    assert response.status_code == 201, response.json
    movement = response.json
    assert set(movement) == MOVEMENT_KEYS
    assert (movement["lot_id"], movement["kind"], movement["delta_on_hand"], movement["delta_reserved"]) == (
        lot["id"],
        "adjustment",
        -4,
        0,
    )
    assert movement["reason"] == "damaged" and movement["note"] == "crushed in transit ✓ 파손"
    assert movement["actor_label"] == f"user:{keeper.user.email}"
    assert keeper.get(f"/api/v1/stock/lots/{lot['id']}").json["on_hand"] == 36
    found = keeper.post(f"/api/v1/stock/lots/{lot['id']}/adjustments", json={"delta": 6, "reason": "found"})
    assert found.status_code == 201
    assert lot_state(app, lot["id"]) == (42, 0, [])


def test_an_adjustment_cannot_take_on_hand_below_what_is_reserved(app, keeper, new_lot):
    lot = new_lot(quantity=10)
    reserve(app, lot["id"], 8)
    response = keeper.post(
        f"/api/v1/stock/lots/{lot['id']}/adjustments", json={"delta": -3, "reason": "lost"}
    )
    assert response.status_code == 409
    assert response.json["message"] == (
        f"Lot {lot['lot_code']} has 10 on hand of which 8 reserved: it cannot lose 3. "
        "Ask the coordinator to release the reservation first."
    )
    assert response.json["errors"] == {"delta": ["At most 2 can be removed."]}
    assert lot_state(app, lot["id"]) == (10, 8, [])
    assert (
        keeper.post(
            f"/api/v1/stock/lots/{lot['id']}/adjustments", json={"delta": -2, "reason": "lost"}
        ).status_code
        == 201
    )
    assert lot_state(app, lot["id"]) == (8, 8, [])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"delta": 0, "reason": "recount"}, "delta"),
        ({"delta": 1.5, "reason": "recount"}, "delta"),
        ({"reason": "recount"}, "delta"),
        ({"delta": -1, "reason": "stolen by gremlins"}, "reason"),
        ({"delta": -1}, "reason"),
        ({"delta": -1, "reason": "lost", "note": "x" * 2001}, "note"),
    ],
)
def test_bad_adjustments_answer_422_naming_the_field(app, keeper, new_lot, body, field):
    lot = new_lot(quantity=5)
    response = keeper.post(f"/api/v1/stock/lots/{lot['id']}/adjustments", json=body)
    assert response.status_code == 422
    assert field in response.json["errors"]
    assert lot_state(app, lot["id"]) == (5, 0, [])


def test_an_adjustment_of_a_missing_lot_answers_404(keeper):
    assert (
        keeper.post("/api/v1/stock/lots/424242/adjustments", json={"delta": 1, "reason": "found"}).status_code
        == 404
    )


def test_the_movements_list_is_the_lots_ledger_paged(app, keeper, coordinator, new_lot):
    lot = new_lot(quantity=50)
    other = new_lot(quantity=5)
    for delta in (-1, -2, -3):
        keeper.post(f"/api/v1/stock/lots/{lot['id']}/adjustments", json={"delta": delta, "reason": "recount"})
    reserve(app, lot["id"], 4)
    page = keeper.get(f"/api/v1/stock/lots/{lot['id']}/movements?page_size=2").json
    assert (page["total"], page["pages"], len(page["items"])) == (5, 3, 2)
    everything = keeper.get(f"/api/v1/stock/lots/{lot['id']}/movements?page_size=100").json["items"]
    assert [m["kind"] for m in everything] == [
        "receipt",
        "adjustment",
        "adjustment",
        "adjustment",
        "reservation",
    ]
    assert all(m["lot_id"] == lot["id"] for m in everything)
    assert (
        sum(m["delta_on_hand"] for m in everything) == 44
        and sum(m["delta_reserved"] for m in everything) == 4
    )
    newest = keeper.get(f"/api/v1/stock/lots/{lot['id']}/movements?order_by=-id&kind=adjustment").json[
        "items"
    ]
    assert [m["delta_on_hand"] for m in newest] == [-3, -2, -1]
    assert coordinator.get(f"/api/v1/stock/lots/{other['id']}/movements").json["total"] == 1


def test_a_retried_adjustment_with_the_same_idempotency_key_applies_once(app, keeper, new_lot):
    lot = new_lot(quantity=20)
    path, body = f"/api/v1/stock/lots/{lot['id']}/adjustments", {"delta": -4, "reason": "damaged"}
    first = keeper.post(path, json=body, headers={"Idempotency-Key": "adj-1"})
    again = keeper.post(path, json=body, headers={"Idempotency-Key": "adj-1"})
    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"] and again.headers["Idempotent-Replayed"] == "true"
    assert lot_state(app, lot["id"]) == (16, 0, [])
    other = keeper.post(path, json={"delta": -5, "reason": "damaged"}, headers={"Idempotency-Key": "adj-1"})
    assert other.status_code == 422
