"""Issue 13 item 6: a lot quarantined or recalled after it was allocated never leaves the warehouse.

Preparing or shipping a dispatch that holds it answers 409 naming the lot and its status (API and
pages); the change raises an alert to the coordinators listing the requests that hold the lot; the
coordinator releases those reservations and allocates another lot, and the alert follows.
"""

from __future__ import annotations

import pytest

from tests.factories import flashes, future, text

pytestmark = pytest.mark.both_databases

SHIP = {"carrier": "DHL", "tracking_number": "TR-1", "packages": 1}


def _allocated(make, lot_id: int, quantity: int = 4, **kw) -> dict:
    request = make.approved_request((make.world.item, quantity), needed_by=future(60), **kw)
    make.allocation(request, 0, lot_id, quantity)
    return request


def _set_status(world, lot_id: int, status: str) -> None:
    answer = world.provider_api.patch(f"/api/v1/stock/lots/{lot_id}", json={"status": status, "note": "QA"})
    assert answer.status_code == 200, answer.json


def _alerts(client, **args) -> list[dict]:
    answer = client.get("/api/v1/alerts", query_string={"kind": "unusable_lot", **args})
    assert answer.status_code == 200, answer.json
    return answer.json["items"]


def test_preparing_a_dispatch_of_a_recalled_lot_answers_409_naming_the_lot(make, world, database_url):
    lot = make.lot(20, expires_on=future(300), code="L-RECALL-1")
    request = _allocated(make, lot.id)
    _set_status(world, lot.id, "recalled")

    answer = world.provider_api.post("/api/v1/dispatches", json={"request_id": request["id"]})

    assert answer.status_code == 409, answer.json
    assert "L-RECALL-1 (recalled)" in answer.json["message"]
    assert answer.json["errors"]["lot_id"] == ["Lot L-RECALL-1 is recalled."]
    assert world.provider_api.get("/api/v1/dispatches").json["total"] == 0


def test_shipping_a_dispatch_whose_lot_was_quarantined_answers_409_and_moves_nothing(
    make, world, database_url
):
    good = make.lot(20, expires_on=future(300), code="L-GOOD-1")
    bad = make.lot(20, expires_on=future(300), code="L-QUAR-1", item=world.item2)
    request = make.approved_request((world.item, 3), (world.item2, 2), needed_by=future(60))
    make.allocation(request, 0, good.id, 3)
    make.allocation(request, 1, bad.id, 2)
    prepared = world.provider_api.post("/api/v1/dispatches", json={"request_id": request["id"]})
    assert prepared.status_code == 201, prepared.json
    _set_status(world, bad.id, "quarantined")

    answer = world.provider_api.post(f"/api/v1/dispatches/{prepared.json['id']}/ship", json=SHIP)

    assert answer.status_code == 409, answer.json
    assert prepared.json["reference"] in answer.json["message"]
    assert "L-QUAR-1 (quarantined)" in answer.json["message"]
    assert "L-GOOD-1" not in answer.json["message"]
    assert world.provider_api.get(f"/api/v1/dispatches/{prepared.json['id']}").json["status"] == "prepared"
    for lot, on_hand, reserved in ((good, 20, 3), (bad, 20, 2)):
        read = world.provider_api.get(f"/api/v1/stock/lots/{lot.id}").json
        assert (read["on_hand"], read["reserved"]) == (on_hand, reserved)
    assert world.ledger_ok()


def test_a_recall_alerts_the_coordinators_with_every_request_that_holds_the_lot(make, world, database_url):
    lot = make.lot(30, expires_on=future(300), code="L-HELD-1")
    spare = make.lot(30, expires_on=future(300), code="L-SPARE-1")
    first = _allocated(make, lot.id, 4, priority="critical")
    second = _allocated(make, lot.id, 6)
    untouched = _allocated(make, spare.id, 2)
    prepared = world.provider_api.post("/api/v1/dispatches", json={"request_id": first["id"]})
    assert prepared.status_code == 201, prepared.json

    _set_status(world, lot.id, "recalled")

    [alert] = _alerts(world.coordinator, status="open")
    assert alert["severity"] == "critical" and alert["provider_id"] == world.provider.id
    message = alert["message"]
    assert (
        "L-HELD-1" in message and "recalled" in message and "10 unit(s) reserved for 2 request(s)" in message
    )
    assert first["reference"] in message and second["reference"] in message
    assert untouched["reference"] not in message
    assert f"on prepared dispatch {prepared.json['reference']}" in message
    held = {entry["reference"]: entry for entry in alert["details"]["requests"]}
    assert set(held) == {first["reference"], second["reference"]}
    assert held[first["reference"]]["reserved"] == 4
    assert held[first["reference"]]["prepared_dispatches"] == [prepared.json["reference"]]
    assert held[second["reference"]]["prepared_dispatches"] == []
    # The coordinators hear of it; the provider sees it too; a city sees no other cities' news.
    inbox = world.coordinator.get("/api/v1/notifications").json["items"]
    assert any("L-HELD-1" in note["subject"] for note in inbox)
    assert [a["id"] for a in _alerts(world.provider_api)] == [alert["id"]]
    assert _alerts(world.city_api) == []


