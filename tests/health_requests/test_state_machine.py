"""Every transition the state table forbids answers 409 and names both states; nothing changes."""

from __future__ import annotations

import pytest

from health_responder.health_requests.models import TARGET, TRANSITIONS, RequestStatus
from tests.factories import allocate, approved, create

BODIES = {
    "submit": {},
    "approve": {},
    "reject": {"reason": "Not needed."},
    "cancel": {},
    "close": {"note": "Done."},
}


def reach(w, state: str) -> int:
    """A request of ``w.city`` in ``state``, walked there through the API."""
    if state == "draft":
        return create(w.city_api, (w.item, 4))["id"]
    if state == "submitted":
        req = create(w.city_api, (w.item, 4))
        w.city_api.post(f"/api/v1/requests/{req['id']}/submit")
        return req["id"]
    if state in ("rejected", "cancelled"):
        req = approved(w, (w.item, 4))
        action = "reject" if state == "rejected" else "cancel"
        assert (
            w.coordinator.post(f"/api/v1/requests/{req['id']}/{action}", json=BODIES[action]).status_code
            == 200
        )
        return req["id"]
    req = approved(w, (w.item, 4))
    if state == "approved":
        return req["id"]
    lot_id = w.make_lot(w.provider, w.location, w.item, 10)
    allocate(w, req, 0, lot_id, 4 if state != "partially_allocated" else 2)
    if state in ("partially_allocated", "allocated"):
        return req["id"]
    if state == "partially_dispatched":
        w.coordinator.post(f"/api/v1/allocations/{_first_allocation(w, req)}/release")
        allocate(w, req, 0, lot_id, 2)
    if state == "closed":
        w.coordinator.post(f"/api/v1/requests/{req['id']}/close", json={"note": "Enough."})
        return req["id"]
    dispatch = w.provider_api.post("/api/v1/dispatches", json={"request_id": req["id"]}).json
    shipped = w.provider_api.post(
        f"/api/v1/dispatches/{dispatch['id']}/ship",
        json={"carrier": "DHL", "tracking_number": "T", "packages": 1},
    )
    assert shipped.status_code == 200, shipped.json
    if state == "delivered":
        w.city_api.post(
            f"/api/v1/dispatches/{dispatch['id']}/receipt",
            json={
                "lines": [{"line_id": x["id"], "accepted": x["quantity"]} for x in dispatch["lines"]],
                "received_by": "A",
            },
        )
    return req["id"]


def _first_allocation(w, req) -> int:
    return w.coordinator.get(f"/api/v1/requests/{req['id']}/allocations").json[0]["id"]


@pytest.mark.parametrize("state", [s.value for s in RequestStatus])
def test_forbidden_transitions_answer_409_naming_both_states(world, state):
    request_id = reach(world, state)
    assert world.coordinator.get(f"/api/v1/requests/{request_id}").json["status"] == state
    forbidden = [action for action in BODIES if state not in TRANSITIONS[action]]
    for action in forbidden:
        answer = world.coordinator.post(f"/api/v1/requests/{request_id}/{action}", json=BODIES[action])
        assert answer.status_code == 409, (action, answer.json)
        assert state in answer.json["message"] and TARGET[action] in answer.json["message"], answer.json
    assert world.coordinator.get(f"/api/v1/requests/{request_id}").json["status"] == state


def test_a_request_with_reserved_stock_cannot_be_rejected_but_can_be_cancelled(world):
    request_id = reach(world, "partially_allocated")
    answer = world.coordinator.post(f"/api/v1/requests/{request_id}/reject", json={"reason": "No."})
    assert answer.status_code == 409 and "partially_allocated" in answer.json["message"]
    assert world.city_api.post(f"/api/v1/requests/{request_id}/cancel").json["status"] == "cancelled"


def test_stock_cannot_be_allocated_to_a_request_that_is_not_approved(world):
    lot_id = world.make_lot(world.provider, world.location, world.item, 10)
    draft = create(world.city_api, (world.item, 4))
    answer = allocate(world, draft, 0, lot_id, 1, expect=409)
    assert "draft" in answer["message"]
