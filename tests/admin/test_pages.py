"""The administrator's pages (users, tokens, reference data) and every user's profile page."""

from __future__ import annotations

import re

import pytest

from tests.clients import PASSWORD, csrf_token, page_login
from tests.factories import PageClient, text

pytestmark = pytest.mark.both_databases


def test_only_admins_open_the_admin_pages(world):
    for path in (
        "/admin/",
        "/admin/users",
        "/admin/networks",
        "/admin/cities",
        "/admin/items",
        "/admin/topics",
        "/admin/providers",
    ):
        assert world.page("admin").get(path).status_code == 200, path
        for role in ("city", "provider", "coordinator"):
            assert world.page(role).get(path).status_code == 403, (role, path)
    assert "Administration" in world.page("admin").html("/dashboard")


def test_user_search_escapes_percent_and_underscore(world, make):
    make.user("coordinator", email="a_b@example.org")
    make.user("coordinator", email="axb@example.org")
    html = world.page("admin").html("/admin/users?q=a_b")
    assert "a_b@example.org" in html and "axb@example.org" not in html
    html = world.page("admin").html("/admin/users?q=%25")
    assert "No user matches." in html


def test_an_admin_creates_a_city_user_who_can_log_in(app, world):
    admin = world.page("admin")
    data = {
        "email": "New.Officer@Example.org",
        "name": "New Officer",
        "role": "city",
        "city_id": str(world.city.id),
        "provider_id": "",
        "locale": "ko",
        "password": "long-enough-1",
    }
    response = admin.post("/admin/users/new", data, page="/admin/users/new")
    assert response.status_code == 302, text(response)
    html = admin.html(response.headers["Location"])
    assert "new.officer@example.org" in html and "Sejong Test" in html
    fresh = app.test_client()
    assert page_login(fresh, "new.officer@example.org", "long-enough-1").status_code == 302


def test_a_user_form_with_bad_values_names_the_fields_and_keeps_the_input(world):
    admin = world.page("admin")
    response = admin.post(
        "/admin/users/new",
        {
            "email": "not-an-email",
            "name": "Kept Name",
            "role": "city",
            "city_id": "",
            "provider_id": "",
            "locale": "en",
            "password": "short",
        },
        page="/admin/users/new",
    )
    html = text(response)
    assert response.status_code == 422
    assert 'id="email-errors"' in html and 'id="password-errors"' in html and 'aria-invalid="true"' in html
    assert 'value="Kept Name"' in html


def test_a_taken_email_is_named_in_the_same_answer_as_a_short_password(world):
    """One round of errors: the email already registered is said with the other problems, not after them."""
    taken = world.users["coordinator"].email
    data = {"email": taken, "name": "Twice", "role": "coordinator", "locale": "en", "password": "short"}
    form = data | {"city_id": "", "provider_id": ""}
    response = world.page("admin").post("/admin/users/new", form, page="/admin/users/new")
    html = text(response)
    assert response.status_code == 422
    assert re.search(r'id="email-errors">Already registered\.<', html), html[:2000]
    assert 'id="password-errors"' in html
    api = world.admin.post("/api/v1/users", json=data)
    assert api.status_code == 422 and api.json["errors"]["email"] == ["Already registered."], api.json
    alone = world.admin.post("/api/v1/users", json=data | {"password": "long-enough-pass-1"})
    assert alone.status_code == 409 and alone.json["errors"]["email"] == ["Already registered."]


def test_deactivation_ends_the_users_sessions_and_tokens(app, world):
    w = world
    victim = PageClient(app, w.users["other_city"])
    assert victim.get("/dashboard").status_code == 200
    api = w.api["other_city"]
    assert api.get("/api/v1/auth/me").status_code == 200
    admin = w.page("admin")
    uid = w.users["other_city"].id
    assert (
        admin.post(f"/admin/users/{uid}/active", {"active": "0"}, page=f"/admin/users/{uid}").status_code
        == 302
    )
    assert victim.get("/dashboard").status_code == 302  # back to the login page
    assert api.get("/api/v1/auth/me").status_code == 401
    assert "Deactivated" in admin.html(f"/admin/users/{uid}")
    assert (
        admin.post(f"/admin/users/{uid}/active", {"active": "1"}, page=f"/admin/users/{uid}").status_code
        == 302
    )
    assert "Activate again" not in admin.html(f"/admin/users/{uid}")


def test_reset_password_and_revoke_tokens(app, world):
    w = world
    uid = w.users["provider"].id
    api = w.api["provider"]
    admin = w.page("admin")
    html = admin.html(f"/admin/users/{uid}")
    assert "Valid" in html  # the API client's token, with its expiry
    assert admin.post(f"/admin/users/{uid}/tokens/revoke", page=f"/admin/users/{uid}").status_code == 302
    assert api.get("/api/v1/auth/me").status_code == 401
    assert "Revoked" in admin.html(f"/admin/users/{uid}")
    short = admin.post(f"/admin/users/{uid}/password", {"password": "x"}, page=f"/admin/users/{uid}")
    assert short.status_code == 422 and 'id="password-errors"' in text(short)
    assert (
        admin.post(
            f"/admin/users/{uid}/password", {"password": "brand-new-pass"}, page=f"/admin/users/{uid}"
        ).status_code
        == 302
    )
    assert page_login(app.test_client(), w.users["provider"].email, "brand-new-pass").status_code == 302


