"""Redistribution: a near-expiry alert lists the open requests of any city and network its lot could
serve before it expires (rules.py's facts), and a coordinator allocates to one in one call (API) or one
click (page); on SQLite and PostgreSQL, races included."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from sqlmodel import select

from health_responder.extensions import db
from tests.clients import flashes, text
from tests.factories import ApiClient, days

pytestmark = pytest.mark.both_databases


@pytest.fixture
def soon(world, run_check):
    """30 units of Near Supply's lot L-SOON expiring in 20 days, its alert, and the requests around it."""
    w = world
    lot = w.lot(30, expires_on=days(20), code="L-SOON")
    far_critical = w.request((w.item, 10), needed_by=days(10), priority="critical", city=w.other_city)
    home_normal = w.request((w.item, 40), needed_by=days(15))
    too_late = w.request((w.item, 5), needed_by=days(25), priority="high")  # needed after the lot expires
    w.request((w.item, 5), needed_by=days(5), status="submitted")  # not approved yet
    w.request((w.item2, 5), needed_by=days(5))  # another item
    run_check("near_expiry")
    [alert] = w.coordinator.get("/api/v1/alerts?kind=near_expiry").json["items"]
    return SimpleNamespace(
        lot=lot,
        alert=alert,
        url=f"/api/v1/alerts/{alert['id']}/redistribution",
        far_critical=far_critical,
        home_normal=home_normal,
        too_late=too_late,
    )


def lot_available(world, lot_id: int) -> int:
    return world.coordinator.get(f"/api/v1/stock/lots/{lot_id}").json["available"]


def test_the_alert_lists_open_requests_anywhere_the_lot_can_serve_most_urgent_first(world, soon):
    view = world.coordinator.get(soon.url)
    assert view.status_code == 200, view.json
    body = view.json
    assert body["lot"]["lot_code"] == "L-SOON" and body["lot"]["available"] == 30
    assert (body["total"], body["hidden"]) == (2, 0)
    first, second = body["candidates"]
    assert first["reference"] == soon.far_critical.reference  # critical first, though of another network
    assert first["city"] == "Kigali Test" and first["network"] == "AWAY" and first["serves_network"] is False
    assert (first["still_needed"], first["suggested_quantity"]) == (10, 10)
    assert second["reference"] == soon.home_normal.reference and second["serves_network"] is True
    assert (second["still_needed"], second["suggested_quantity"]) == (40, 30)
    assert "L-SOON" in second["rationale"] and soon.too_late.reference not in str(body)
    assert "2 open request line(s) could use it first" in soon.alert["message"]


def test_the_provider_sees_only_the_requests_it_may_see_and_a_city_not_at_all(world, soon):
    mine = world.provider_api.get(soon.url)
    assert mine.status_code == 200
    assert (mine.json["total"], mine.json["hidden"], mine.json["candidates"]) == (2, 2, [])
    assert world.city_api.get(soon.url).status_code == 404
    assert world.other_provider_api.get(soon.url).status_code == 404
    assert (
        world.provider_api.post(soon.url, json={"line_id": soon.far_critical.line_ids[0]}).status_code == 403
    )


def test_a_coordinator_allocates_in_one_call_and_the_last_units_resolve_the_alert(app, world, soon):
    from health_responder.audit.models import AuditEvent

    first = world.coordinator.post(soon.url, json={"line_id": soon.far_critical.line_ids[0]})
    assert first.status_code == 201, first.json
    assert (first.json["lot_id"], first.json["quantity"], first.json["status"]) == (
        soon.lot.id,
        10,
        "reserved",
    )
    assert first.json["rationale"].startswith(f"Redistributed from near-expiry alert {soon.alert['id']}")
    assert lot_available(world, soon.lot.id) == 20
    request = world.coordinator.get(f"/api/v1/requests/{soon.far_critical.id}").json
    assert request["status"] == "allocated" and request["lines"][0]["quantity_allocated"] == 10
    # The rest of the lot goes to the next line, whatever it still needs (40): 20 units.
    second = world.coordinator.post(soon.url, json={"line_id": soon.home_normal.line_ids[0]})
    assert second.status_code == 201 and second.json["quantity"] == 20
    assert lot_available(world, soon.lot.id) == 0
    alert = world.coordinator.get("/api/v1/alerts?kind=near_expiry&status=resolved").json["items"]
    assert [a["id"] for a in alert] == [soon.alert["id"]] and "fully allocated" in alert[0]["resolution"]
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.subject_type == "alert", AuditEvent.subject_id == soon.alert["id"]
            )
        ).all()
    assert actions.count("alert.redistribute") == 2 and "alert.resolve" in actions
    assert world.ledger_ok() and world.half_handled() == 0
    late = world.coordinator.post(soon.url, json={"line_id": soon.home_normal.line_ids[0]})
    assert late.status_code == 409
    assert late.json["message"] == "Lot L-SOON has no free units left: all 30 on hand are reserved."