def test_the_coordinator_releases_the_reservations_and_allocates_another_lot(make, world, database_url):
    lot = make.lot(30, expires_on=future(300), code="L-OUT-1")
    replacement = make.lot(30, expires_on=future(300), code="L-IN-1")
    first = _allocated(make, lot.id, 4)
    second = _allocated(make, lot.id, 6)
    prepared = world.provider_api.post("/api/v1/dispatches", json={"request_id": first["id"]})
    assert prepared.status_code == 201
    _set_status(world, lot.id, "quarantined")
    [alert] = _alerts(world.coordinator, status="open")
    assert alert["severity"] == "warning"

    [on_dispatch] = world.coordinator.get(f"/api/v1/requests/{first['id']}/allocations").json
    refused = world.coordinator.post(f"/api/v1/allocations/{on_dispatch['id']}/release", json={})
    assert refused.status_code == 409 and "cancel that dispatch first" in refused.json["message"]
    cancelled = world.provider_api.post(f"/api/v1/dispatches/{prepared.json['id']}/cancel", json={})
    assert cancelled.status_code == 200, cancelled.json
    [alert] = _alerts(world.coordinator, status="open")
    assert "prepared dispatch" not in alert["message"] and "cancel" not in alert["message"]

    released = world.coordinator.post(f"/api/v1/allocations/{on_dispatch['id']}/release", json={})
    assert released.status_code == 200, released.json
    [alert] = _alerts(world.coordinator, status="open")
    assert second["reference"] in alert["message"] and first["reference"] not in alert["message"]
    assert alert["details"]["reserved"] == 6

    [other] = world.coordinator.get(f"/api/v1/requests/{second['id']}/allocations").json
    assert world.coordinator.post(f"/api/v1/allocations/{other['id']}/release", json={}).status_code == 200
    assert _alerts(world.coordinator, status="open") == []
    [resolved] = _alerts(world.coordinator, status="resolved")
    assert resolved["resolution"] == "No reservation of the lot is left."

    make.allocation(first, 0, replacement.id, 4)
    again = world.provider_api.post("/api/v1/dispatches", json={"request_id": first["id"]})
    assert again.status_code == 201, again.json
    shipped = world.provider_api.post(f"/api/v1/dispatches/{again.json['id']}/ship", json=SHIP)
    assert shipped.status_code == 200, shipped.json
    assert world.provider_api.get(f"/api/v1/stock/lots/{lot.id}").json["reserved"] == 0
    assert world.ledger_ok()


def test_a_lot_released_from_quarantine_ends_its_alert_and_ships_again(make, world, database_url):
    lot = make.lot(20, expires_on=future(300), code="L-BACK-1")
    request = _allocated(make, lot.id, 5)
    _set_status(world, lot.id, "quarantined")
    assert len(_alerts(world.coordinator, status="open")) == 1

    _set_status(world, lot.id, "available")

    assert _alerts(world.coordinator, status="open") == []
    prepared = world.provider_api.post("/api/v1/dispatches", json={"request_id": request["id"]})
    assert prepared.status_code == 201, prepared.json
    shipped = world.provider_api.post(f"/api/v1/dispatches/{prepared.json['id']}/ship", json=SHIP)
    assert shipped.status_code == 200, shipped.json


def test_a_recall_without_reservations_raises_no_alert(make, world, database_url):
    lot = make.lot(20, expires_on=future(300), code="L-FREE-1")
    _set_status(world, lot.id, "recalled")
    assert _alerts(world.coordinator) == []


def test_the_pages_say_which_lot_stops_the_dispatch(make, world, database_url):
    lot = make.lot(20, expires_on=future(300), code="L-PAGE-1")
    request = _allocated(make, lot.id, 3)
    other = _allocated(make, lot.id, 2)
    prepared = world.provider_api.post("/api/v1/dispatches", json={"request_id": other["id"]})
    assert prepared.status_code == 201
    _set_status(world, lot.id, "recalled")
    provider = world.page("provider")

    refused = provider.post(
        "/dispatches/prepare",
        {"request_id": request["id"], "location_id": world.location.id},
        page="/dispatches/waiting",
    )
    assert refused.status_code == 302
    messages = flashes(provider.html(refused.headers["Location"]))
    assert any("Cannot prepare a dispatch holding lot L-PAGE-1 (recalled)" in m for m in messages), messages

    path = f"/dispatches/{prepared.json['id']}"
    stopped = provider.post(
        f"{path}/ship", {"carrier": "DHL", "tracking_number": "T-2", "packages": "1"}, page=path
    )
    assert stopped.status_code == 409
    assert "L-PAGE-1" in text(stopped) and prepared.json["reference"] in text(stopped)
    assert world.provider_api.get(f"/api/v1/dispatches/{prepared.json['id']}").json["status"] == "prepared"


def test_the_coordinator_follows_the_alert_to_the_request_and_releases_on_the_page(make, world, database_url):
    lot = make.lot(20, expires_on=future(300), code="L-FOLLOW-1")
    make.lot(20, expires_on=future(300), code="L-FRESH-1")
    request = _allocated(make, lot.id, 5)
    _set_status(world, lot.id, "recalled")
    coordinator = world.page("coordinator")

    alerts = coordinator.html("/alerts?kind=unusable_lot")
    assert "L-FOLLOW-1" in alerts and f'href="/requests/{request["id"]}"' in alerts
    detail = coordinator.html(f"/requests/{request['id']}")
    [allocation] = world.coordinator.get(f"/api/v1/requests/{request['id']}/allocations").json
    release = f"/requests/{request['id']}/allocations/{allocation['id']}/release"
    assert f'action="{release}"' in detail and "Recalled" in detail

    answer = coordinator.post(release, page=f"/requests/{request['id']}")

    assert answer.status_code == 302 and answer.headers["Location"].endswith(
        f"/requests/{request['id']}/allocate"
    )
    page = coordinator.html(answer.headers["Location"])
    assert any("lot L-FOLLOW-1 were released" in m for m in flashes(page)), flashes(page)
    assert "L-FRESH-1" in page  # the allocate page suggests the lot to take instead
    assert world.coordinator.get(f"/api/v1/allocations/{allocation['id']}").json["status"] == "released"
    assert _alerts(world.coordinator, status="open") == []
