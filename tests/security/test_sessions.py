"""Item 3 of the attack review: sessions and tokens end with logout, a password change or a deactivation."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from health_responder.auth.models import ApiToken
from health_responder.db import utcnow
from health_responder.extensions import db
from tests.factories import csrf_token, page_login


def _logged_in(app, user):
    client = app.test_client()
    assert page_login(client, user.email).status_code == 302
    return client


def _replay(app, cookie: str):
    """A second browser that presents a copy of a session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief.get("/dashboard")


def _cookie(client) -> str:
    return client.get_cookie("session").value


@pytest.mark.both_databases
def test_a_copied_session_cookie_stops_working_after_logout(app, make):
    user = make.user("coordinator")
    client = _logged_in(app, user)
    stolen = _cookie(client)
    assert _replay(app, stolen).status_code == 200
    token = csrf_token(client.get("/dashboard").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    replayed = _replay(app, stolen)
    assert replayed.status_code == 302 and "/login" in replayed.headers["Location"]


@pytest.mark.both_databases
@pytest.mark.parametrize("change", [{"password": "a-new-password-1"}, {"active": False}])
def test_a_password_change_or_deactivation_ends_every_session_and_token(app, make, change):
    user = make.user("city")
    client = _logged_in(app, user)
    stolen = _cookie(client)
    api = make.api(user=user)
    assert api.get("/api/v1/auth/me").status_code == 200
    admin = make.api("admin")
    assert admin.patch(f"/api/v1/users/{user.id}", json=change).status_code == 200
    if change.get("active") is False:
        assert admin.patch(f"/api/v1/users/{user.id}", json={"active": True}).status_code == 200
    assert client.get("/dashboard").status_code == 302
    assert _replay(app, stolen).status_code == 302
    assert api.get("/api/v1/auth/me").status_code == 401
    listed = make.api(user=user).get("/api/v1/auth/tokens").json
    assert [t["revoked_at"] is not None for t in listed] == [False, True]


@pytest.mark.both_databases
def test_tokens_expire_and_say_when(app, make, anonymous):
    user = make.user("provider")
    answer = anonymous.post("/api/v1/auth/tokens", json={"email": user.email, "password": "correct-horse-9"})
    assert answer.status_code == 201
    assert answer.headers["Cache-Control"] == "no-store"
    expires = answer.json["expires_at"]
    api = make.api(user=user)
    api.token = answer.json["token"]
    listed = {t["id"]: t for t in api.get("/api/v1/auth/tokens").json}
    assert listed[answer.json["id"]]["expires_at"] == expires
    with app.app_context():
        row = db.session.get(ApiToken, answer.json["id"])
        lifetime = row.expires_at - row.created_at
        assert timedelta(days=29, hours=23) < lifetime <= timedelta(days=30)
        db.session.execute(
            sa.update(ApiToken)
            .where(ApiToken.id == row.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    assert api.get("/api/v1/auth/me").status_code == 401


def test_the_token_lifetime_is_a_setting(make, app):
    app.config["TOKEN_LIFETIME_DAYS"] = 2
    api = make.api("city")
    expires = api.get("/api/v1/auth/tokens").json[0]["expires_at"]
    created = api.get("/api/v1/auth/tokens").json[0]["created_at"]
    from datetime import datetime

    gap = datetime.fromisoformat(expires) - datetime.fromisoformat(created)
    assert timedelta(days=1, hours=23) < gap <= timedelta(days=2)


def test_login_rotates_the_session_and_its_csrf_token(app, make):
    user = make.user("coordinator")
    client = app.test_client()
    before = csrf_token(client.get("/login").get_data(as_text=True))
    anonymous_cookie = _cookie(client)
    assert (
        client.post(
            "/login", data={"email": user.email, "password": "correct-horse-9", "csrf_token": before}
        ).status_code
        == 302
    )
    after = csrf_token(client.get("/dashboard").get_data(as_text=True))
    assert after != before
    # The anonymous session (and its CSRF token) is not the logged-in one.
    assert _cookie(client) != anonymous_cookie
    # A token handed out before the login (say, planted by an attacker) is no good afterwards.
    assert client.post("/logout", data={"csrf_token": before}).status_code == 400
    assert _replay(app, _cookie(client)).status_code == 200
