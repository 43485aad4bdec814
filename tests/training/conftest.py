"""Training fixtures: topics, logged-in clients per role, a program factory through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from health_responder.extensions import db

TOPICS = [
    ("oxygen_therapy", "Oxygen therapy"),
    ("ventilation", "Mechanical ventilation"),
    ("diagnostics", "Diagnostics and testing"),
    ("infection_control", "Infection prevention and control"),
]


def program_body(**overrides) -> dict:
    """A valid program: starts in ten days, deadline in five."""
    start = (datetime.now(UTC) + timedelta(days=10)).replace(hour=9, minute=0, second=0, microsecond=0)
    body = {
        "title": "Oxygen therapy basics",
        "topic": "oxygen_therapy",
        "language": "en",
        "mode": "online",
        "link": "https://learn.example.org/oxygen",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=4)).isoformat(),
        "enrolment_deadline": (start.date() - timedelta(days=5)).isoformat(),
        "capacity": 30,
    }
    return body | overrides


@pytest.fixture
def topics(make):
    return [make.topic(code, name) for code, name in TOPICS]


@pytest.fixture
def api(make):
    """``api("city", city=…)``: a logged-in ApiClient whose token has been used once already.

    The first use of a token writes ``last_used``; on SQLite that write waits behind the request's own
    IMMEDIATE transaction when the first use is a POST, so each token is first used by a GET.
    """

    def login(role, **kw):
        client = make.api(role, **kw)
        assert client.get("/api/v1/topics").status_code == 200
        return client

    return login


@pytest.fixture
def provider(api, topics):
    return api("provider")


@pytest.fixture
def new_program(provider):
    """Create a program through the API (as ``by``, default the provider fixture); returns its JSON."""

    def create(by=None, **overrides):
        response = (by or provider).post("/api/v1/training/programs", json=program_body(**overrides))
        assert response.status_code == 201, response.json
        return response.json

    return create


@pytest.fixture
def set_program(app):
    """Change a program's row directly (to move it in time for a test)."""

    def update(program_id, **values):
        from health_responder.training.models import TrainingProgram

        with app.app_context(), db.write_session():
            program = db.session.get(TrainingProgram, program_id)
            for key, value in values.items():
                setattr(program, key, value)

    return update


def enrol(client, program_id, name, email, **extra):
    return client.post(
        f"/api/v1/training/programs/{program_id}/enrolments",
        json={"participant_name": name, "participant_email": email} | extra,
    )
