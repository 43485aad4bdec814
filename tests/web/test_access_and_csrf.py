"""Every page declares who may open it, anonymous visitors are sent to log in, and every form POST
without a valid CSRF token is refused with 400: the lists come from the URL map, so a new page or
form is covered without editing this file.
"""

from __future__ import annotations

import re

import pytest

from tests.factories import PageClient, text

pytestmark = pytest.mark.usefixtures("shelves")

#: Pages anyone may open, on purpose.
PUBLIC = {"/", "/login", "/language", "/verify/<code>", "/healthz", "/static/<path:filename>", "/providers"}


def page_rules(app):
    """(rule, methods, allowed roles) of every page route (not the API, not static files)."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or rule.rule in PUBLIC:
            continue
        view = app.view_functions[rule.endpoint]
        found.append((rule.rule, rule.methods - {"HEAD", "OPTIONS"}, getattr(view, "allowed_roles", None)))
    return found


def concrete(rule: str) -> str:
    return re.sub(
        r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: "low_stock" if m.group(1) == "name" else "999999", rule
    )


def test_every_page_declares_its_roles(app):
    undeclared = [
        rule
        for rule, _methods, roles in page_rules(app)
        if roles is None and rule not in {"/logout", "/dashboard", "/portal/", "/portal/<name>.csv"}
    ]
    assert undeclared == []


def public_rules(app) -> set[str]:
    """Pages marked ``guards.public``: open to visitors on purpose."""
    return {
        rule.rule
        for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "public", False)
    }


def test_anonymous_visitors_are_sent_to_the_login_page(app, client):
    public = public_rules(app)
    for rule, methods, _roles in page_rules(app):
        if "GET" in methods and rule not in public:
            response = client.get(concrete(rule))
            assert response.status_code == 302 and "/login" in response.headers["Location"], rule


@pytest.mark.parametrize("role", ["city", "provider", "coordinator"])
def test_each_role_opens_its_pages_and_is_refused_the_others(app, world, role):
    page = world.page(role)
    for rule, methods, roles in page_rules(app):
        if "GET" not in methods or "<" in rule or roles is None:
            continue
        response = page.get(rule)
        if not roles or role in roles:
            assert response.status_code == 200, (rule, response.status_code)
        else:
            assert response.status_code == 403, (rule, response.status_code)


def test_every_form_post_without_a_valid_csrf_token_is_refused(app, world):
    admin = world.page("admin")
    posts = [rule for rule, methods, _roles in page_rules(app) if "POST" in methods]
    assert len(posts) >= 15
    for rule in posts + ["/login", "/language"]:
        path = concrete(rule)
        missing = admin.post(path, {"note": "x"}, token=False)
        assert missing.status_code == 400 and "CSRF" in text(missing), (rule, missing.status_code)
        forged = admin.post(path, {"csrf_token": "forged"}, token=False)
        assert forged.status_code == 400, rule


def test_a_valid_token_of_another_session_is_refused(app, world):
    other = PageClient(app, world.users["coordinator"])
    token = other.token()
    response = world.page("admin").post("/requests/1/approve", {"csrf_token": token}, token=False)
    assert response.status_code == 400
