"""Preparing, shipping, cancelling and receiving dispatches through the API."""

from __future__ import annotations

import pytest

from tests.factories import allocate, approved, ledger_ok, lot

SHIP = {"carrier": "DHL", "tracking_number": "JD0001", "packages": 2}


@pytest.fixture
def allocated(world):
    """An approved request of 10 + 4 units, fully allocated from the world's provider at one location."""
    lot_a = world.make_lot(world.provider, world.location, world.item, 20)
    lot_b = world.make_lot(world.provider, world.location, world.item2, 20)
    req = approved(world, (world.item, 10), (world.item2, 4))
    allocate(world, req, 0, lot_a, 6)
    allocate(world, req, 0, lot_a, 4)
    allocate(world, req, 1, lot_b, 4)
    return req, lot_a, lot_b


def test_a_dispatch_has_one_line_per_request_line_and_lot_with_quantities_summed(world, allocated):
    req, lot_a, lot_b = allocated
    answer = world.provider_api.post("/api/v1/dispatches", json={"request_id": req["id"]})
    assert answer.status_code == 201
    dispatch = answer.json
    assert (
        dispatch["status"] == "prepared"
        and dispatch["reference"] == f"DSP-{dispatch['created_at'][:4]}-{dispatch['id']:06d}"
    )
    assert (dispatch["provider_id"], dispatch["city_id"], dispatch["location_id"]) == (
        world.provider.id,
        world.city.id,
        world.location.id,
    )
    assert sorted(
        (x["request_line_id"], x["lot_id"], x["item_id"], x["quantity"]) for x in dispatch["lines"]
    ) == [
        (req["lines"][0]["id"], lot_a, world.item.id, 10),
        (req["lines"][1]["id"], lot_b, world.item2.id, 4),
    ]
    allocations = world.coordinator.get(f"/api/v1/requests/{req['id']}/allocations").json
    assert {a["dispatch_id"] for a in allocations} == {dispatch["id"]}
    again = world.provider_api.post("/api/v1/dispatches", json={"request_id": req["id"]})
    assert again.status_code == 409


def test_a_coordinator_must_say_which_providers_allocations_to_dispatch(world, allocated):
    req, *_ = allocated
    answer = world.coordinator.post("/api/v1/dispatches", json={"request_id": req["id"]})
    assert answer.status_code == 422 and "provider_id" in answer.json["errors"]
    answer = world.coordinator.post(
        "/api/v1/dispatches", json={"request_id": req["id"], "provider_id": world.provider.id}
    )
    assert answer.status_code == 201 and answer.json["created_by_id"] == world.coordinator.user.id


def test_shipping_takes_the_units_out_of_the_lots_and_moves_the_request(app, world, allocated):
    req, lot_a, lot_b = allocated
    dispatch = world.provider_api.post("/api/v1/dispatches", json={"request_id": req["id"]}).json
    shipped = world.provider_api.post(f"/api/v1/dispatches/{dispatch['id']}/ship", json=SHIP)
    assert shipped.status_code == 200
    assert (
        shipped.json["status"],
        shipped.json["carrier"],
        shipped.json["tracking_number"],
        shipped.json["packages"],
    ) == ("shipped", "DHL", "JD0001", 2) and shipped.json["shipped_at"]
    assert (lot(app, lot_a).on_hand, lot(app, lot_a).reserved) == (10, 0)
    assert (lot(app, lot_b).on_hand, lot(app, lot_b).reserved) == (16, 0)
    request = world.city_api.get(f"/api/v1/requests/{req['id']}").json
    assert request["status"] == "dispatched"
    assert [x["quantity_dispatched"] for x in request["lines"]] == [10, 4]
    assert {a["status"] for a in world.coordinator.get(f"/api/v1/requests/{req['id']}/allocations").json} == {
        "dispatched"
    }
    again = world.provider_api.post(f"/api/v1/dispatches/{dispatch['id']}/ship", json=SHIP)
    assert again.status_code == 409 and "shipped" in again.json["message"]
    assert ledger_ok(app)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"carrier": "DHL", "tracking_number": "1", "packages": 0}, "packages"),
        ({"carrier": "", "tracking_number": "1", "packages": 1}, "carrier"),
        ({"tracking_number": "1", "packages": 1}, "carrier"),
    ],
)
def test_shipping_needs_a_carrier_a_tracking_number_and_packages(world, allocated, body, field):
    req, *_ = allocated
    dispatch = world.provider_api.post("/api/v1/dispatches", json={"request_id": req["id"]}).json
    answer = world.provider_api.post(f"/api/v1/dispatches/{dispatch['id']}/ship", json=body)
    assert answer.status_code == 422 and field in answer.json["errors"]


