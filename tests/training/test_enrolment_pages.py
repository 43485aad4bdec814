"""Training pages for cities and providers: the catalogue, enrolment with a waitlist, roster and attendance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from health_responder.extensions import db
from health_responder.training.models import TrainingProgram
from tests.factories import flashes, text

pytestmark = pytest.mark.usefixtures("shelves")


def _program(make, **overrides) -> dict:
    return make.program(**({"language": "ko", "capacity": 1} | overrides))


def test_a_city_enrols_staff_and_the_second_goes_on_the_waitlist(world, make):
    w = world
    program = _program(make)
    city = w.page("city")
    assert "Oxygen therapy basics" in city.html("/training")
    path = f"/training/{program['id']}"
    bad = city.post(
        f"{path}/enrol",
        {"participants-0-participant_name": "Kim Min-ji", "participants-0-participant_email": "not-an-email"},
        page=path,
    )
    assert bad.status_code == 422
    assert "Not a valid email address." in text(bad) and 'value="Kim Min-ji"' in text(bad)
    assert (
        city.post(
            f"{path}/enrol",
            {
                "participants-0-participant_name": "Kim Min-ji",
                "participants-0-participant_email": "minji@sejong.kr",
            },
            page=path,
        ).status_code
        == 302
    )
    assert "Kim Min-ji is enrolled." in " ".join(flashes(city.html(path)))
    city.post(
        f"{path}/enrol",
        {"participants-0-participant_name": "Lee Jun", "participants-0-participant_email": "jun@sejong.kr"},
        page=path,
    )
    assert "on the waitlist (ticket 1)" in " ".join(flashes(city.html(path)))
    duplicate = city.post(
        f"{path}/enrol",
        {"participants-0-participant_name": "Kim", "participants-0-participant_email": "minji@sejong.kr"},
        page=path,
    )
    assert duplicate.status_code == 409 and "Already enrolled in this program." in text(duplicate)


def test_the_provider_marks_attendance_once_the_program_has_begun(app, world, make):
    w = world
    program = _program(make)
    enrolment = (
        w.api["city"]
        .post(
            f"/api/v1/training/programs/{program['id']}/enrolments",
            json={"participant_name": "Kim", "participant_email": "kim@sejong.kr"},
        )
        .json
    )
    provider = w.page("provider")
    path = f"/training/{program['id']}"
    too_early = provider.post(
        f"/training/enrolments/{enrolment['id']}/attendance", {"status": "attended"}, page=path
    )
    assert too_early.status_code == 409 and "attendance is marked once it has begun" in text(too_early)
    with app.app_context(), db.write_session() as session:
        past = datetime.now(UTC) - timedelta(hours=1)
        session.execute(
            sa.update(TrainingProgram)
            .where(TrainingProgram.id == program["id"])
            .values(starts_at=past, enrolment_deadline=past.date())
        )
    done = provider.post(
        f"/training/enrolments/{enrolment['id']}/attendance", {"status": "completed"}, page=path
    )
    assert done.status_code == 302
    assert "Kim is marked Completed." in " ".join(flashes(provider.html(path)))
    assert (
        w.page("other_provider")
        .post(f"/training/enrolments/{enrolment['id']}/attendance", {"status": "no_show"})
        .status_code
        == 404
    )
    assert w.page("other_city").get(path).status_code == 404 or "kim@sejong.kr" not in w.page(
        "other_city"
    ).html(path)
