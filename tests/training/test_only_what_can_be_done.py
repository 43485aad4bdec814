"""Training offers only what can be done: the catalogue lists what is still ahead first; the enrolment form
is there only while enrolment is open (else the reason, and the service refuses alike); attendance is
offered only once the program has begun."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from health_responder.extensions import db
from health_responder.training.models import TrainingProgram
from tests.factories import text


def _program(w, make, title: str, *, starts_in: timedelta = timedelta(days=10), **overrides) -> dict:
    program = make.program(**({"title": title, "capacity": 5} | overrides))
    if starts_in != timedelta(days=10):
        _move(w.app, program["id"], starts_in)
    return program


def _move(app, program_id: int, starts_in: timedelta, hours: int = 4, deadline_days: int = 2) -> None:
    """Set the program's start ``starts_in`` from now (the API refuses a program in the past)."""
    start = datetime.now(UTC) + starts_in
    with app.app_context(), db.write_session() as session:
        session.execute(
            sa.update(TrainingProgram)
            .where(TrainingProgram.id == program_id)
            .values(
                starts_at=start,
                ends_at=start + timedelta(hours=hours),
                enrolment_deadline=(start - timedelta(days=deadline_days)).date(),
            )
        )


def test_the_catalogue_lists_what_is_ahead_first_then_what_has_ended(world, make):
    w = world
    ended_long_ago = _program(w, make, "Ended long ago", starts_in=timedelta(days=-60))
    ended_lately = _program(w, make, "Ended lately", starts_in=timedelta(days=-3))
    far = _program(w, make, "Far ahead", starts_in=timedelta(days=90))
    soon = _program(w, make, "Soon", starts_in=timedelta(days=4))
    running = _program(w, make, "Under way now", starts_in=timedelta(hours=-1))
    html = w.page("city").html("/training")
    titles = re.findall(r'/training/\d+">([^<]+)</a>', html)
    expected = [running, soon, far, ended_lately, ended_long_ago]
    assert [t for t in titles if t in {p["title"] for p in expected}] == [p["title"] for p in expected]
    row = lambda p: html[html.index(p["title"]) : html.index("</tr>", html.index(p["title"]))]  # noqa: E731
    assert "Ended" in row(ended_lately) and "Under way" in row(running)
    assert "Enrolment closed" in row(running) and "Enrolment closed" not in row(soon)
    # the API keeps its documented order: soonest first
    api = [p["title"] for p in w.api["city"].get("/api/v1/training/programs").json["items"]]
    assert api[0] == "Ended long ago"


def test_the_enrolment_form_is_offered_only_while_enrolment_is_open(world, make):
    w = world
    program = _program(w, make, "Closing soon")
    city = w.page("city")
    path = f"/training/{program['id']}"
    assert 'name="participants-0-participant_name"' in city.html(path)
    _move(w.app, program["id"], timedelta(days=1), deadline_days=3)  # the deadline was two days ago
    html = city.html(path)
    assert 'name="participants-0-participant_name"' not in html
    assert "Enrolment closed on" in html and "(the deadline)" in html
    body = {"participant_name": "Kim", "participant_email": "kim@x.kr"}
    late = w.api["city"].post(f"/api/v1/training/programs/{program['id']}/enrolments", json=body)
    assert late.status_code == 409 and "Enrolment closed on" in late.json["message"]
    _move(w.app, program["id"], timedelta(hours=-1), deadline_days=0)  # begun: closed whatever the deadline
    html = city.html(path)
    assert "enrolment is closed" in html and 'name="participants-0-participant_name"' not in html
    begun = w.api["city"].post(f"/api/v1/training/programs/{program['id']}/enrolments", json=body)
    assert begun.status_code == 409 and "began on" in begun.json["message"]


def test_attendance_is_offered_only_once_the_program_has_begun(world, make):
    w = world
    program = _program(w, make, "Hands-on")
    w.api["city"].post(
        f"/api/v1/training/programs/{program['id']}/enrolments",
        json={"participant_name": "Kim", "participant_email": "kim@x.kr"},
    )
    provider = w.page("provider")
    path = f"/training/{program['id']}"
    html = provider.html(path)
    assert "attendance is marked once it has begun" in html
    assert "Save the attendance of everyone" not in html and 'name="marks-0-status"' not in html
    _move(w.app, program["id"], timedelta(hours=-1))
    html = provider.html(path)
    assert "Save the attendance of everyone" in html and 'name="marks-0-status"' in html
    assert "attendance is marked once it has begun" not in html


def test_korean_pages_give_the_reasons_in_korean(world, make):
    w = world
    program = _program(w, make, "Closed in Korean", starts_in=timedelta(days=1))
    city = w.page("city")
    city.post("/language", {"locale": "ko", "next": "/training"})
    html = city.html(f"/training/{program['id']}")
    assert "등록" in html and "Enrolment closed on" not in html
    assert "종료" in city.html("/training") or "등록 마감" in city.html("/training")
    assert text(city.get("/training")).count("Enrolment closed") == 0


def test_the_catalogue_closes_enrolment_on_the_citys_own_calendar_as_enrol_does(world, make):
    """At 01:00 on the 2nd in Seoul it is still the 1st in UTC: a deadline of the 1st has passed for a
    Seoul city (the catalogue says so, as the program page and the service do) and not for the staff."""
    from health_responder.db import clock_at

    w = world
    program = _program(w, make, "Deadline at midnight in Seoul")
    deadline = datetime.now(UTC).date() + timedelta(days=3)
    with w.app.app_context(), db.write_session() as session:
        session.get(TrainingProgram, program["id"]).enrolment_deadline = deadline
    seoul_small_hours = datetime.combine(deadline, datetime.min.time(), UTC) + timedelta(hours=16)

    def row(html: str) -> str:
        start = html.index(program["title"])
        return html[start : html.index("</tr>", start)]

    with clock_at(seoul_small_hours):  # the world's city is in Asia/Seoul
        city = w.page("city").html("/training")
        coordinator = w.page("coordinator").html("/training")
        page = w.page("city").html(f"/training/{program['id']}")
    assert "Enrolment closed" in row(city) and "Enrolment closed on" in page
    assert "Enrolment closed" not in row(coordinator)
    with clock_at(seoul_small_hours - timedelta(hours=2)):  # 23:00 on the 1st in Seoul
        assert "Enrolment closed" not in row(w.page("city").html("/training"))