def test_cancelling_a_prepared_dispatch_keeps_its_allocations_reserved_for_the_next(app, world, allocated):
    req, lot_a, _ = allocated
    dispatch = world.provider_api.post("/api/v1/dispatches", json={"request_id": req["id"]}).json
    cancelled = world.provider_api.post(f"/api/v1/dispatches/{dispatch['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    allocations = world.coordinator.get(f"/api/v1/requests/{req['id']}/allocations").json
    assert {(a["status"], a["dispatch_id"]) for a in allocations} == {("reserved", None)}
    assert lot(app, lot_a).reserved == 10
    assert world.provider_api.post(f"/api/v1/dispatches/{dispatch['id']}/ship", json=SHIP).status_code == 409
    assert world.provider_api.post("/api/v1/dispatches", json={"request_id": req["id"]}).status_code == 201


def test_a_shipped_dispatch_cannot_be_cancelled(world, allocated):
    req, *_ = allocated
    dispatch = world.provider_api.post("/api/v1/dispatches", json={"request_id": req["id"]}).json
    world.provider_api.post(f"/api/v1/dispatches/{dispatch['id']}/ship", json=SHIP)
    answer = world.provider_api.post(f"/api/v1/dispatches/{dispatch['id']}/cancel")
    assert (
        answer.status_code == 409
        and "shipped" in answer.json["message"]
        and "cancelled" in answer.json["message"]
    )


def test_an_allocation_on_a_prepared_dispatch_is_not_released_alone(world, allocated):
    req, *_ = allocated
    world.provider_api.post("/api/v1/dispatches", json={"request_id": req["id"]})
    allocation = world.coordinator.get(f"/api/v1/requests/{req['id']}/allocations").json[0]
    assert world.coordinator.post(f"/api/v1/allocations/{allocation['id']}/release").status_code == 409


def _shipped(world, allocated):
    req, *_ = allocated
    dispatch = world.provider_api.post("/api/v1/dispatches", json={"request_id": req["id"]}).json
    world.provider_api.post(f"/api/v1/dispatches/{dispatch['id']}/ship", json=SHIP)
    return req, sorted(dispatch["lines"], key=lambda x: x["quantity"], reverse=True), dispatch


@pytest.mark.parametrize(
    ("entries", "field"),
    [
        ([(9, 0, None), (4, 0, None)], "lines.0.accepted"),  # 9 of 10: does not add up
        ([(10, 1, "damaged"), (4, 0, None)], "lines.0.accepted"),  # 11 of 10
        ([(8, 2, None), (4, 0, None)], "lines.0.reason"),  # rejected without a reason
        ([(10, 0, None)], "lines"),  # a line missing
        ([(-1, 11, "lost"), (4, 0, None)], "lines.0.accepted"),  # negative
    ],
)
def test_a_receipt_that_does_not_add_up_answers_422_and_changes_nothing(world, allocated, entries, field):
    req, lines, dispatch = _shipped(world, allocated)
    body = {
        "received_by": "Ops",
        "lines": [
            {"line_id": line["id"], "accepted": a, "rejected": r} | ({"reason": why} if why else {})
            for line, (a, r, why) in zip(lines, entries, strict=False)
        ],
    }
    answer = world.city_api.post(f"/api/v1/dispatches/{dispatch['id']}/receipt", json=body)
    assert answer.status_code == 422 and field in answer.json["errors"], answer.json
    if field == "lines.0.reason":  # the API names the codes it takes
        assert answer.json["errors"][field] == [
            "Rejected units need a reason: one of damaged, expired, wrong_item, lost, other."
        ]
    assert world.city_api.get(f"/api/v1/dispatches/{dispatch['id']}").json["status"] == "shipped"


def test_a_receipt_with_rejections_records_the_discrepancy_and_delivers_the_request(world, allocated):
    req, lines, dispatch = _shipped(world, allocated)
    body = {
        "received_by": "Dr. Kim",
        "lines": [
            {
                "line_id": lines[0]["id"],
                "accepted": 7,
                "rejected": 3,
                "reason": "expired",
                "note": "Boxes 2-3.",
            },
            {"line_id": lines[1]["id"], "accepted": 4},
        ],
    }
    answer = world.city_api.post(f"/api/v1/dispatches/{dispatch['id']}/receipt", json=body)
    assert answer.status_code == 200 and answer.json["status"] == "received"
    assert answer.json["received_by"] == "Dr. Kim" and answer.json["received_at"]
    request = world.city_api.get(f"/api/v1/requests/{req['id']}").json
    assert request["status"] == "delivered"
    assert [(x["quantity_received"], x["quantity_rejected"]) for x in request["lines"]] == [(7, 3), (4, 0)]
    items = world.coordinator.get("/api/v1/dispatches/discrepancies").json["items"]
    assert [(d["request_line_id"], d["rejected"], d["reason"], d["note"]) for d in items] == [
        (req["lines"][0]["id"], 3, "expired", "Boxes 2-3.")
    ]
    assert world.city_api.post(f"/api/v1/dispatches/{dispatch['id']}/receipt", json=body).status_code == 409
    # Staff are told, naming the item and the lot as the dispatch report does (not a line's id).
    told = [
        n for n in world.coordinator.get("/api/v1/notifications").json["items"] if "rejected" in n["subject"]
    ]
    lot = world.coordinator.get(f"/api/v1/stock/lots/{lines[0]['lot_id']}").json
    item = world.coordinator.get(f"/api/v1/items/{lines[0]['item_id']}").json
    assert [n["body"] for n in told] == [f"{item['code']}, lot {lot['lot_code']}: 3 expired"], told


def test_the_provider_cannot_record_the_receipt(world, allocated):
    req, lines, dispatch = _shipped(world, allocated)
    answer = world.provider_api.post(
        f"/api/v1/dispatches/{dispatch['id']}/receipt",
        json={"received_by": "Me", "lines": [{"line_id": x["id"], "accepted": x["quantity"]} for x in lines]},
    )
    assert answer.status_code == 403


def test_the_list_filters_by_status_request_provider_city_and_ship_date(world, allocated):
    req, lines, dispatch = _shipped(world, allocated)

    def ids(**query):
        answer = world.coordinator.get("/api/v1/dispatches", query_string=query)
        assert answer.status_code == 200, answer.json
        return [d["id"] for d in answer.json["items"]]

    today = dispatch["created_at"][:10]
    assert ids(status="shipped") == [dispatch["id"]] and ids(status="prepared") == []
    assert ids(request_id=req["id"], provider_id=world.provider.id, city_id=world.city.id) == [dispatch["id"]]
    assert ids(provider_id=world.other_provider.id) == []
    assert ids(shipped_from=today, shipped_to=today) == [dispatch["id"]]
    assert ids(shipped_to="2000-01-01") == []


def test_nothing_to_dispatch_answers_409_and_a_cancelled_request_cannot_be_dispatched(world):
    lot_id = world.make_lot(world.provider, world.location, world.item, 5)
    req = approved(world, (world.item, 5))
    allocate(world, req, 0, lot_id, 5)
    world.coordinator.post(f"/api/v1/requests/{req['id']}/cancel")
    answer = world.coordinator.post(
        "/api/v1/dispatches", json={"request_id": req["id"], "provider_id": world.provider.id}
    )
    assert answer.status_code == 409 and "cancelled" in answer.json["message"]
