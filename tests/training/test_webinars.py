"""Webinars: the join link is seen only by the program's provider, staff and the cities with a
participant holding a seat, in the API, on the pages and in the calendar file; the recording is public.
Every program has an iCalendar file in its time zone, read back here with the icalendar library."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from tests.factories import PageClient, enrol, program_body

JOIN = "https://meet.example.org/j/secret-room-4711"


@pytest.fixture
def webinar(app, make, api):
    make.topics()
    network = make.network(code="CJK")
    provider_user = make.user("provider")
    owner = make.api(user=provider_user)
    assert owner.get("/api/v1/topics").status_code == 200
    created = owner.post(
        "/api/v1/training/programs",
        json=program_body(mode="webinar", join_url=JOIN, link=None, timezone="Asia/Seoul", capacity=1),
    )
    assert created.status_code == 201, created.get_json()
    program = created.get_json()
    cities = {
        name: make.city(name=name, network=network)
        for name in ("enrolled", "waitlisted", "cancelled", "none")
    }
    users = {name: make.user("city", city=city) for name, city in cities.items()}
    clients = {name: make.api(user=user) for name, user in users.items()}
    for client in clients.values():
        assert client.get("/api/v1/topics").status_code == 200
    assert (
        enrol(clients["enrolled"], program["id"], "Kim", "kim@example.org").get_json()["status"] == "enrolled"
    )
    assert (
        enrol(clients["waitlisted"], program["id"], "Lee", "lee@example.org").get_json()["status"]
        == "waitlisted"
    )
    gone = enrol(clients["cancelled"], program["id"], "Park", "park@example.org").get_json()
    assert clients["cancelled"].post(f"/api/v1/training/enrolments/{gone['id']}/cancel").status_code == 200
    other_provider = make.user("provider")
    users |= {
        "provider": provider_user,
        "other provider": other_provider,
        "coordinator": make.user("coordinator"),
        "admin": make.user("admin"),
    }
    return program, users


#: Who sees the join link: the provider, staff and a city with a participant holding a seat.
MATRIX = {
    "provider": True,
    "coordinator": True,
    "admin": True,
    "enrolled": True,
    "waitlisted": False,
    "cancelled": False,
    "none": False,
    "other provider": False,
}


@pytest.mark.both_databases
def test_the_join_link_visibility_matrix_in_the_api(app, make, webinar, anonymous):
    program, users = webinar
    for who, sees in MATRIX.items():
        client = make.api(user=users[who])
        one = client.get(f"/api/v1/training/programs/{program['id']}")
        assert one.status_code == 200, who
        assert (one.get_json()["join_url"] == JOIN) is sees, who
        listed = client.get("/api/v1/training/programs").get_json()["items"]
        assert [p["join_url"] for p in listed if p["id"] == program["id"]] == [JOIN if sees else None], who
        ics = client.get(f"/api/v1/training/programs/{program['id']}/calendar.ics").get_data(as_text=True)
        assert (JOIN in ics.replace("\r\n ", "")) is sees, who
    public = anonymous.get(f"/api/v1/training/programs/{program['id']}/calendar.ics")
    assert public.status_code == 200 and JOIN not in public.get_data(as_text=True).replace("\r\n ", "")
    assert anonymous.get(f"/api/v1/training/programs/{program['id']}").status_code == 401


def test_the_join_link_visibility_matrix_on_the_pages(app, webinar):
    program, users = webinar
    for who, sees in MATRIX.items():
        html = PageClient(app, users[who]).html(f"/training/{program['id']}")
        assert (JOIN in html) is sees, who


def test_the_calendar_file_reads_back_in_the_programs_time_zone(app, webinar, anonymous):
    program, _users = webinar
    response = anonymous.get(f"/api/v1/training/programs/{program['id']}/calendar.ics")
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    (event,) = calendar.walk("VEVENT")
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert start.tzinfo is not None and getattr(start.tzinfo, "key", str(start.tzinfo)) == "Asia/Seoul"
    assert start == datetime.fromisoformat(program["starts_at"]).astimezone(UTC)
    assert end - start == timedelta(hours=4)
    assert start.astimezone(ZoneInfo("Asia/Seoul")).hour == start.hour
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Seoul"]
    assert str(event["summary"]) == program["title"] and str(event["status"]) == "CONFIRMED"


def test_every_program_has_a_calendar_file_and_drafts_stay_private(app, make, api, anonymous):
    make.topics()
    provider = api("provider")
    onsite = provider.post(
        "/api/v1/training/programs", json=program_body(mode="onsite", venue="Songdo hall", link=None)
    ).get_json()
    ics = anonymous.get(f"/api/v1/training/programs/{onsite['id']}/calendar.ics")
    event = Calendar.from_ical(ics.data).walk("VEVENT")[0]
    assert str(event["location"]) == "Songdo hall" and event.decoded("dtstart").tzinfo is not None
    draft = provider.post("/api/v1/training/programs", json=program_body(published=False)).get_json()
    assert anonymous.get(f"/api/v1/training/programs/{draft['id']}/calendar.ics").status_code == 404
    assert provider.get(f"/api/v1/training/programs/{draft['id']}/calendar.ics").status_code == 200


def test_a_webinar_needs_its_join_link_and_the_recording_is_public(app, make, api, client):
    make.topics()
    provider = api("provider")
    refused = provider.post("/api/v1/training/programs", json=program_body(mode="webinar", link=None))
    assert refused.status_code == 422 and "join_url" in refused.get_json()["errors"]
    bad = provider.post("/api/v1/training/programs", json=program_body(mode="webinar", join_url="ftp://x"))
    assert bad.status_code == 422 and "join_url" in bad.get_json()["errors"]
    created = provider.post(
        "/api/v1/training/programs",
        json=program_body(mode="webinar", join_url=JOIN, title="Ventilator webinar"),
    ).get_json()
    recorded = provider.patch(
        f"/api/v1/training/programs/{created['id']}", json={"recording_url": "https://video.example.org/v/1"}
    )
    assert recorded.status_code == 200, recorded.get_json()
    hub = client.get("/hub/").get_data(as_text=True)
    assert "https://video.example.org/v/1" in hub and "Ventilator webinar" in hub and JOIN not in hub
