"""One form where one is enough: several participants enrolled at once (all or none, every bad row named by
its place on the form), and the whole roster's attendance saved with one button; the API's batch routes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from health_responder.extensions import db
from health_responder.training.models import TrainingProgram
from tests.factories import flashes, text


def _program(make, **overrides) -> dict:
    return make.program(**({"capacity": 2} | overrides))


def _rows(*people) -> dict:
    data = {}
    for index, (name, email) in enumerate(people):
        data[f"participants-{index}-participant_name"] = name
        data[f"participants-{index}-participant_email"] = email
    return data


def _started(app, program_id: int) -> None:
    with app.app_context(), db.write_session() as session:
        past = datetime.now(UTC) - timedelta(hours=1)
        session.execute(
            sa.update(TrainingProgram)
            .where(TrainingProgram.id == program_id)
            .values(starts_at=past, enrolment_deadline=past.date())
        )


def test_a_city_enrols_three_participants_in_one_form(world, make):
    w = world
    program = _program(make)
    city = w.page("city")
    path = f"/training/{program['id']}"
    html = city.html(path)
    assert html.count('name="participants-') == 6  # three rows to start with
    more = city.post(f"{path}/enrol", _rows(("Kim", "kim@x.kr")) | {"action": "add_rows"}, page=path)
    assert more.status_code == 303  # post/redirect/get: the program again, its form with more rows
    more = city.get(more.headers["Location"])
    assert more.status_code == 200 and 'name="participants-5-participant_email"' in text(more)
    assert 'name="participants-6-participant_email"' not in text(more)  # three rows more, no fewer
    assert 'value="kim@x.kr"' in text(more)  # what was typed stays
    people = (("Kim Min-ji", "minji@x.kr"), ("", ""), ("Lee Jun", "jun@x.kr"), ("Park", "park@x.kr"))
    answer = city.post(f"{path}/enrol", _rows(*people) | {"action": "enrol"}, page=path)
    assert answer.status_code == 302
    said = " ".join(flashes(city.html(path)))
    assert "Kim Min-ji is enrolled." in said and "Lee Jun is enrolled." in said
    assert "Park is on the waitlist (ticket 1)." in said
    listed = w.api["city"].get(f"/api/v1/training/programs/{program['id']}/enrolments").json["items"]
    assert [(e["participant_name"], e["status"]) for e in listed] == [
        ("Kim Min-ji", "enrolled"),
        ("Lee Jun", "enrolled"),
        ("Park", "waitlisted"),
    ]


def test_every_bad_row_is_named_at_once_and_nobody_is_enrolled(world, make):
    w = world
    program = _program(make)
    w.api["city"].post(
        f"/api/v1/training/programs/{program['id']}/enrolments",
        json={"participant_name": "Already", "participant_email": "already@x.kr"},
    )
    city = w.page("city")
    path = f"/training/{program['id']}"
    people = (
        ("Good", "good@x.kr"),
        ("Bad email", "not-an-email"),
        ("Again", "already@x.kr"),
        ("", "noname@x.kr"),
    )
    answer = city.post(f"{path}/enrol", _rows(*people) | {"action": "enrol"}, page=path)
    html = text(answer)
    assert answer.status_code == 422
    assert 'id="participants-1-participant_email-errors"' in html  # the schema's row
    assert 'id="participants-3-participant_name-errors"' in html
    assert "Participant&#39;s email, line 2" in html and "Participant&#39;s name, line 4" in html
    assert 'value="good@x.kr"' in html and 'value="not-an-email"' in html
    fixed = (("Good", "good@x.kr"), ("Bad email", "bad@x.kr"), ("Again", "already@x.kr"))
    answer = city.post(f"{path}/enrol", _rows(*fixed) | {"action": "enrol"}, page=path)
    html = text(answer)
    assert answer.status_code == 422 and "Already enrolled in this program." in html
    assert 'id="participants-2-participant_email-errors"' in html
    names = [e["participant_name"] for e in w.api["city"].get("/api/v1/training/enrolments").json["items"]]
    assert names == ["Already"]  # all or none
    twice = city.post(f"{path}/enrol", _rows(("A", "same@x.kr"), ("B", "SAME@x.kr")), page=path)
    assert twice.status_code == 422 and "Given twice in this list (row 1)." in text(twice)


def test_the_enrolment_batch_over_the_api(world, make):
    w = world
    program = _program(make, capacity=1)
    url = f"/api/v1/training/programs/{program['id']}/enrolments/batch"
    bad = w.api["city"].post(
        url,
        json={
            "participants": [
                {"participant_name": "A", "participant_email": "a@x.kr"},
                {"participant_name": "B"},
            ]
        },
    )
    assert bad.status_code == 422 and "participant_email" in bad.json["errors"]["participants"]["1"]
    made = w.api["city"].post(
        url,
        json={
            "participants": [
                {"participant_name": "A", "participant_email": "a@x.kr"},
                {"participant_name": "B", "participant_email": "b@x.kr"},
            ]
        },
    )
    assert made.status_code == 201 and [e["status"] for e in made.json] == ["enrolled", "waitlisted"]
    assert w.api["provider"].post(url, json={"participants": []}).status_code == 403


def test_the_provider_saves_the_whole_rosters_attendance_with_one_button(app, world, make):
    w = world
    program = _program(make, capacity=5)
    url = f"/api/v1/training/programs/{program['id']}/enrolments/batch"
    people = [("Kim", "kim@x.kr"), ("Lee", "lee@x.kr"), ("Park", "park@x.kr")]
    made = (
        w.api["city"]
        .post(
            url, json={"participants": [{"participant_name": n, "participant_email": e} for n, e in people]}
        )
        .json
    )
    provider = w.page("provider")
    path = f"/training/{program['id']}"
    data = {
        "marks-0-enrolment_id": made[0]["id"],
        "marks-0-status": "completed",
        "marks-1-enrolment_id": made[1]["id"],
        "marks-1-status": "attended",
        "marks-2-enrolment_id": made[2]["id"],
        "marks-2-status": "no_show",
    }
    too_early = provider.post(f"{path}/attendance", data, page=path)
    assert too_early.status_code == 409 and "attendance is marked once it has begun" in text(too_early)
    _started(app, program["id"])
    html = provider.html(path)
    assert "Save the attendance of everyone" in html and 'form="roster-form"' in html
    done = provider.post(f"{path}/attendance", data, page=path)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"{path}#participants")
    assert "The attendance of 3 participants is saved." in " ".join(flashes(provider.html(path)))
    roster = w.api["provider"].get(f"/api/v1/training/programs/{program['id']}/enrolments").json["items"]
    assert [e["status"] for e in roster] == ["completed", "attended", "no_show"]
    # rows left as they were are not sent on; another provider cannot mark this roster
    again = provider.post(f"{path}/attendance", data, page=path)
    assert again.status_code == 302
    assert "Nothing changed" in " ".join(flashes(provider.html(path)))
    assert w.page("other_provider").post(f"{path}/attendance", data, page=path).status_code == 404
    api = w.api["provider"].post(
        f"/api/v1/training/programs/{program['id']}/attendance",
        json={"marks": [{"enrolment_id": made[2]["id"], "status": "attended"}]},
    )
    assert api.status_code == 200 and api.json[0]["status"] == "attended"
