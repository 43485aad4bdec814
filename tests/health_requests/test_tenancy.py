"""Another tenant's request, allocation or dispatch answers 404 with no data, whatever the endpoint."""

from __future__ import annotations

import pytest

from tests.factories import allocate, approved


@pytest.fixture
def scene(world):
    """A request of ``world.city`` with an allocation of ``world.provider`` on a shipped dispatch."""
    w = world
    lot_id = w.make_lot(w.provider, w.location, w.item, 10)
    req = approved(w, (w.item, 6))
    allocation = allocate(w, req, 0, lot_id, 6)
    dispatch = w.provider_api.post("/api/v1/dispatches", json={"request_id": req["id"]}).json
    w.provider_api.post(
        f"/api/v1/dispatches/{dispatch['id']}/ship",
        json={"carrier": "DHL", "tracking_number": "T", "packages": 1},
    )
    return req, allocation, dispatch


def calls(req, allocation, dispatch):
    r, a, d = req["id"], allocation["id"], dispatch["id"]
    line = req["lines"][0]["id"]
    return [
        ("get", f"/api/v1/requests/{r}", None),
        ("patch", f"/api/v1/requests/{r}", {"priority": "low"}),
        ("post", f"/api/v1/requests/{r}/submit", {}),
        ("post", f"/api/v1/requests/{r}/cancel", {}),
        ("get", f"/api/v1/requests/{r}/allocations", None),
        ("get", f"/api/v1/allocations/{a}", None),
        ("post", f"/api/v1/allocations/{a}/release", {}),
        ("post", "/api/v1/dispatches", {"request_id": r}),
        ("get", f"/api/v1/dispatches/{d}", None),
        ("post", f"/api/v1/dispatches/{d}/ship", {"carrier": "X", "tracking_number": "Y", "packages": 1}),
        ("post", f"/api/v1/dispatches/{d}/cancel", {}),
        (
            "post",
            f"/api/v1/dispatches/{d}/receipt",
            {"lines": [{"line_id": dispatch["lines"][0]["id"], "accepted": 6}], "received_by": "X"},
        ),
        ("get", f"/api/v1/requests/{r}/lines/{line}/suggestions", None),
    ]


@pytest.mark.parametrize("who", ["other_city_api", "other_provider_api"])
def test_another_tenants_records_answer_404_or_403_and_never_leak(world, scene, who):
    api = getattr(world, who)
    req, allocation, dispatch = scene
    not_found = 0
    for method, path, body in calls(*scene):
        answer = getattr(api, method)(path, json=body) if body is not None else api.get(path)
        assert answer.status_code in (403, 404), (path, answer.status_code, answer.json)
        text = answer.get_data(as_text=True)
        assert (
            req["reference"] not in text and dispatch["reference"] not in text and "justification" not in text
        )
        if answer.status_code == 403:  # only a role refusal, the same for every id
            assert answer.json["message"].startswith("Your role"), (path, answer.json)
        not_found += answer.status_code == 404
    assert not_found >= 5  # every endpoint its role may use says "not found"
    assert world.coordinator.get(f"/api/v1/requests/{req['id']}").json["status"] == "dispatched"


def test_lists_and_exports_show_only_the_callers_tenant(world, scene):
    req, allocation, dispatch = scene
    for api in (world.other_city_api, world.other_provider_api):
        assert api.get("/api/v1/requests").json["items"] == []
        assert api.get("/api/v1/dispatches").json["items"] == []
        assert req["reference"] not in api.get("/api/v1/requests.csv").get_data(as_text=True)
    assert [r["id"] for r in world.city_api.get("/api/v1/requests").json["items"]] == [req["id"]]
    assert [d["id"] for d in world.provider_api.get("/api/v1/dispatches").json["items"]] == [dispatch["id"]]
    assert [d["id"] for d in world.city_api.get("/api/v1/dispatches").json["items"]] == [dispatch["id"]]


def test_a_provider_sees_a_request_only_once_it_holds_an_allocation_and_only_its_own_allocations(world):
    w = world
    mine = w.make_lot(w.provider, w.location, w.item, 10)
    theirs = w.make_lot(w.other_provider, w.other_location, w.item, 10)
    req = approved(w, (w.item, 6))
    assert w.provider_api.get(f"/api/v1/requests/{req['id']}").status_code == 404
    allocate(w, req, 0, mine, 2)
    other = allocate(w, req, 0, theirs, 3)
    assert w.provider_api.get(f"/api/v1/requests/{req['id']}").status_code == 200
    assert [a["lot_id"] for a in w.provider_api.get(f"/api/v1/requests/{req['id']}/allocations").json] == [
        mine
    ]
    assert w.provider_api.get(f"/api/v1/allocations/{other['id']}").status_code == 404
    assert len(w.city_api.get(f"/api/v1/requests/{req['id']}/allocations").json) == 2
    assert len(w.coordinator.get(f"/api/v1/requests/{req['id']}/allocations").json) == 2


def test_discrepancies_are_scoped_to_the_tenant(world, scene):
    req, allocation, dispatch = scene
    world.city_api.post(
        f"/api/v1/dispatches/{dispatch['id']}/receipt",
        json={
            "lines": [
                {"line_id": dispatch["lines"][0]["id"], "accepted": 5, "rejected": 1, "reason": "wrong_item"}
            ],
            "received_by": "Ops",
        },
    )
    for api, count in (
        (world.coordinator, 1),
        (world.city_api, 1),
        (world.provider_api, 1),
        (world.other_city_api, 0),
        (world.other_provider_api, 0),
    ):
        assert api.get("/api/v1/dispatches/discrepancies").json["total"] == count