def test_reference_data_forms(world):
    admin = world.page("admin")
    assert (
        admin.post(
            "/admin/networks", {"code": "EUSCN", "name": "European"}, page="/admin/networks"
        ).status_code
        == 302
    )
    assert "EUSCN" in admin.html("/admin/networks")
    bad = admin.post("/admin/networks", {"code": "1", "name": ""}, page="/admin/networks")
    assert bad.status_code == 422 and 'id="code-errors"' in text(bad)
    assert (
        admin.post("/admin/topics", {"code": "triage", "name": "Triage"}, page="/admin/topics").status_code
        == 302
    )
    city = {
        "name": "Busan Test",
        "country": "kr",
        "network_id": str(world.network.id),
        "timezone": "Asia/Seoul",
        "delivery_address": "",
        "contact_name": "",
        "contact_email": "",
        "contact_phone": "",
    }
    assert admin.post("/admin/cities/new", city, page="/admin/cities/new").status_code == 302
    assert "Busan Test" in admin.html("/admin/cities?page=1") or "Busan Test" in admin.html(
        "/admin/cities?page=2"
    )
    bad = admin.post(
        "/admin/cities/new", city | {"name": "Other", "timezone": "Mars/Base"}, page="/admin/cities/new"
    )
    assert bad.status_code == 422 and 'id="timezone-errors"' in text(bad) and 'value="Mars/Base"' in text(bad)
    item = {
        "code": "VENT-ICU",
        "name": "ICU ventilator",
        "category": "respiratory",
        "unit": "each",
        "requires_training": "triage",
        "gtin": "",
        "description": "",
        "active": "y",
    }
    assert admin.post("/admin/items/new", item, page="/admin/items/new").status_code == 302
    html = admin.html("/admin/items?q=VENT")
    assert "VENT-ICU" in html
    item_id = re.search(r'/admin/items/(\d+)">VENT-ICU', html).group(1)
    changed = admin.post(f"/admin/items/{item_id}", item | {"unit": "box"}, page=f"/admin/items/{item_id}")
    assert changed.status_code == 302 and 'value="box"' in admin.html(f"/admin/items/{item_id}")
    provider = {
        "name": "Nordic Aid",
        "country": "no",
        "kind": "ngo",
        "contact_name": "",
        "contact_email": "",
        "contact_phone": "",
        "description": "",
        "network_ids": [str(world.network.id)],
    }
    assert admin.post("/admin/providers/new", provider, page="/admin/providers/new").status_code == 302
    html = admin.html("/admin/providers?page=1")
    pid = re.search(r'/admin/providers/(\d+)">Nordic Aid', html).group(1)
    location = {"name": "Oslo Depot", "country": "NO", "address": "Harbour 1", "active": "y"}
    assert (
        admin.post(
            f"/admin/providers/{pid}/locations/new", location, page=f"/admin/providers/{pid}/locations/new"
        ).status_code
        == 302
    )
    assert "Oslo Depot" in admin.html(f"/admin/providers/{pid}")


def test_the_profile_changes_name_language_and_password(app, world):
    w = world
    page = PageClient(app, w.users["coordinator"])
    api = w.api["coordinator"]
    assert api.get("/api/v1/auth/me").status_code == 200
    html = page.html("/profile")
    assert w.users["coordinator"].email in html and "Time zone" in html
    saved = page.post("/profile", {"name": "Mina Park", "locale": "ko"}, page="/profile")
    assert saved.status_code == 302
    html = page.html("/profile")
    assert "Mina Park" in html and "내 프로필" in html  # the pages now speak Korean
    other = PageClient(app, w.users["coordinator"])  # a second session of the same user
    wrong = page.post(
        "/profile/password", {"old_password": "nope", "new_password": "another-pass-1"}, page="/profile"
    )
    assert wrong.status_code == 422 and 'id="old_password-errors"' in text(wrong)
    right = page.post(
        "/profile/password", {"old_password": PASSWORD, "new_password": "another-pass-1"}, page="/profile"
    )
    assert right.status_code == 302
    assert page.get("/profile").status_code == 200  # this session carries on
    assert other.get("/profile").status_code == 302  # the other one has ended
    assert api.get("/api/v1/auth/me").status_code == 401


def test_the_profile_creates_shows_once_and_revokes_tokens(app, world):
    w = world
    page = w.page("city")
    response = page.post("/profile/tokens", {"token-name": "my laptop"}, page="/profile")
    assert response.status_code == 303 and response.headers["Location"] == "/profile"  # post/redirect/get
    shown = page.get("/profile")
    assert shown.headers["Cache-Control"] == "no-store"
    token = re.search(r'<code id="new-token">([^<]+)</code>', text(shown)).group(1)
    client = app.test_client()
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    html = page.html("/profile")  # a reload shows it no more, and issues no other
    assert "my laptop" in html and token not in html and html.count("my laptop") == 1
    token_id = re.search(r'id="token-(\d+)">\s*<td>my laptop', html).group(1)
    foreign = w.page("other_city").post(f"/profile/tokens/{token_id}/revoke", page="/profile")
    assert foreign.status_code == 404
    assert page.post(f"/profile/tokens/{token_id}/revoke", page="/profile").status_code == 302
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_the_admin_pages_in_korean(world):
    admin = world.page("admin")
    admin.post("/language", {"locale": "ko", "next": "/admin/"})
    html = admin.html("/admin/")
    assert "관리" in html and "사용자" in html
    assert csrf_token(html)