def test_an_alert_a_person_resolved_offers_its_lot_no_more(world, soon):
    resolved = world.coordinator.post(f"/api/v1/alerts/{soon.alert['id']}/resolve", json={"note": "kept"})
    assert resolved.status_code == 200
    answer = world.coordinator.post(soon.url, json={"line_id": soon.home_normal.line_ids[0]})
    assert answer.status_code == 409
    assert answer.json["message"] == (
        f"Alert {soon.alert['id']} is resolved: its lot is no longer offered for redistribution."
    )
    assert lot_available(world, soon.lot.id) == 30


def test_a_filled_line_a_lot_that_expires_too_soon_or_is_quarantined_answer_409_saying_why(world, soon):
    assert (
        world.coordinator.post(soon.url, json={"line_id": soon.far_critical.line_ids[0]}).status_code == 201
    )
    filled = world.coordinator.post(soon.url, json={"line_id": soon.far_critical.line_ids[0]})
    assert filled.status_code == 409
    assert filled.json["message"] == (
        f"The OXY-CONC-10L line of {soon.far_critical.reference} is already filled: "
        "nothing is left to allocate."
    )
    late = world.coordinator.post(soon.url, json={"line_id": soon.too_late.line_ids[0]})
    assert late.status_code == 409
    assert late.json["message"] == (
        f"Lot L-SOON expires {days(20).isoformat()}, before {soon.too_late.reference} is needed "
        f"({days(25).isoformat()}): it cannot serve it."
    )
    quarantined = world.provider_api.patch(
        f"/api/v1/stock/lots/{soon.lot.id}", json={"status": "quarantined", "note": "temperature excursion"}
    )
    assert quarantined.status_code == 200, quarantined.json
    held = world.coordinator.post(soon.url, json={"line_id": soon.home_normal.line_ids[0]})
    assert (
        held.status_code == 409
        and held.json["message"] == "Lot L-SOON is quarantined: it can no longer be allocated."
    )
    assert world.coordinator.get(soon.url).json["candidates"] == []  # nothing it can serve any more
    assert lot_available(world, soon.lot.id) == 20 and world.ledger_ok()


def test_bad_lines_and_other_alerts_are_named(world, soon, run_check):
    other_item = world.request((world.item2, 5), needed_by=days(5))
    wrong = world.coordinator.post(soon.url, json={"line_id": other_item.line_ids[0]})
    assert wrong.status_code == 422 and "line_id" in wrong.json["errors"]
    missing = world.coordinator.post(soon.url, json={"line_id": 999_999})
    assert missing.status_code == 422 and missing.json["errors"]["line_id"] == ["No request line 999999."]
    typed = world.coordinator.post(soon.url, json={"line_id": "1"})
    assert typed.status_code == 422 and set(typed.json["errors"]) == {"line_id"}
    none = world.coordinator.post(soon.url, json={"line_id": soon.far_critical.line_ids[0], "quantity": 0})
    assert none.status_code == 422 and set(none.json["errors"]) == {"quantity"}
    world.lot(1, item=world.item2, code="L-LOW")  # low stock of item2: a low_stock alert
    run_check("low_stock")
    low = world.coordinator.get("/api/v1/alerts?kind=low_stock").json["items"][0]
    answer = world.coordinator.get(f"/api/v1/alerts/{low['id']}/redistribution")
    assert answer.status_code == 404
    assert (
        answer.json["message"]
        == f"Alert {low['id']} is not about a lot near expiry: it has nothing to redistribute."
    )


