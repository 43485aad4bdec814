"""The flask commands wrap the same services as the API."""

import pytest
import sqlalchemy as sa
from sqlmodel import select

from health_responder.auth.models import User
from health_responder.extensions import db


def test_users_create_and_token_give_a_working_token(app, make, runner, client):
    city = make.city(name="Kigali")
    result = runner.invoke(
        args=[
            "users",
            "create",
            "nurse@kigali.example.org",
            "--role",
            "city",
            "--password",
            "long-enough-1",
            "--city",
            "Kigali",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "nurse@kigali.example.org"))
        assert user.city_id == city.id
    result = runner.invoke(args=["users", "token", "nurse@kigali.example.org"])
    token = result.output.strip()
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json["role"] == "city"


def test_users_create_names_what_is_wrong(runner, make):
    assert (
        "no city named"
        in runner.invoke(
            args=[
                "users",
                "create",
                "a@b.org",
                "--role",
                "city",
                "--password",
                "long-enough-1",
                "--city",
                "Atlantis",
            ]
        ).output
    )
    result = runner.invoke(
        args=["users", "create", "a@b.org", "--role", "city", "--password", "long-enough-1"]
    )
    assert result.exit_code != 0 and "city_id" in result.output
    make.user("admin", email="dup@example.org")
    result = runner.invoke(
        args=["users", "create", "dup@example.org", "--role", "admin", "--password", "long-enough-1"]
    )
    assert result.exit_code != 0 and "already exists" in result.output


@pytest.mark.parametrize(
    "email", ["not-an-email", "a@", "@example.org", "a b@example.org", "x" * 250 + "@e.org"]
)
def test_users_create_refuses_an_email_that_is_not_one_and_writes_nothing(app, runner, email):
    result = runner.invoke(args=["users", "create", email, "--role", "admin", "--password", "long-enough-1"])
    assert result.exit_code != 0 and "email: Not a valid email address." in result.output, result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_users_token_refuses_an_unknown_email(runner):
    result = runner.invoke(args=["users", "token", "ghost@example.org"])
    assert result.exit_code != 0 and "No active user" in result.output


def test_seed_demo_prints_logins_and_runs_only_once(app, runner, client):
    result = runner.invoke(args=["seed", "demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "coordinator@responder.example.org" in result.output and "city@sejong.example.org" in result.output
    assert "Demo data (small) loaded in" in result.output
    assert "already loaded" in runner.invoke(args=["seed", "demo", "--if-empty"]).output
    token = client.post(
        "/api/v1/auth/tokens", json={"email": "city@sejong.example.org", "password": "demo-pass-2026"}
    ).json["token"]
    cities = client.get("/api/v1/cities?page_size=100", headers={"Authorization": f"Bearer {token}"}).json
    names = {c["name"] for c in cities["items"]}
    assert cities["total"] == 27 and {"세종", "Ульяновск"} <= names
