"""A completed participant's certificate is a link wherever the participant is shown to its city and to
the provider: the program's roster and the city's training page; the PDF behind it is the registered one."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pypdf
import pytest
import sqlalchemy as sa

from health_responder.extensions import db
from health_responder.training.models import TrainingProgram
from tests.factories import text

pytestmark = pytest.mark.usefixtures("shelves")


def completed_and_enrolled(w, make) -> tuple[dict, dict, dict]:
    """A begun program of the world's provider with Amara (completed) and Ben (only enrolled) of the city."""
    make.topics()
    program = make.program(title="Concentrator care", capacity=5)
    city = w.api["city"]
    done, waiting = (
        city.post(
            f"/api/v1/training/programs/{program['id']}/enrolments",
            json={"participant_name": name, "participant_email": email},
        ).json
        for name, email in (("Amara Okafor", "amara@city.example.org"), ("Ben Lee", "ben@city.example.org"))
    )
    with w.app.app_context(), db.write_session() as session:
        past = datetime.now(UTC) - timedelta(hours=1)
        session.execute(
            sa.update(TrainingProgram)
            .where(TrainingProgram.id == program["id"])
            .values(starts_at=past, enrolment_deadline=past.date())
        )
    marked = w.api["provider"].post(
        f"/api/v1/training/enrolments/{done['id']}/attendance", json={"status": "completed"}
    )
    assert marked.status_code == 200, marked.json
    return program, done, waiting


def certificate_links(html: str) -> list[str]:
    return re.findall(r'href="(/training/enrolments/\d+/certificate\.pdf)"', html)


def test_the_roster_links_the_certificate_of_a_completed_participant_only(world, make):
    w = world
    program, done, waiting = completed_and_enrolled(w, make)
    path = f"/training/{program['id']}"
    expected = [f"/training/enrolments/{done['id']}/certificate.pdf"]
    for who in ("provider", "city", "coordinator", "admin"):
        html = w.page(who).html(path)
        assert certificate_links(html) == expected, who
        assert 'Certificate (PDF)<span class="sr-only"> Amara Okafor</span>' in html
    assert f"/training/enrolments/{waiting['id']}/certificate.pdf" not in w.page("provider").html(path)


def test_the_citys_training_page_lists_its_participants_with_their_certificates(world, make):
    w = world
    program, done, waiting = completed_and_enrolled(w, make)
    html = w.page("city").html("/training")
    people = html[html.index('id="people-title"') : html.index("</section>", html.index('id="people-title"'))]
    assert "Amara Okafor" in people and "Ben Lee" in people and "Concentrator care" in people
    assert certificate_links(people) == [f"/training/enrolments/{done['id']}/certificate.pdf"]
    other = w.page("other_city").html("/training")
    assert "Amara Okafor" not in other and 'id="people-title"' in other
    for who in ("provider", "coordinator"):
        assert 'id="people-title"' not in w.page(who).html("/training")


def test_the_certificate_link_gives_the_registered_pdf_to_the_city_and_the_provider_only(world, make):
    w = world
    _program, done, waiting = completed_and_enrolled(w, make)
    link = f"/training/enrolments/{done['id']}/certificate.pdf"
    answer = w.page("city").get(link)
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    words = " ".join(
        " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(answer.data)).pages).split()
    )
    assert "Amara Okafor" in words and "Concentrator care" in words
    code = answer.headers["X-Verification-Code"]
    assert code in words
    again = w.page("provider").get(link)
    assert again.status_code == 200 and again.headers["X-Verification-Code"] == code  # the same document
    assert w.page("coordinator").get(link).status_code == 200
    assert w.page("other_city").get(link).status_code == 404
    assert w.page("other_provider").get(link).status_code == 404
    not_completed = w.page("city").get(f"/training/enrolments/{waiting['id']}/certificate.pdf")
    assert not_completed.status_code == 409 and "completed" in text(not_completed)


def test_the_participants_are_paged_on_the_citys_training_page(world, make):
    w = world
    make.topics()
    program = make.program(title="Big class", capacity=40)
    for n in range(27):
        answer = w.api["city"].post(
            f"/api/v1/training/programs/{program['id']}/enrolments",
            json={"participant_name": f"Person {n:02d}", "participant_email": f"p{n}@city.example.org"},
        )
        assert answer.status_code == 201, answer.json
    first = w.page("city").html("/training")
    assert "Person 26" in first and "Person 01" not in first and 'href="/training?people=2"' in first
    second = w.page("city").html("/training?people=2")
    assert "Person 01" in second and "Person 00" in second and "Person 26" not in second


def test_the_certificate_link_in_korean(world, make):
    w = world
    program, done, _waiting = completed_and_enrolled(w, make)
    city = w.page("city")
    city.post("/language", {"locale": "ko", "next": "/training"})
    html = city.html("/training")
    assert "수료증(PDF)" in html and "우리 도시 참가자" in html
