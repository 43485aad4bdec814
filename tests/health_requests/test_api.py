"""Creating, editing, listing and exporting requests; bad input answers 422 naming the field."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlmodel import select

from health_responder.db import utc_today
from health_responder.extensions import db
from tests.factories import JUSTIFICATION, allocate, approved, create, request_body


def test_a_city_user_creates_a_draft_for_its_city_with_a_reference_of_year_and_id(world):
    created = create(world.city_api, (world.item, 40), (world.item2, 2), priority="critical")
    assert created["status"] == "draft" and created["city_id"] == world.city.id
    assert created["reference"] == f"REQ-{utc_today().year}-{created['id']:06d}"
    assert [
        (
            x["item_id"],
            x["quantity"],
            x["quantity_allocated"],
            x["quantity_dispatched"],
            x["quantity_received"],
        )
        for x in created["lines"]
    ] == [(world.item.id, 40, 0, 0, 0), (world.item2.id, 2, 0, 0, 0)]


def test_a_coordinator_creates_a_request_for_a_named_city_and_must_name_one(world):
    assert (
        create(world.coordinator, (world.item, 1), city_id=world.other_city.id)["city_id"]
        == world.other_city.id
    )
    answer = world.coordinator.post("/api/v1/requests", json=request_body((world.item, 1)))
    assert answer.status_code == 422 and "city_id" in answer.json["errors"]


def test_a_city_user_cannot_create_for_another_city_and_a_provider_not_at_all(world):
    answer = world.city_api.post(
        "/api/v1/requests", json=request_body((world.item, 1), city_id=world.other_city.id)
    )
    assert answer.status_code == 422 and "city_id" in answer.json["errors"]
    assert world.provider_api.post("/api/v1/requests", json=request_body((world.item, 1))).status_code == 403


@pytest.mark.parametrize(
    "text",
    [
        "병원에 산소 발생기가 시급히 필요합니다. " * 30,
        "نحتاج إلى أجهزة تركيز الأكسجين بشكل عاجل. " * 20,
        "Нам срочно нужны кислородные концентраторы. " * 15,
        "急需制氧机。🫁 " * 80,
    ],
)
def test_justifications_of_500_characters_in_any_script_are_kept_whole(world, text):
    assert len(text) >= 500
    created = create(world.city_api, (world.item, 1), justification=text)
    assert world.city_api.get(f"/api/v1/requests/{created['id']}").json["justification"] == text


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([{"item_id": "ITEM", "quantity": 0}], "lines.0.quantity"),
        ([{"item_id": "ITEM", "quantity": -3}], "lines.0.quantity"),
        ([{"item_id": 999_999, "quantity": 2}], "lines.0.item_id"),
        ([{"item_id": "ITEM", "quantity": 2}, {"item_id": "ITEM", "quantity": 1}], "lines.1.item_id"),
        ([], "lines"),
    ],
)
def test_bad_lines_answer_422_naming_the_field_and_create_nothing(app, world, lines, field):
    from health_responder.health_requests.models import AssistanceRequest

    lines = [line | ({"item_id": world.item.id} if line["item_id"] == "ITEM" else {}) for line in lines]
    answer = world.city_api.post("/api/v1/requests", json=request_body() | {"lines": lines})
    assert answer.status_code == 422, answer.json
    assert field in answer.json["errors"], answer.json
    with app.app_context():
        assert db.session.scalars(select(AssistanceRequest)).all() == []


def test_a_request_without_lines_is_told_in_words_to_add_one(world):
    answer = world.city_api.post("/api/v1/requests", json=request_body() | {"lines": []})
    assert answer.status_code == 422
    assert answer.json["errors"]["lines"] == ["Add at least one item line."]


def test_a_needed_by_date_in_the_past_answers_422(world):
    yesterday = (utc_today() - timedelta(days=1)).isoformat()
    answer = world.city_api.post("/api/v1/requests", json=request_body((world.item, 1), needed_by=yesterday))
    assert answer.status_code == 422 and "needed_by" in answer.json["errors"]


def test_unknown_fields_and_bad_priorities_answer_422(world):
    answer = world.city_api.post("/api/v1/requests", json=request_body((world.item, 1), colour="red"))
    assert answer.status_code == 422 and "colour" in answer.json["errors"]
    answer = world.city_api.post("/api/v1/requests", json=request_body((world.item, 1), priority="urgent"))
    assert answer.status_code == 422 and "priority" in answer.json["errors"]


def test_a_draft_is_edited_with_its_lines_replaced_and_no_longer_once_submitted(world):
    created = create(world.city_api, (world.item, 5))
    edited = world.city_api.patch(
        f"/api/v1/requests/{created['id']}",
        json={"priority": "high", "lines": [{"item_id": world.item2.id, "quantity": 7}]},
    )
    assert edited.status_code == 200
    assert edited.json["priority"] == "high"
    assert [(x["item_id"], x["quantity"]) for x in edited.json["lines"]] == [(world.item2.id, 7)]
    world.city_api.post(f"/api/v1/requests/{created['id']}/submit")
    answer = world.city_api.patch(f"/api/v1/requests/{created['id']}", json={"priority": "low"})
    assert answer.status_code == 409 and "submitted" in answer.json["message"]


def test_the_list_filters_orders_and_pages(world):
    a = create(world.city_api, (world.item, 1), priority="low")
    b = create(world.city_api, (world.item2, 1), priority="critical")
    c = create(
        world.coordinator,
        (world.item, 1),
        city_id=world.other_city.id,
        priority="high",
        needed_by=(utc_today() + timedelta(days=90)).isoformat(),
    )
    world.city_api.post(f"/api/v1/requests/{b['id']}/submit")

    def ids(**query):
        answer = world.coordinator.get("/api/v1/requests", query_string=query)
        assert answer.status_code == 200, answer.json
        return [r["id"] for r in answer.json["items"]]

    assert ids() == [a["id"], b["id"], c["id"]]
    assert ids(status="submitted") == [b["id"]]
    assert ids(priority="low") == [a["id"]]
    assert ids(city_id=world.other_city.id) == [c["id"]]
    assert ids(network_id=world.network.id) == [a["id"], b["id"]]
    assert ids(item_id=world.item2.id) == [b["id"]]
    assert ids(needed_by_from=(utc_today() + timedelta(days=60)).isoformat()) == [c["id"]]
    assert ids(created_from=utc_today().isoformat(), created_to=utc_today().isoformat()) == [
        a["id"],
        b["id"],
        c["id"],
    ]
    assert ids(q=b["reference"][-6:]) == [b["id"]]
    assert ids(order_by="priority") == [b["id"], c["id"], a["id"]]
    assert ids(order_by="-id", page_size=2) == [c["id"], b["id"]]
    page = world.coordinator.get("/api/v1/requests", query_string={"page_size": 2, "page": 2}).json
    assert (page["total"], page["pages"], [r["id"] for r in page["items"]]) == (3, 2, [c["id"]])
    assert (
        world.coordinator.get("/api/v1/requests", query_string={"order_by": "justification"}).status_code
        == 422
    )
    assert world.coordinator.get("/api/v1/requests", query_string={"status": "lost"}).status_code == 422


def test_the_csv_export_has_one_row_per_line_of_the_callers_requests_only(world):
    mine = create(world.city_api, (world.item, 3), (world.item2, 4))
    create(world.coordinator, (world.item, 1), city_id=world.other_city.id)
    answer = world.city_api.get("/api/v1/requests.csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert [(r["reference"], r["quantity"]) for r in rows] == [
        (mine["reference"], "3"),
        (mine["reference"], "4"),
    ]
    assert (
        len(
            list(
                csv.DictReader(
                    io.StringIO(
                        world.coordinator.get(
                            "/api/v1/requests.csv", query_string={"city_id": world.other_city.id}
                        ).get_data(as_text=True)
                    )
                )
            )
        )
        == 1
    )


def test_the_csv_export_defuses_spreadsheet_formulas(world):
    create(world.city_api, (world.item, 1))
    with world.city_api.app.app_context():
        from health_responder.reference.models import Item

        with db.write_session():
            db.session.get(Item, world.item.id).name = '=HYPERLINK("http://evil")'
    text = world.city_api.get("/api/v1/requests.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in text


def test_news_goes_to_staff_on_submit_the_city_on_approval_and_the_provider_on_allocation(app, world):
    from health_responder.notifications.models import Notification

    lot_id = world.make_lot(world.provider, world.location, world.item, 5)
    for key in ("coordinator", "city", "provider", "other_provider"):
        world.users[key]  # every user exists before the news is written
    req = approved(world, (world.item, 5))
    allocate(world, req, 0, lot_id, 2)
    with app.app_context():
        got = {(n.user_id, n.message_id.split(":user=")[0]) for n in db.session.scalars(select(Notification))}
    assert (world.coordinator.user.id, f"request:{req['id']}:submitted") in got
    assert (world.city_api.user.id, f"request:{req['id']}:approved") in got
    assert any(user == world.provider_api.user.id and key.startswith("allocation:") for user, key in got)
    assert not any(user == world.other_provider_api.user.id for user, _key in got)


def test_every_transition_leaves_an_audit_event(app, world):
    from health_responder.audit.models import AuditEvent

    req = approved(world, (world.item, 5))
    world.coordinator.post(
        f"/api/v1/requests/{req['id']}/reject", json={"reason": "Duplicate of another request."}
    )
    with app.app_context():
        actions = [
            e.action
            for e in db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.subject_type == "assistance_request", AuditEvent.subject_id == req["id"])
                .order_by(AuditEvent.id)
            )
        ]
    assert actions == ["request.create", "request.submit", "request.approve", "request.reject"]


def test_a_rejected_request_keeps_its_reason(world):
    req = approved(world, (world.item, 5))
    answer = world.coordinator.post(f"/api/v1/requests/{req['id']}/reject", json={"reason": "Out of scope."})
    assert answer.json["status"] == "rejected" and answer.json["rejected_reason"] == "Out of scope."
    assert world.coordinator.post(f"/api/v1/requests/{req['id']}/reject", json={}).status_code in (409, 422)


def test_reject_needs_a_reason_and_close_a_note(world):
    created = create(world.city_api, (world.item, 1))
    world.city_api.post(f"/api/v1/requests/{created['id']}/submit")
    answer = world.coordinator.post(f"/api/v1/requests/{created['id']}/reject", json={})
    assert answer.status_code == 422 and "reason" in answer.json["errors"]
    world.coordinator.post(f"/api/v1/requests/{created['id']}/approve")
    answer = world.coordinator.post(f"/api/v1/requests/{created['id']}/close", json={})
    assert answer.status_code == 422 and "note" in answer.json["errors"]


def test_a_city_cannot_approve_its_own_request(world):
    created = create(world.city_api, (world.item, 1))
    world.city_api.post(f"/api/v1/requests/{created['id']}/submit")
    assert world.city_api.post(f"/api/v1/requests/{created['id']}/approve").status_code == 403
    assert JUSTIFICATION
