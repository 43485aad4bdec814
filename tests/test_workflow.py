"""The whole request workflow through the API, from draft to closed, on SQLite and PostgreSQL.

Partial allocation from two providers, a partial dispatch, a receipt with a rejected quantity, a
second dispatch, delivery and closing; quantities, statuses and the stock ledger checked at each step.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from health_responder.db import utc_today
from tests.factories import allocate, approved, create, ledger_ok, lot


def status_of(api, request_id):
    return api.get(f"/api/v1/requests/{request_id}").json["status"]


def line_of(api, request_id, index):
    return api.get(f"/api/v1/requests/{request_id}").json["lines"][index]


@pytest.mark.both_databases
def test_a_request_goes_from_draft_to_closed_through_partial_allocation_dispatch_and_a_rejected_receipt(
    app, world
):
    w = world
    soon = utc_today() + timedelta(days=60)
    near_lot = w.make_lot(w.provider, w.location, w.item, 25, expires_on=soon + timedelta(days=30))
    far_lot = w.make_lot(w.other_provider, w.other_location, w.item, 100)
    small_lot = w.make_lot(w.provider, w.location2, w.item2, 4)

    # draft → submitted → approved; nothing is allocated by approval
    draft = create(w.city_api, (w.item, 40), (w.item2, 10), priority="critical", needed_by=soon.isoformat())
    assert draft["status"] == "draft" and draft["reference"].startswith(f"REQ-{utc_today().year}-")
    request_id = draft["id"]
    assert w.city_api.post(f"/api/v1/requests/{request_id}/submit").json["status"] == "submitted"
    req = w.coordinator.post(f"/api/v1/requests/{request_id}/approve").json
    assert req["status"] == "approved" and all(line["quantity_allocated"] == 0 for line in req["lines"])

    # the suggestions put the provider serving the city's network first
    suggestions = w.coordinator.get(
        f"/api/v1/requests/{request_id}/lines/{req['lines'][0]['id']}/suggestions"
    ).json
    assert [s["lot_id"] for s in suggestions] == [near_lot, far_lot]
    assert suggestions[0]["serves_network"] and suggestions[0]["rationale"]

    # partial allocation: 25 of the near lot (all of it), then 10 of the far provider's lot
    allocate(w, req, 0, near_lot, 25)
    assert status_of(w.coordinator, request_id) == "partially_allocated"
    allocate(w, req, 0, far_lot, 10)
    allocate(w, req, 1, small_lot, 4)
    assert lot(app, near_lot).available == 0 and lot(app, far_lot).reserved == 10
    assert line_of(w.coordinator, request_id, 0)["quantity_allocated"] == 35
    assert status_of(w.coordinator, request_id) == "partially_allocated"

    # the first provider sees the request now, and only its own allocations
    assert w.provider_api.get(f"/api/v1/requests/{request_id}").status_code == 200
    own = w.provider_api.get(f"/api/v1/requests/{request_id}/allocations").json
    assert {a["lot_id"] for a in own} == {near_lot, small_lot}

    # its stock is at two locations: one dispatch per location
    answer = w.provider_api.post("/api/v1/dispatches", json={"request_id": request_id})
    assert answer.status_code == 422 and "location_id" in answer.json["errors"]
    first = w.provider_api.post(
        "/api/v1/dispatches", json={"request_id": request_id, "location_id": w.location.id}
    ).json
    assert first["status"] == "prepared" and first["reference"].startswith("DSP-")
    assert [(x["lot_id"], x["quantity"]) for x in first["lines"]] == [(near_lot, 25)]
    shipped = w.provider_api.post(
        f"/api/v1/dispatches/{first['id']}/ship",
        json={"carrier": "Korea Post", "tracking_number": "KP-1", "packages": 3},
    )
    assert shipped.status_code == 200 and shipped.json["status"] == "shipped"
    assert lot(app, near_lot).on_hand == 0 and lot(app, near_lot).reserved == 0
    assert status_of(w.coordinator, request_id) == "partially_dispatched"
    assert line_of(w.city_api, request_id, 0)["quantity_dispatched"] == 25

    # the city accepts 23 and rejects 2 damaged units
    receipt = w.city_api.post(
        f"/api/v1/dispatches/{first['id']}/receipt",
        json={
            "lines": [
                {"line_id": first["lines"][0]["id"], "accepted": 23, "rejected": 2, "reason": "damaged"}
            ],
            "received_by": "김서연",
        },
    )
    assert receipt.status_code == 200 and receipt.json["status"] == "received"
    line = line_of(w.city_api, request_id, 0)
    assert (line["quantity_received"], line["quantity_rejected"]) == (23, 2)
    discrepancies = w.coordinator.get("/api/v1/dispatches/discrepancies").json["items"]
    assert [(d["dispatch_id"], d["rejected"], d["reason"]) for d in discrepancies] == [
        (first["id"], 2, "damaged")
    ]
    assert status_of(w.coordinator, request_id) == "partially_dispatched"

    # the second location and the second provider ship the rest that was allocated
    second = w.provider_api.post("/api/v1/dispatches", json={"request_id": request_id}).json
    assert [(x["lot_id"], x["quantity"]) for x in second["lines"]] == [(small_lot, 4)]
    third = w.coordinator.post(
        "/api/v1/dispatches", json={"request_id": request_id, "provider_id": w.other_provider.id}
    ).json
    for dispatch, api in ((second, w.provider_api), (third, w.other_provider_api)):
        answer = api.post(
            f"/api/v1/dispatches/{dispatch['id']}/ship",
            json={"carrier": "DHL", "tracking_number": f"D-{dispatch['id']}", "packages": 1},
        )
        assert answer.status_code == 200, answer.json
    # 5 of item 1 and 6 of item 2 were never allocated: still partially dispatched
    assert status_of(w.coordinator, request_id) == "partially_dispatched"
    for dispatch in (second, third):
        answer = w.city_api.post(
            f"/api/v1/dispatches/{dispatch['id']}/receipt",
            json={
                "lines": [{"line_id": x["id"], "accepted": x["quantity"]} for x in dispatch["lines"]],
                "received_by": "김서연",
            },
        )
        assert answer.status_code == 200, answer.json

    # short of stock: the coordinator closes it; the unfilled remainder stays visible
    closed = w.coordinator.post(
        f"/api/v1/requests/{request_id}/close", json={"note": "No more stock this season."}
    )
    assert closed.status_code == 200 and closed.json["status"] == "closed"
    assert [
        (
            x["quantity"],
            x["quantity_allocated"],
            x["quantity_dispatched"],
            x["quantity_received"],
            x["quantity_rejected"],
            x["quantity_unfilled"],
        )
        for x in closed.json["lines"]
    ] == [(40, 35, 35, 33, 2, 5), (10, 4, 4, 4, 0, 6)]
    assert lot(app, far_lot).on_hand == 90 and lot(app, far_lot).reserved == 0
    assert ledger_ok(app)


@pytest.mark.both_databases
def test_a_fully_shipped_request_becomes_delivered_when_every_dispatch_is_received(app, world):
    w = world
    lot_id = w.make_lot(w.provider, w.location, w.item, 10)
    req = approved(w, (w.item, 10))
    allocate(w, req, 0, lot_id, 10)
    assert status_of(w.coordinator, req["id"]) == "allocated"
    dispatch = w.provider_api.post("/api/v1/dispatches", json={"request_id": req["id"]}).json
    w.provider_api.post(
        f"/api/v1/dispatches/{dispatch['id']}/ship",
        json={"carrier": "DHL", "tracking_number": "1", "packages": 1},
    )
    assert status_of(w.coordinator, req["id"]) == "dispatched"
    assert w.city_api.post(f"/api/v1/requests/{req['id']}/cancel").status_code == 409
    w.city_api.post(
        f"/api/v1/dispatches/{dispatch['id']}/receipt",
        json={"lines": [{"line_id": dispatch["lines"][0]["id"], "accepted": 10}], "received_by": "Ops"},
    )
    delivered = w.city_api.get(f"/api/v1/requests/{req['id']}").json
    assert delivered["status"] == "delivered" and delivered["delivered_at"]
    assert (
        w.coordinator.post(f"/api/v1/requests/{req['id']}/close", json={"note": "Done."}).json["status"]
        == "closed"
    )
    assert ledger_ok(app)


@pytest.mark.both_databases
def test_cancelling_a_request_releases_every_reservation_and_cancels_prepared_dispatches(app, world):
    w = world
    lot_a = w.make_lot(w.provider, w.location, w.item, 30)
    lot_b = w.make_lot(w.provider, w.location, w.item2, 30)
    req = approved(w, (w.item, 20), (w.item2, 5))
    allocate(w, req, 0, lot_a, 20)
    allocate(w, req, 1, lot_b, 5)
    dispatch = w.provider_api.post("/api/v1/dispatches", json={"request_id": req["id"]}).json
    cancelled = w.city_api.post(f"/api/v1/requests/{req['id']}/cancel", json={"reason": "Donated locally."})
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert all(x["quantity_allocated"] == 0 for x in cancelled.json["lines"])
    assert w.provider_api.get(f"/api/v1/dispatches/{dispatch['id']}").json["status"] == "cancelled"
    assert {a["status"] for a in w.coordinator.get(f"/api/v1/requests/{req['id']}/allocations").json} == {
        "released"
    }
    assert lot(app, lot_a).reserved == 0 and lot(app, lot_b).reserved == 0
    assert ledger_ok(app)