def test_a_cancelled_request_takes_nothing(world, soon):
    cancelled = world.request((world.item, 3), needed_by=days(10), status="cancelled")
    answer = world.coordinator.post(soon.url, json={"line_id": cancelled.line_ids[0]})
    assert answer.status_code == 409 and "cancelled" in answer.json["message"]


def _race(count, call):
    barrier = threading.Barrier(count)

    def run(i):
        barrier.wait()
        return call(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_two_coordinators_racing_for_one_line_fill_it_once(app, world, soon):
    token = world.coordinator.token
    line_id = soon.far_critical.line_ids[0]
    answers = _race(6, lambda _i: ApiClient(app, token).post(soon.url, json={"line_id": line_id}))
    codes = sorted(a.status_code for a in answers)
    assert codes == [201, 409, 409, 409, 409, 409], [a.json for a in answers]
    assert {a.json["message"] for a in answers if a.status_code == 409} == {
        f"The OXY-CONC-10L line of {soon.far_critical.reference} is already filled: nothing is left to allocate."
    }
    assert lot_available(world, soon.lot.id) == 20 and world.ledger_ok() and world.half_handled() == 0


def test_lines_racing_for_the_last_units_each_get_what_is_left_when_served(app, world, soon):
    token = world.coordinator.token
    lines = [soon.far_critical.line_ids[0], soon.home_normal.line_ids[0]]
    answers = _race(2, lambda i: ApiClient(app, token).post(soon.url, json={"line_id": lines[i]}))
    # Whoever comes second gets what is left when served: 10 then 20, or 30 then nothing (409, said why).
    taken = {a.status_code: a.json for a in answers}
    if 409 in taken:
        assert taken[201]["quantity"] == 30 and taken[201]["line_id"] == lines[1]
        assert taken[409]["message"] == "Lot L-SOON has no free units left: all 30 on hand are reserved."
    else:
        assert sorted(a.json["quantity"] for a in answers) == [10, 20], [a.json for a in answers]
    assert lot_available(world, soon.lot.id) == 0 and world.ledger_ok() and world.half_handled() == 0


# --- the page -------------------------------------------------------------------------------------


def test_the_alert_page_allocates_in_one_click_and_says_why_it_cannot(world, soon):
    page = world.page("coordinator")
    alerts = page.html("/alerts?kind=near_expiry")
    assert f'href="/alerts/{soon.alert["id"]}/redistribution"' in alerts
    url = f"/alerts/{soon.alert['id']}/redistribution"
    html = page.html(url)
    assert f"Allocate 10 to {soon.far_critical.reference}" in html
    assert f"Allocate 30 to {soon.home_normal.reference}" in html and soon.too_late.reference not in html
    done = page.post(url, {"line_id": str(soon.far_critical.line_ids[0])}, page=url)
    assert done.status_code == 302 and done.headers["Location"].endswith(url)
    html = page.html(url)
    assert flashes(html) == [
        f"10 unit(s) of the lot are allocated to {soon.far_critical.reference} (OXY-CONC-10L): its provider has "
        "been told to dispatch them."
    ]
    # Served: the request is no longer offered (only the flash names it).
    assert soon.far_critical.reference not in re.sub(r"<p class=\"flash.*?</p>", "", html, flags=re.S)
    again = page.post(url, {"line_id": str(soon.far_critical.line_ids[0])}, page=url)
    assert again.status_code == 409 and "is already filled" in text(again)
    assert 'class="error-summary"' in text(again)


def test_the_provider_reads_the_page_without_buttons_and_a_city_gets_404(world, soon):
    url = f"/alerts/{soon.alert['id']}/redistribution"
    html = world.page("provider").html(url)
    assert "L-SOON" in html and "2 more lines belong to requests you do not see" in html
    assert "Allocate" not in html
    assert world.page("city").get(url).status_code == 404
    assert world.page("provider").post(url, {"line_id": "1"}, page=url).status_code == 403
