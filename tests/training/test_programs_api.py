"""Programs: who creates and changes them, who sees them, and what input is refused."""

from __future__ import annotations

import pytest
from sqlmodel import select

from health_responder.extensions import db
from health_responder.notifications.models import Notification
from tests.factories import enrol, program_body


def test_provider_creates_a_published_program_with_its_own_provider(provider):
    response = provider.post("/api/v1/training/programs", json=program_body(networks=[]))
    assert response.status_code == 201
    body = response.json
    assert (body["status"], body["provider_id"], body["capacity"], body["seats_left"], body["networks"]) == (
        "published",
        provider.user.provider_id,
        30,
        30,
        [],
    )
    assert body["starts_at"].endswith("+00:00") and body["published_at"]


def test_naive_start_and_end_are_read_as_utc(provider):
    response = provider.post(
        "/api/v1/training/programs",
        json=program_body(
            starts_at="2031-12-20T09:00:00", ends_at="2031-12-20T13:00:00", enrolment_deadline="2031-12-15"
        ),
    )
    assert response.status_code == 201
    assert (response.json["starts_at"], response.json["ends_at"]) == (
        "2031-12-20T09:00:00+00:00",
        "2031-12-20T13:00:00+00:00",
    )


def test_coordinator_creates_a_draft_for_a_named_provider_and_publishes_it(api, make, topics):
    coordinator, other = api("coordinator"), make.provider()
    missing = coordinator.post("/api/v1/training/programs", json=program_body())
    assert missing.status_code == 422 and "provider_id" in missing.json["errors"]
    draft = coordinator.post(
        "/api/v1/training/programs", json=program_body(provider_id=other.id, published=False)
    )
    assert draft.status_code == 201 and (draft.json["status"], draft.json["provider_id"]) == (
        "draft",
        other.id,
    )
    published = coordinator.post(f"/api/v1/training/programs/{draft.json['id']}/publish")
    assert published.status_code == 200 and published.json["status"] == "published"
    again = coordinator.post(f"/api/v1/training/programs/{draft.json['id']}/publish")
    assert again.status_code == 409 and "published" in again.json["message"]


def test_a_provider_cannot_create_a_program_for_another_provider(provider, make):
    other = make.provider()
    response = provider.post("/api/v1/training/programs", json=program_body(provider_id=other.id))
    assert response.status_code == 422 and "provider_id" in response.json["errors"]


