"""Enrolments: seats and waitlist, refusals, tenant isolation, attendance, certificates, readiness."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pypdf
import pytest
from sqlmodel import select

from health_responder.db import utc_today
from health_responder.extensions import db
from health_responder.notifications.models import Notification
from health_responder.training.queries import city_has_completed
from tests.factories import enrol
from tests.pdftext import pdftotext


def test_participants_take_seats_then_waitlist_tickets(api, new_program):
    program = new_program(capacity=2)
    city = api("city")
    answers = [enrol(city, program["id"], f"P{i}", f"p{i}@city.example.org") for i in range(4)]
    assert [r.status_code for r in answers] == [201] * 4
    assert [(r.json["status"], r.json["waitlist_position"]) for r in answers] == [
        ("enrolled", None),
        ("enrolled", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
    ]
    assert (
        answers[0].json["city_id"] == city.user.city_id and answers[0].json["enrolled_by_id"] == city.user.id
    )


def test_the_same_participant_twice_is_refused_whatever_the_case_of_the_email(api, new_program):
    program = new_program()
    city = api("city")
    first = enrol(city, program["id"], "Kim", "Kim@Sejong.Example.org")
    assert first.status_code == 201 and first.json["participant_email"] == "kim@sejong.example.org"
    second = enrol(city, program["id"], "Kim again", "kim@sejong.example.org ")
    assert second.status_code in (409, 422)
    third = enrol(city, program["id"], "Kim again", "KIM@sejong.example.org")
    assert third.status_code == 409 and "participant_email" in third.json["errors"]


def test_a_cancelled_participant_may_enrol_again(api, new_program):
    program = new_program()
    city = api("city")
    first = enrol(city, program["id"], "Kim", "kim@city.example.org").json
    assert city.post(f"/api/v1/training/enrolments/{first['id']}/cancel").status_code == 200
    assert enrol(city, program["id"], "Kim", "kim@city.example.org").status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"participant_name": "Kim", "participant_email": "not-an-email"}, "participant_email"),
        ({"participant_name": "", "participant_email": "kim@city.example.org"}, "participant_name"),
        ({"participant_name": "   ", "participant_email": "kim@city.example.org"}, "participant_name"),
        ({"participant_email": "kim@city.example.org"}, "participant_name"),
        ({"participant_name": "Kim", "participant_email": "kim@city.example.org", "seat": 1}, "seat"),
    ],
)
def test_bad_enrolment_input_is_refused_naming_the_field(api, new_program, body, field):
    program = new_program()
    response = api("city").post(f"/api/v1/training/programs/{program['id']}/enrolments", json=body)
    assert response.status_code == 422 and field in response.json["errors"], response.json


def test_a_city_cannot_enrol_in_another_citys_name(api, make, new_program):
    program = new_program()
    other = make.city()
    response = enrol(api("city"), program["id"], "Kim", "kim@city.example.org", city_id=other.id)
    assert response.status_code == 422 and "city_id" in response.json["errors"]


def test_staff_enrol_for_a_named_city_and_must_name_one(api, make, new_program):
    program = new_program()
    coordinator, city = api("coordinator"), make.city()
    missing = enrol(coordinator, program["id"], "Kim", "kim@city.example.org")
    assert missing.status_code == 422 and "city_id" in missing.json["errors"]
    made = enrol(coordinator, program["id"], "Kim", "kim@city.example.org", city_id=city.id)
    assert made.status_code == 201 and made.json["city_id"] == city.id


def test_providers_do_not_enrol(provider, new_program):
    program = new_program()
    assert enrol(provider, program["id"], "Kim", "kim@city.example.org").status_code == 403


def test_enrolment_after_the_deadline_is_refused_with_the_date(api, new_program):
    deadline = (utc_today() - timedelta(days=2)).isoformat()
    program = new_program(enrolment_deadline=deadline)
    response = enrol(api("city"), program["id"], "Kim", "kim@city.example.org")
    assert response.status_code == 409
    assert deadline in response.json["message"] and "enrolment_deadline" in response.json["errors"]


def test_staff_cannot_enrol_a_city_outside_the_programs_networks(api, make, new_program):
    inside, outside = make.network(), make.network()
    program = new_program(networks=[inside.id])
    response = enrol(
        api("coordinator"),
        program["id"],
        "Kim",
        "kim@city.example.org",
        city_id=make.city(network=outside).id,
    )
    assert response.status_code == 422 and "city_id" in response.json["errors"]


def test_a_draft_program_is_invisible_to_cities_and_refuses_staff_enrolments(api, make, new_program):
    program = new_program(published=False)
    assert enrol(api("city"), program["id"], "Kim", "kim@city.example.org").status_code == 404
    response = enrol(api("coordinator"), program["id"], "Kim", "kim@city.example.org", city_id=make.city().id)
    assert response.status_code == 409 and "not published" in response.json["message"]


def test_another_citys_enrolment_answers_404(api, new_program):
    program = new_program()
    ours, theirs = api("city"), api("city")
    enrolment = enrol(ours, program["id"], "Kim", "kim@city.example.org").json
    assert theirs.get(f"/api/v1/training/enrolments/{enrolment['id']}").status_code == 404
    assert theirs.post(f"/api/v1/training/enrolments/{enrolment['id']}/cancel").status_code == 404
    assert theirs.get(f"/api/v1/training/enrolments/{enrolment['id']}/certificate.pdf").status_code == 404
    assert theirs.get(f"/api/v1/training/programs/{program['id']}/enrolments").json["items"] == []
    assert ours.get(f"/api/v1/training/enrolments/{enrolment['id']}").status_code == 200


def test_rosters_the_provider_sees_all_a_city_its_own_another_provider_nothing(api, provider, new_program):
    program = new_program()
    first, second = api("city"), api("city")
    a = enrol(first, program["id"], "Ana", "ana@one.example.org").json
    b = enrol(second, program["id"], "Ben", "ben@two.example.org").json
    path = f"/api/v1/training/programs/{program['id']}/enrolments"
    assert [e["id"] for e in provider.get(path).json["items"]] == [a["id"], b["id"]]
    assert [e["id"] for e in first.get(path).json["items"]] == [a["id"]]
    assert [e["id"] for e in api("coordinator").get(path).json["items"]] == [a["id"], b["id"]]
    assert api("provider").get(path).json["items"] == []
    assert api("provider").get(f"/api/v1/training/enrolments/{a['id']}").status_code == 404
    assert [e["id"] for e in first.get("/api/v1/training/enrolments").json["items"]] == [a["id"]]


def test_cancelling_a_seat_promotes_the_lowest_waitlist_ticket_and_notifies_its_city(
    app, api, make, new_program
):
    program = new_program(capacity=1)
    city_a, city_b = api("city"), api("city")
    seat = enrol(city_a, program["id"], "Ana", "ana@a.example.org").json
    first_waiting = enrol(city_b, program["id"], "Ben", "ben@b.example.org").json
    second_waiting = enrol(city_a, program["id"], "Cy", "cy@a.example.org").json

    cancelled = city_a.post(f"/api/v1/training/enrolments/{seat['id']}/cancel")

    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    promoted = city_b.get(f"/api/v1/training/enrolments/{first_waiting['id']}").json
    assert (promoted["status"], promoted["waitlist_position"]) == ("enrolled", None) and promoted[
        "promoted_at"
    ]
    still = city_a.get(f"/api/v1/training/enrolments/{second_waiting['id']}").json
    assert (still["status"], still["waitlist_position"]) == ("waitlisted", 2)
    again = city_a.post(f"/api/v1/training/enrolments/{seat['id']}/cancel")
    assert again.status_code == 409 and "cancelled" in again.json["message"]
    with app.app_context():
        ids = db.session.scalars(select(Notification.message_id)).all()
    assert ids == [f"training-promoted:{first_waiting['id']}:user={city_b.user.id}"]


def test_cancelling_a_waitlisted_place_frees_no_seat(api, new_program):
    program = new_program(capacity=1)
    city = api("city")
    enrol(city, program["id"], "Ana", "ana@a.example.org")
    waiting = enrol(city, program["id"], "Ben", "ben@a.example.org").json
    later = enrol(city, program["id"], "Cy", "cy@a.example.org").json
    assert city.post(f"/api/v1/training/enrolments/{waiting['id']}/cancel").status_code == 200
    detail = city.get(f"/api/v1/training/programs/{program['id']}").json
    assert (detail["seats_taken"], detail["waitlisted"]) == (1, 1)
    assert city.get(f"/api/v1/training/enrolments/{later['id']}").json["waitlist_position"] == 2


def _started(set_program, program_id):
    start = datetime.now(UTC) - timedelta(hours=2)
    set_program(program_id, starts_at=start, ends_at=start + timedelta(hours=1))


def test_attendance_is_marked_by_the_programs_provider_once_it_has_begun(
    api, provider, new_program, set_program
):
    program = new_program()
    city = api("city")
    enrolment = enrol(city, program["id"], "Ana", "ana@a.example.org").json
    path = f"/api/v1/training/enrolments/{enrolment['id']}/attendance"

    early = provider.post(path, json={"status": "attended"})
    assert early.status_code == 409 and "not started" in early.json["errors"]["status"][0]
    _started(set_program, program["id"])
    assert city.post(path, json={"status": "completed"}).status_code == 403
    assert api("provider").post(path, json={"status": "completed"}).status_code == 404
    assert provider.post(path, json={"status": "enrolled"}).status_code == 422
    assert provider.post(path, json={"status": "no_show"}).json["status"] == "no_show"
    assert provider.post(path, json={"status": "attended"}).json["status"] == "attended"
    done = provider.post(path, json={"status": "completed"})
    assert done.status_code == 200 and done.json["status"] == "completed" and done.json["completed_at"]
    final = provider.post(path, json={"status": "no_show"})
    assert final.status_code == 409 and "completed" in final.json["message"]


def test_waitlisted_participants_cannot_be_marked(api, provider, new_program, set_program):
    program = new_program(capacity=1)
    city = api("city")
    enrol(city, program["id"], "Ana", "ana@a.example.org")
    waiting = enrol(city, program["id"], "Ben", "ben@a.example.org").json
    _started(set_program, program["id"])
    response = provider.post(
        f"/api/v1/training/enrolments/{waiting['id']}/attendance", json={"status": "attended"}
    )
    assert response.status_code == 409 and "waitlisted" in response.json["message"]


def test_certificate_of_a_completed_participant_reads_back_from_the_pdf(
    api, provider, new_program, set_program
):
    program = new_program(title="Oxygen concentrator maintenance")
    city = api("city")
    enrolment = enrol(city, program["id"], "Amara Okafor", "amara@city.example.org").json
    certificate = f"/api/v1/training/enrolments/{enrolment['id']}/certificate.pdf"
    not_yet = city.get(certificate)
    assert not_yet.status_code == 409 and "completed" in not_yet.json["message"]
    _started(set_program, program["id"])
    assert (
        provider.post(
            f"/api/v1/training/enrolments/{enrolment['id']}/attendance", json={"status": "completed"}
        ).status_code
        == 200
    )

    response = city.get(certificate)

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    code = response.headers["X-Verification-Code"]
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.data)).pages)
    text = " ".join(text.split())
    # The day of completion (the program's end, marked after it) is the city's day, and the certificate
    # names the city's zone.
    zone = city.get(f"/api/v1/cities/{enrolment['city_id']}").json["timezone"]
    ends_at = datetime.fromisoformat(city.get(f"/api/v1/training/programs/{program['id']}").json["ends_at"])
    day = ends_at.astimezone(ZoneInfo(zone)).date()
    for expected in (
        "Certificate of completion",
        "Amara Okafor",
        "Oxygen concentrator maintenance",
        "Oxygen therapy",
        f"Completed on {day:%B} {day.day}, {day.year}" + ("" if zone == "UTC" else f" ({zone})"),
        code,
    ):
        assert expected in text, (expected, text)
    verified = city.get(f"/api/v1/documents/verify/{code}")
    assert verified.status_code == 200 and (verified.json["genuine"], verified.json["current"]) == (
        True,
        True,
    )
    assert verified.json["kind"] == "certificate"
    reprint = provider.get(certificate)
    assert reprint.status_code == 200 and reprint.headers["X-Verification-Code"] == code
    assert reprint.data == response.data
    assert api("city").get(certificate).status_code == 404


def test_a_certificate_marked_days_after_the_program_is_dated_the_programs_last_day(
    api, provider, new_program, set_program, tmp_path
):
    program = new_program(title="Ultrasound basics")
    city = api("city")
    enrolment = enrol(city, program["id"], "Jung Hae-in", "jung@city.example.org").json
    ends_at = datetime.now(UTC) - timedelta(days=10)
    set_program(program["id"], starts_at=ends_at - timedelta(hours=6), ends_at=ends_at)
    marked = provider.post(
        f"/api/v1/training/enrolments/{enrolment['id']}/attendance", json={"status": "completed"}
    )
    assert marked.status_code == 200, marked.json
    response = city.get(f"/api/v1/training/enrolments/{enrolment['id']}/certificate.pdf")
    assert response.status_code == 200
    zone = city.get(f"/api/v1/cities/{enrolment['city_id']}").json["timezone"]
    day = ends_at.astimezone(ZoneInfo(zone)).date()
    text = " ".join(pdftotext(response.data, tmp_path).split())
    assert f"Completed on {day:%B} {day.day}, {day.year}" in text, text
    today = datetime.now(ZoneInfo(zone)).date()
    assert f"Completed on {today:%B} {today.day}, {today.year}" not in text


def test_readiness_shows_the_topics_a_city_completed(app, api, make, provider, new_program, set_program):
    make.item(code="OXY-CONC-10L", requires_training="oxygen_therapy")
    program = new_program()
    city = api("city")
    enrolment = enrol(city, program["id"], "Ana", "ana@a.example.org").json
    _started(set_program, program["id"])
    provider.post(f"/api/v1/training/enrolments/{enrolment['id']}/attendance", json={"status": "completed"})

    own = city.get("/api/v1/training/readiness")

    assert own.status_code == 200 and own.json["city_id"] == city.user.city_id
    topics = {t["topic"]: t for t in own.json["topics"]}
    assert (
        topics["oxygen_therapy"]["ready"],
        topics["oxygen_therapy"]["completed"],
        topics["oxygen_therapy"]["items"],
    ) == (True, 1, ["OXY-CONC-10L"])
    assert topics["ventilation"]["ready"] is False
    other_city = api("city")
    assert (
        other_city.get("/api/v1/training/readiness", query_string={"city_id": city.user.city_id}).status_code
        == 404
    )
    staff = api("coordinator").get(
        "/api/v1/training/readiness", query_string={"city_id": other_city.user.city_id}
    )
    assert staff.status_code == 200 and not any(t["ready"] for t in staff.json["topics"])
    assert api("coordinator").get("/api/v1/training/readiness").status_code == 422
    assert provider.get("/api/v1/training/readiness").status_code == 403

    with app.app_context():
        assert city_has_completed(city_id=city.user.city_id, topic="oxygen_therapy") is True
        assert city_has_completed(city_id=city.user.city_id, topic="ventilation") is False
        assert city_has_completed(city_id=other_city.user.city_id, topic="oxygen_therapy") is False
