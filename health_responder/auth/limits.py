"""Failed logins are limited per account and per address; successful ones are never counted."""

from __future__ import annotations

from flask import current_app, request

from health_responder.extensions import limiter


def _account_key() -> str:
    data = request.get_json(silent=True) if request.is_json else request.form
    email = (data or {}).get("email", "") if hasattr(data, "get") else ""
    return "login-account:" + (str(email).strip().lower()[:254] or "-")


def _address_key() -> str:
    return "login-address:" + (request.remote_addr or "-")


def _failed(response) -> bool:
    # The API answers 401 to a wrong password; the login page re-renders with 200 and a flag.
    return response.status_code == 401 or response.headers.get("X-Login-Failed") == "1"


def _limit() -> str:
    return current_app.config["LOGIN_FAILURE_LIMIT"]


def limit_failed_logins(view):
    """Apply both limits to a login view; only failed attempts count."""
    view = limiter.limit(_limit, key_func=_account_key, deduct_when=_failed, override_defaults=False)(view)
    return limiter.limit(_limit, key_func=_address_key, deduct_when=_failed, override_defaults=False)(view)