def test_city_users_may_not_create_programs(api, topics):
    assert api("city").post("/api/v1/training/programs", json=program_body()).status_code == 403


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"capacity": 0}, "capacity"),
        ({"capacity": -3}, "capacity"),
        ({"ends_at": "2020-01-01T00:00:00Z"}, "ends_at"),
        ({"topic": "astrology"}, "topic"),
        ({"mode": "carrier-pigeon"}, "mode"),
        ({"link": "javascript:alert(1)"}, "link"),
        ({"enrolment_deadline": "2099-01-01"}, "enrolment_deadline"),
        ({"mode": "onsite", "venue": "  "}, "venue"),
        ({"networks": ["NOWHERE"]}, "networks"),
        ({"language": "English!"}, "language"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_program_input_is_refused_naming_the_field(provider, overrides, field):
    response = provider.post("/api/v1/training/programs", json=program_body(**overrides))
    assert response.status_code == 422, response.json
    assert field in response.json["errors"], response.json


def test_ends_before_starts_is_refused_on_change_too(provider, new_program):
    program = new_program()
    response = provider.patch(
        f"/api/v1/training/programs/{program['id']}", json={"ends_at": "2000-01-01T00:00:00+00:00"}
    )
    assert response.status_code == 422 and "ends_at" in response.json["errors"]


def test_provider_changes_its_own_program_but_another_provider_gets_404(provider, api, new_program):
    program = new_program()
    changed = provider.patch(
        f"/api/v1/training/programs/{program['id']}", json={"title": "Oxygen therapy, day 1"}
    )
    assert changed.status_code == 200 and changed.json["title"] == "Oxygen therapy, day 1"
    stranger = api("provider")
    assert (
        stranger.patch(f"/api/v1/training/programs/{program['id']}", json={"title": "Mine"}).status_code
        == 404
    )
    assert stranger.post(f"/api/v1/training/programs/{program['id']}/cancel").status_code == 404


def test_capacity_cannot_drop_below_the_seats_taken_and_a_raise_promotes_the_waitlist(
    provider, api, new_program
):
    program = new_program(capacity=1)
    city = api("city")
    first = enrol(city, program["id"], "Ana", "ana@city.example.org").json
    second = enrol(city, program["id"], "Ben", "ben@city.example.org").json
    assert (first["status"], second["status"], second["waitlist_position"]) == ("enrolled", "waitlisted", 1)
    raised = provider.patch(f"/api/v1/training/programs/{program['id']}", json={"capacity": 2})
    assert raised.status_code == 200 and (raised.json["seats_taken"], raised.json["waitlisted"]) == (2, 0)
    assert city.get(f"/api/v1/training/enrolments/{second['id']}").json["status"] == "enrolled"
    lowered = provider.patch(f"/api/v1/training/programs/{program['id']}", json={"capacity": 1})
    assert lowered.status_code == 422 and "capacity" in lowered.json["errors"]


def test_city_sees_only_published_programs_open_to_its_network(api, make, provider, new_program):
    network, elsewhere = make.network(), make.network()
    city = api("city", city=make.city(network=network))
    open_to_all = new_program(title="For everyone")
    for_us = new_program(title="For our network", networks=[network.code])
    for_them = new_program(title="For another network", networks=[elsewhere.id])
    draft = new_program(title="Not yet", published=False)

    seen = {p["id"] for p in city.get("/api/v1/training/programs").json["items"]}
    assert seen == {open_to_all["id"], for_us["id"]}
    assert city.get(f"/api/v1/training/programs/{for_them['id']}").status_code == 404
    assert city.get(f"/api/v1/training/programs/{draft['id']}").status_code == 404
    own = {p["id"] for p in provider.get("/api/v1/training/programs").json["items"]}
    assert own == {open_to_all["id"], for_us["id"], for_them["id"], draft["id"]}
    stranger = {p["id"] for p in api("provider").get("/api/v1/training/programs").json["items"]}
    assert stranger == {open_to_all["id"], for_us["id"], for_them["id"]}


def test_program_list_filters(api, provider, new_program):
    korean = new_program(
        title="산소 치료 기초",
        language="ko",
        mode="onsite",
        venue="인천 교육센터",
        starts_at="2031-03-02T01:00:00Z",
        ends_at="2031-03-02T05:00:00Z",
        enrolment_deadline="2031-02-25",
    )
    full = new_program(
        title="Ventilation",
        topic="ventilation",
        capacity=1,
        starts_at="2031-05-10T01:00:00Z",
        ends_at="2031-05-10T05:00:00Z",
        enrolment_deadline="2031-05-01",
    )
    city = api("city")
    assert enrol(city, full["id"], "Ana", "ana@city.example.org").status_code == 201

    def ids(**query):
        response = city.get("/api/v1/training/programs", query_string=query)
        assert response.status_code == 200, response.json
        return [p["id"] for p in response.json["items"]]

    assert ids(language="ko") == [korean["id"]]
    assert ids(topic="ventilation") == [full["id"]]
    assert ids(mode="onsite") == [korean["id"]]
    assert ids(has_seats="true") == [korean["id"]]
    assert ids(has_seats="false") == [full["id"]]
    assert ids(starts_from="2031-04-01") == [full["id"]]
    assert ids(starts_to="2031-03-02") == [korean["id"]]
    assert ids(provider_id=provider.user.provider_id) == [korean["id"], full["id"]]
    assert ids(order_by="-starts_at") == [full["id"], korean["id"]]
    assert city.get("/api/v1/training/programs", query_string={"order_by": "secret"}).status_code == 422


def test_cancelling_a_program_cancels_its_places_and_notifies_the_cities(
    app, provider, api, make, new_program
):
    program = new_program(capacity=1)
    city = make.city()
    clerk, colleague = api("city", city=city), make.user("city", city=city)
    seat = enrol(clerk, program["id"], "Ana", "ana@city.example.org").json
    waiting = enrol(clerk, program["id"], "Ben", "ben@city.example.org").json

    cancelled = provider.post(f"/api/v1/training/programs/{program['id']}/cancel")

    assert cancelled.status_code == 200 and (cancelled.json["status"], cancelled.json["seats_taken"]) == (
        "cancelled",
        0,
    )
    for enrolment in (seat, waiting):
        assert clerk.get(f"/api/v1/training/enrolments/{enrolment['id']}").json["status"] == "cancelled"
    with app.app_context():
        notes = {
            (n.user_id, n.message_id.split(":user=")[0]) for n in db.session.scalars(select(Notification))
        }
    assert notes == {
        (user.id, f"training-program-cancelled:{e['id']}")
        for user in (clerk.user, colleague)
        for e in (seat, waiting)
    }
    late = enrol(clerk, program["id"], "Cy", "cy@city.example.org")
    assert late.status_code == 409 and "cancelled" in late.json["message"]
    assert (
        provider.patch(f"/api/v1/training/programs/{program['id']}", json={"capacity": 5}).status_code == 409
    )


def test_program_detail_lists_materials_on_its_topic(api, provider, new_program):
    program = new_program(language="ko")
    for title, topic, language in (
        ("Guide", "oxygen_therapy", "en"),
        ("안내서", "oxygen_therapy", "ko"),
        ("Vent", "ventilation", "en"),
    ):
        assert (
            provider.post(
                "/api/v1/materials",
                json={
                    "title": title,
                    "topic": topic,
                    "language": language,
                    "url": "https://docs.example.org/x",
                },
            ).status_code
            == 201
        )
    detail = api("city").get(f"/api/v1/training/programs/{program['id']}").json
    assert [m["title"] for m in detail["materials"]] == ["안내서", "Guide"]
