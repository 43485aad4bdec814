"""Training fixtures: topics, clients whose token has been used once, a program factory through the API.

The bodies and the enrolment helper live in tests/factories.py (``program_body``, ``enrol``,
``make.program()``); they stay importable from here for branches written before the move.
"""

from __future__ import annotations

import pytest

from health_responder.extensions import db
from tests.factories import TOPICS, enrol, program_body  # noqa: F401 (old import paths)


@pytest.fixture
def topics(make):
    """The four training topics the tests use."""
    return make.topics()


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
    """An API client of a user of a new provider, the topics seeded."""
    return api("provider")


@pytest.fixture
def new_program(provider, make):
    """Create a program through the API (as ``by``, default the provider fixture); returns its JSON."""

    def create(by=None, **overrides):
        return make.program(by=by or provider, **overrides)

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
