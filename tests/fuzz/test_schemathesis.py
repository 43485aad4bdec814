"""schemathesis over the whole OpenAPI description, authenticated as each role in turn.

A bounded number of examples per operation (FUZZ_EXAMPLES, default 4) keeps `make test` short; the
checks: no server error, responses conform to the description (status, content type, schema), and
invalid input is never accepted.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from health_responder import create_app
from health_responder.auth import services as auth
from health_responder.extensions import db
from tests.demo import demo_copy

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
ROLES = {
    "city": "city@sejong.example.org",
    "provider": "provider@medasia.example.org",
    "coordinator": "coordinator@responder.example.org",
    "admin": "admin@responder.example.org",
}


def _fuzz_app():
    """One app with the demo data for the whole module (fuzzing needs real ids to hit real code).

    Built at import: schemathesis parametrises from the app's OpenAPI document at collection time.
    """
    from sqlmodel import select

    import health_responder.models  # noqa: F401
    from health_responder.auth.models import User

    url, reports = demo_copy(Path(tempfile.mkdtemp(prefix="hr-fuzz-")))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "fuzz",
            "DATABASE_URL": url,
            "REPORTS_DIR": reports,
            "LOGIN_FAILURE_LIMIT": 100000,
            "LOGIN_ADDRESS_FAILURE_LIMIT": 100000,
        }
    )
    with app.app_context():
        tokens = {}
        with db.write_session():
            for role, email in ROLES.items():
                user = db.session.scalar(select(User).where(User.email == email))
                tokens[role] = auth.issue_token(user=user, name="fuzz")[1]
    app.config["FUZZ_TOKENS"] = tokens
    return app


APP = _fuzz_app()
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_survives_fuzzing(case):
    for role in ROLES:
        headers = {"Authorization": f"Bearer {APP.config['FUZZ_TOKENS'][role]}"}
        case.call_and_validate(headers=headers, checks=CHECKS)
