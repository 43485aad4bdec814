"""Tokens: issued for a right password, refused otherwise, revocable, rate limited on failure."""

import time

import pytest
from sqlmodel import select

from health_responder.auth.models import ApiToken
from health_responder.extensions import db
from tests.factories import PASSWORD


def test_a_right_password_gets_a_token_that_works(app, make, anonymous):
    user = make.user("coordinator")
    response = anonymous.post("/api/v1/auth/tokens", json={"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 201
    token = response.json["token"]
    me = anonymous._client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json["email"] == user.email


def test_the_token_is_stored_only_as_a_hash(app, make, anonymous):
    user = make.user("city")
    token = anonymous.post("/api/v1/auth/tokens", json={"email": user.email, "password": PASSWORD}).json[
        "token"
    ]
    with app.app_context():
        stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored and len(stored) == 1 and len(stored[0]) == 64


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "nobody@example.org", "password": "whatever-123"}, "password"),
        ({"email": "", "password": "x"}, "email"),
        ({"password": "x"}, "email"),
        ({"email": "a@b.c", "password": "x", "extra": 1}, "extra"),
    ],
)
def test_wrong_or_malformed_logins_are_refused(make, anonymous, body, field):
    make.user("city")
    response = anonymous.post("/api/v1/auth/tokens", json=body)
    assert response.status_code in (401, 422)
    assert field in response.json["errors"]


def test_wrong_password_answers_401(make, anonymous):
    user = make.user("city")
    response = anonymous.post("/api/v1/auth/tokens", json={"email": user.email, "password": "not-the-one"})
    assert response.status_code == 401
    assert response.json["message"] == "Wrong email or password."


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Bearer unknown-token", "Basic abc", "Bearer " + "x" * 300]
)
def test_missing_or_unknown_tokens_answer_401(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/cities", headers=headers)
    assert response.status_code == 401
    assert response.json["code"] == 401 and "Bearer" in response.json["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_answers_401(make):
    api = make.api("provider")
    tokens = api.get("/api/v1/auth/tokens").json
    assert api.post(f"/api/v1/auth/tokens/{tokens[0]['id']}/revoke").status_code == 200
    assert api.get("/api/v1/cities").status_code == 401


def test_someone_elses_token_cannot_be_revoked(make):
    owner, other = make.api("city"), make.api("city")
    token_id = owner.get("/api/v1/auth/tokens").json[0]["id"]
    assert other.post(f"/api/v1/auth/tokens/{token_id}/revoke").status_code == 404
    assert owner.get("/api/v1/cities").status_code == 200


def test_a_deactivated_user_loses_api_access(make):
    admin = make.api("admin")
    victim = make.api("city")
    assert admin.patch(f"/api/v1/users/{victim.user.id}", json={"active": False}).status_code == 200
    assert victim.get("/api/v1/cities").status_code == 401


def test_last_used_is_written_at_most_once_a_minute(app, make):
    api = make.api("city")
    api.get("/api/v1/cities")
    first = api.get("/api/v1/auth/tokens").json[0]["last_used"]
    api.get("/api/v1/cities")
    assert first is not None
    assert api.get("/api/v1/auth/tokens").json[0]["last_used"] == first


def test_failed_logins_are_limited_per_account_but_successes_are_not_counted(make, anonymous):
    user = make.user("city")
    for _ in range(20):
        assert (
            anonymous.post(
                "/api/v1/auth/tokens", json={"email": user.email, "password": PASSWORD}
            ).status_code
            == 201
        )
    codes = [
        anonymous.post("/api/v1/auth/tokens", json={"email": user.email, "password": "wrong-one"}).status_code
        for _ in range(12)
    ]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]
    limited = anonymous.post("/api/v1/auth/tokens", json={"email": user.email, "password": PASSWORD})
    assert limited.status_code == 429 and limited.json["status"] == "Too Many Requests"


def test_failed_logins_are_limited_per_address_across_accounts(app, make, anonymous):
    app.config["LOGIN_ADDRESS_FAILURE_LIMIT"] = 10
    codes = [
        anonymous.post(
            "/api/v1/auth/tokens", json={"email": f"u{i}@example.org", "password": "wrong-one"}
        ).status_code
        for i in range(12)
    ]
    assert codes.count(401) == 10 and codes[-1] == 429


def test_a_fresh_tokens_first_post_is_not_delayed(make):
    api = make.api("admin")
    started = time.perf_counter()
    response = api.post("/api/v1/topics", json={"code": "triage", "name": "Triage"})
    assert response.status_code == 201
    assert time.perf_counter() - started < 5
    assert api.get("/api/v1/auth/tokens").json[0]["last_used"] is not None


def test_the_users_search_over_the_api_matches_percent_and_underscore_literally(world, make):
    make.user("coordinator", email="a_b@example.org")
    make.user("coordinator", email="axb@example.org")
    make.user("coordinator", email="full%stop@example.org")
    found = world.admin.get("/api/v1/users", query_string={"q": "a_b"}).json
    assert [u["email"] for u in found["items"]] == ["a_b@example.org"]
    found = world.admin.get("/api/v1/users", query_string={"q": "%"}).json
    assert [u["email"] for u in found["items"]] == ["full%stop@example.org"]
