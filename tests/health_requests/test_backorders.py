"""Back-orders are never forgotten: what was not shipped is still owed, seen and served (issue 19).

Every scenario walks the public API with a real database: stock received by the provider, requests
made by the city and approved by a coordinator, allocation by the ``auto_allocate`` check, dispatches
prepared, shipped and received, rejected units replaced from the discrepancy list.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from health_responder.db import utc_today
from tests.health_requests.backorder_world import Backorders, make_backorders


@pytest.fixture
def bo(make) -> Backorders:
    return make_backorders(make)


def _audited(bo, action: str) -> list[dict]:
    """The audit events of ``action`` (the audit trail has no API: it is read as the integrator would)."""
    from sqlmodel import select

    from health_responder.audit.models import AuditEvent
    from health_responder.extensions import db

    with bo.make.app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        ).all()
        keys = ("line_id", "quantity", "replaced", "reason")
        return [{key: event.after[key] for key in keys} for event in events]


def _line(request: dict) -> dict:
    return request["lines"][0]


def _quantities(line: dict) -> tuple:
    return (
        line["quantity"],
        line["quantity_allocated"],
        line["quantity_dispatched"],
        line["quantity_rejected"],
        line["quantity_replaced"],
        line["quantity_unfilled"],
    )


# --- auto_allocate serves every remainder (item 1) --------------------------------------------------


@pytest.mark.both_databases
def test_auto_allocate_serves_the_rest_after_partial_shipping(bo):
    bo.lot(3)
    request = bo.request((bo.item, 6), priority="critical")
    assert bo.auto_allocate()["units"] == 3
    bo.ship(request)
    assert bo.get(request)["status"] == "partially_dispatched"
    assert _quantities(_line(bo.get(request))) == (6, 3, 3, 0, 0, 3)

    assert bo.auto_allocate()["units"] == 0  # no stock anywhere: still owed, nothing reserved
    bo.lot(14)
    counts = bo.auto_allocate()
    assert (counts["units"], counts["requests_complete"]) == (3, 1)
    after = bo.get(request)
    assert after["status"] == "partially_dispatched"  # 3 shipped, the other 3 reserved
    assert _quantities(_line(after)) == (6, 6, 3, 0, 0, 0)
    made = bo.coordinator.get(f"/api/v1/requests/{request['id']}/allocations").json
    made = made["items"] if isinstance(made, dict) else made
    assert sorted((a["quantity"], a["status"], a["job_run_id"] is not None) for a in made) == [
        (3, "dispatched", True),
        (3, "reserved", True),
    ]
    assert "still needed" in made[-1]["rationale"]

    # The city hears that the rest is reserved, then that it ships; the rest goes out as a second dispatch.
    subjects = [m["subject"] for m in bo.city_api.get("/api/v1/notifications").json["items"]]
    assert f"More of {request['reference']} reserved: 3 unit(s)" in subjects
    second = bo.ship(request)
    assert bo.get(request)["status"] == "dispatched"
    assert sum(line["quantity"] for line in second["lines"]) == 3
    assert bo.auto_allocate()["units"] == 0  # nothing owed any more: the 11 units left stay free


@pytest.mark.both_databases
def test_a_coordinator_allocates_a_back_order_by_hand(bo):
    first = bo.lot(2)
    request = bo.request((bo.item, 5))
    bo.auto_allocate()
    bo.ship(request)
    lot = bo.lot(10, expires_in=60)
    line = _line(bo.get(request))
    suggested = bo.coordinator.get(f"/api/v1/requests/{request['id']}/lines/{line['id']}/suggestions")
    assert suggested.status_code == 200, suggested.json
    lots = suggested.json["items"] if isinstance(suggested.json, dict) else suggested.json
    assert [(s["lot_id"], s["suggested_quantity"]) for s in lots] == [(lot, 3)]
    assert first not in [s["lot_id"] for s in lots]  # shipped empty
    answer = bo.coordinator.post(
        f"/api/v1/requests/{request['id']}/allocations",
        json={"line_id": line["id"], "lot_id": lot, "quantity": 4},
    )
    assert answer.status_code == 409 and answer.json["errors"]["quantity"] == ["At most 3."]
    answer = bo.coordinator.post(
        f"/api/v1/requests/{request['id']}/allocations",
        json={"line_id": line["id"], "lot_id": lot, "quantity": 3},
    )
    assert answer.status_code == 201, answer.json
    assert _quantities(_line(bo.get(request))) == (5, 5, 2, 0, 0, 0)
    subjects = [m["subject"] for m in bo.city_api.get("/api/v1/notifications").json["items"]]
    assert f"More of {request['reference']} reserved: 3 unit(s)" in subjects


@pytest.mark.both_databases
def test_remainders_are_served_by_priority_then_needed_by_then_submission(bo):
    bo.lot(3)
    critical = bo.request((bo.item, 6), priority="critical", needed_in=30)
    bo.auto_allocate()
    bo.ship(critical)  # 3 shipped, 3 on back-order
    late_high = bo.request((bo.item, 2), priority="high", needed_in=40)
    early_high = bo.request((bo.item, 2), priority="high", needed_in=20)
    early_high_later = bo.request((bo.item, 2), priority="high", needed_in=20)
    normal = bo.request((bo.item, 3), priority="normal", needed_in=5)
    low = bo.request((bo.item, 2), priority="low", needed_in=3)
    bo.lot(6)

    assert bo.auto_allocate()["units"] == 6
    allocated = {
        name: _line(bo.get(r))["quantity_allocated"]
        for name, r in [
            ("critical", critical),
            ("early_high", early_high),
            ("early_high_later", early_high_later),
            ("late_high", late_high),
            ("normal", normal),
            ("low", low),
        ]
    }
    assert allocated == {
        "critical": 6,  # its back-order first, though it was partly shipped already
        "early_high": 2,  # then high by needed-by …
        "early_high_later": 1,  # … and, on the same day, by submission
        "late_high": 0,
        "normal": 0,
        "low": 0,
    }
    owed = bo.coordinator.get("/api/v1/requests", query_string={"page_size": 100}).json["items"]
    assert sum(line["quantity_unfilled"] for r in owed for line in r["lines"]) == 1 + 2 + 3 + 2


# --- replacements of rejected units (item 5) --------------------------------------------------------


@pytest.mark.both_databases
def test_rejected_units_are_owed_again_only_once_replaced(bo):
    bo.lot(4)
    request = bo.request((bo.item, 4))
    assert bo.auto_allocate()["units"] == 4
    dispatch = bo.receive(bo.ship(request), rejected=1, reason="damaged")
    assert bo.get(request)["status"] == "delivered"
    bo.lot(10)

    # Rejected units are not owed by themselves: the check leaves the line alone.
    assert bo.auto_allocate()["units"] == 0
    assert _quantities(_line(bo.get(request))) == (4, 4, 4, 1, 0, 0)

    listed = bo.coordinator.get("/api/v1/dispatches/discrepancies").json["items"]
    assert [(d["id"], d["rejected"], d["replaced"]) for d in listed] == [(dispatch["lines"][0]["id"], 1, 0)]
    replaced = bo.coordinator.post(f"/api/v1/dispatches/discrepancies/{listed[0]['id']}/replace", json={})
    assert replaced.status_code == 200, replaced.json
    assert (replaced.json["rejected"], replaced.json["replaced"]) == (1, 1)
    after = bo.get(request)
    assert after["status"] == "partially_dispatched"
    assert _quantities(_line(after)) == (4, 4, 4, 1, 1, 1)

    # Once replaced, the unit is a back-order like any other: the check serves it, it ships and arrives.
    assert bo.auto_allocate()["units"] == 1
    assert _quantities(_line(bo.get(request))) == (4, 5, 4, 1, 1, 0)
    bo.receive(bo.ship(request))
    assert bo.get(request)["status"] == "delivered"
    assert _quantities(_line(bo.get(request))) == (4, 5, 5, 1, 1, 0)
    assert _line(bo.get(request))["quantity_received"] == 4

    # A second click finds nothing left to replace; the one replacement is audited.
    again = bo.coordinator.post(f"/api/v1/dispatches/discrepancies/{listed[0]['id']}/replace", json={})
    assert again.status_code == 409 and "already replaced" in again.json["message"]
    assert _audited(bo, "dispatch.replace") == [
        {"line_id": listed[0]["id"], "quantity": 1, "replaced": 1, "reason": "damaged"}
    ]


@pytest.mark.both_databases
def test_replacing_checks_role_quantity_and_the_request_state(bo):
    bo.lot(5)
    request = bo.request((bo.item, 5))
    bo.auto_allocate()
    dispatch = bo.receive(bo.ship(request), rejected=3, reason="expired")
    line_id = dispatch["lines"][0]["id"]
    url = f"/api/v1/dispatches/discrepancies/{line_id}/replace"

    assert bo.city_api.post(url, json={}).status_code == 403
    assert bo.provider_api.post(url, json={}).status_code == 403
    assert bo.coordinator.post("/api/v1/dispatches/discrepancies/999999/replace", json={}).status_code == 404
    too_many = bo.coordinator.post(url, json={"quantity": 4})
    assert too_many.status_code == 422 and "quantity" in too_many.json["errors"]
    assert bo.coordinator.post(url, json={"quantity": 0}).status_code == 422
    assert bo.coordinator.post(url, json={"quantity": 1, "colour": "red"}).status_code == 422
    assert _quantities(_line(bo.get(request))) == (5, 5, 5, 3, 0, 0)  # nothing half-written

    partly = bo.coordinator.post(url, json={"quantity": 1, "note": "supplier agreed"})
    assert partly.status_code == 200 and partly.json["replaced"] == 1
    assert _quantities(_line(bo.get(request))) == (5, 5, 5, 3, 1, 1)

    closed = bo.coordinator.post(f"/api/v1/requests/{request['id']}/close", json={"note": "Enough for now."})
    assert closed.status_code == 200, closed.json
    refused = bo.coordinator.post(url, json={})
    assert refused.status_code == 409
    assert "closed" in refused.json["message"] and "partially_dispatched" in refused.json["message"]
    assert _quantities(_line(bo.get(request))) == (5, 5, 5, 3, 1, 1)


def test_a_line_without_rejected_units_cannot_be_replaced(bo):
    bo.lot(2)
    request = bo.request((bo.item, 2))
    bo.auto_allocate()
    dispatch = bo.receive(bo.ship(request))
    answer = bo.coordinator.post(
        f"/api/v1/dispatches/discrepancies/{dispatch['lines'][0]['id']}/replace", json={}
    )
    assert answer.status_code == 409 and "line_id" in answer.json["errors"]


# --- close short (item 6) ---------------------------------------------------------------------------


@pytest.mark.both_databases
def test_closing_short_records_what_is_still_owed_and_the_unmet_demand(bo):
    mask = bo.make.item(code="MASK-N95", category="ppe")
    bo.lot(3)
    request = bo.request((bo.item, 6), (mask, 10))
    bo.auto_allocate()
    bo.receive(bo.ship(request))
    assert bo.get(request)["status"] == "partially_dispatched"

    closed = bo.coordinator.post(
        f"/api/v1/requests/{request['id']}/close", json={"note": "No more stock this year."}
    )
    assert closed.status_code == 200, closed.json
    note = closed.json["close_note"]
    assert note.startswith("No more stock this year.")
    assert "13 unit(s) still owed (3 × OXY-CONC-10L, 10 × MASK-N95)" in note

    stats = bo.city_api.get("/api/v1/stats").json
    assert {"network": bo.network.code, "requests_closed_short": 1, "units_unmet": 13} in stats[
        "unmet_demand"
    ]


def test_closing_with_nothing_owed_leaves_the_note_as_written(bo):
    bo.lot(2)
    request = bo.request((bo.item, 2))
    bo.auto_allocate()
    bo.receive(bo.ship(request), rejected=1)  # a rejected unit not replaced is not owed
    closed = bo.coordinator.post(f"/api/v1/requests/{request['id']}/close", json={"note": "Done."})
    assert closed.json["close_note"] == "Done."
    assert bo.city_api.get("/api/v1/stats").json["unmet_demand"] == []


# --- shortage radar by item (item 4) ----------------------------------------------------------------


@pytest.mark.both_databases
def test_the_radar_counts_each_items_shortage_even_when_another_item_has_a_surplus(bo, client):
    from tests.factories import page_login

    ventilator = bo.make.item(code="VENT-ICU", name="ICU ventilator", category="respiratory")
    bo.lot(50, item=ventilator)  # a surplus of ventilators …
    bo.lot(3)  # … and only 3 concentrators for 6 asked
    bo.request((bo.item, 6), (ventilator, 2))

    stats = bo.city_api.get("/api/v1/stats").json
    respiratory = [r for r in stats["shortage_radar"] if r["category"] == "respiratory"]
    assert respiratory == [
        {
            "category": "respiratory",
            "open_demand": 8,
            "available": 53,
            "coverage": round(5 / 8, 2),
            "short": 3,
            "items_short": 1,
        }
    ]
    by_item = {r["item_code"]: r for r in stats["shortage_radar_by_item"]}
    assert (by_item["OXY-CONC-10L"]["open_demand"], by_item["OXY-CONC-10L"]["short"]) == (6, 3)
    assert (by_item["VENT-ICU"]["available"], by_item["VENT-ICU"]["short"]) == (50, 0)

    page_login(client, bo.make.user("provider").email)
    csv = client.get("/portal/shortage-radar-items.csv").get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert csv[0] == "category,item_code,item_name,open_demand,available,coverage,short"
    assert "respiratory,OXY-CONC-10L,Oxygen concentrator 10 L,6,3,0.5,3" in csv
    assert "respiratory,VENT-ICU,ICU ventilator,2,50,1.0,0" in csv
    categories = client.get("/portal/shortage-radar.csv").get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert "respiratory,8,53,0.62,3,1" in categories
    for language, words in (("en", ("Shortage radar", "Items short")), ("ko", ("부족 현황", None))):
        _choose_language(client, language)
        html = client.get("/portal/").get_data(as_text=True)
        assert f'<html lang="{language}">' in html
        assert words[0] in html
        radar = html[html.index('class="card radar"') :]
        assert "OXY-CONC-10L" in radar and "<svg" in radar
        row = radar[radar.index("OXY-CONC-10L — Oxygen concentrator 10 L") :]
        assert [cell.split("<")[0] for cell in row.split('<td class="num">')[1:4]] == ["6", "3", "3"]


def _choose_language(client, language: str) -> None:
    from tests.factories import csrf_token

    token = csrf_token(client.get("/dashboard").get_data(as_text=True))
    client.post("/language", data={"locale": language, "next": "/dashboard", "csrf_token": token})


# --- why nothing is suggested (item 3) --------------------------------------------------------------


def _why(bo, request: dict) -> dict:
    line = _line(bo.get(request))
    suggested = bo.coordinator.get(f"/api/v1/requests/{request['id']}/lines/{line['id']}/suggestions")
    answer = bo.coordinator.get(f"/api/v1/requests/{request['id']}/lines/{line['id']}/suggestions/why-none")
    assert answer.status_code == 200, answer.json
    assert (suggested.json == []) == (answer.json["usable_lots"] == 0)
    return answer.json


@pytest.mark.both_databases
def test_why_nothing_is_suggested_names_the_case_and_the_lots(bo):
    nothing = bo.request((bo.item, 4), priority="low")
    why = _why(bo, nothing)
    assert (why["reasons"], why["lots"]) == (["no_stock"], [])
    assert why["messages"] == ["No stock of OXY-CONC-10L anywhere: no lot holds a unit of it."]

    soon = bo.lot(5, expires_in=5)  # needed in 30 days: it would expire first
    why = _why(bo, nothing)
    assert why["reasons"] == ["expires_before_needed_by"]
    expiry = (utc_today() + timedelta(days=5)).isoformat()
    assert [(lot["lot_id"], lot["expires_on"], lot["why"]) for lot in why["lots"]] == [
        (soon, expiry, "expires_before_needed_by")
    ]
    assert f"BO-001 ({expiry})" in why["messages"][0] and "before the needed-by date" in why["messages"][0]

    held = bo.make.item(code="VENT-ICU")
    bo.lot(4, item=held, status="quarantined")
    only_held = bo.request((held, 1))
    why = _why(bo, only_held)
    assert why["reasons"] == ["quarantined_or_recalled"]
    assert why["messages"] == ["The only stock of VENT-ICU is quarantined or recalled: BO-002 (quarantined)."]

    bo.lot(2)
    first = bo.request((bo.item, 2), priority="critical")
    assert bo.auto_allocate()["units"] == 2  # the critical request takes the one usable lot whole
    why = _why(bo, nothing)
    assert why["reasons"] == ["all_reserved", "expires_before_needed_by"]
    assert [lot["why"] for lot in why["lots"]] == ["reserved", "expires_before_needed_by"]
    assert _why(bo, first)["reasons"] == ["nothing_owed"]

    bo.lot(1)
    assert _why(bo, nothing)["reasons"] == [] and _why(bo, nothing)["usable_lots"] == 1


def test_why_none_is_for_staff_and_their_tenancy(bo):
    request = bo.request((bo.item, 1))
    line = _line(bo.get(request))
    url = f"/api/v1/requests/{request['id']}/lines/{line['id']}/suggestions/why-none"
    assert bo.city_api.get(url).status_code == 403
    assert (
        bo.coordinator.get(f"/api/v1/requests/{request['id']}/lines/999999/suggestions/why-none").status_code
        == 404
    )
