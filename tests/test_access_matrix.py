"""A role × endpoint matrix generated from the URL map: every API endpoint declares who may call it.

A new endpoint without ``roles_required`` or ``public`` (and not in PUBLIC) fails this suite. For each
declared rule, anonymous callers get 401, roles outside the rule 403, and roles inside it never
401/403/500; a ``public`` read answers everyone, anonymous callers included, never 401/403/500.
"""

import re

import pytest

ROLES = ["city", "provider", "coordinator", "admin"]
#: Endpoints that answer without a token, on purpose.
PUBLIC = {
    ("POST", "/api/v1/auth/tokens"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/docs"),
    ("GET", "/api/v1/docs/assets/<path:filename>"),
    ("GET", "/api/v1/documents/verify/<code>"),
    ("GET", "/api/v1/documents/verify/<string:code>"),
}


def api_operations(app):
    """(method, rule, allowed roles or None) for every API route and method."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            handler = getattr(getattr(view, "view_class", None), method.lower(), view)
            roles = "public" if getattr(handler, "public", False) else getattr(handler, "allowed_roles", None)
            found.append((method, rule.rule, roles))
    return found


def _concrete(rule: str) -> str:
    return re.sub(
        r"<(?:[a-z]+:)?([a-z_]+)>",
        lambda m: (
            "ABCDEFGH" if "code" in m.group(1) or "path" in m.group(1) or "name" in m.group(1) else "999999"
        ),
        rule,
    )


def test_every_api_endpoint_declares_its_roles(app):
    undeclared = [(m, r) for m, r, roles in api_operations(app) if roles is None and (m, r) not in PUBLIC]
    assert undeclared == [], f"endpoints without roles_required: {undeclared}"


@pytest.mark.parametrize("role", [None, *ROLES])
def test_the_declared_rules_hold_for_each_role(app, make, anonymous, role):
    api = anonymous if role is None else make.api(role)
    failures = []
    for method, rule, allowed in api_operations(app):
        if allowed is None:
            continue
        path = _concrete(rule)
        response = api.get(path) if method == "GET" else getattr(api, method.lower())(path, json={})
        code = response.status_code
        if allowed == "public":
            ok = code not in (401, 403) and code < 500
        elif role is None:
            ok = code == 401
        elif role in allowed:
            ok = code not in (401, 403) and code < 500
        else:
            ok = code == 403
        if not ok:
            failures.append((method, path, code))
    assert failures == []
