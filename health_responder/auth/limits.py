"""Failed logins, counted in the database per account and address together, for page and API alike.

Every gunicorn worker on every host shares the database, so the count is one without an extra
service (as django-axes does). The key is the account *and* the address: an attacker elsewhere can
spend their own allowance on an account without locking its owner out. A second, larger limit per
address across accounts stops one address from spraying many accounts. A successful login clears its
pair's count; successful calls are never counted. Behind a reverse proxy the address is the client's
only when ``PROXY_FIX_X_FOR`` tells werkzeug's ProxyFix how many proxies to trust.
"""

from __future__ import annotations

import functools
import math
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, request
from flask_babel import lazy_gettext as _l

from health_responder.auth.models import LoginFailure
from health_responder.db import utcnow
from health_responder.errors import TooManyRequests, Unauthorized
from health_responder.extensions import db


def _account() -> str:
    data = request.get_json(silent=True) if request.is_json else request.form
    email = data.get("email", "") if isinstance(data, dict) or hasattr(data, "getlist") else ""
    return str(email or "").strip().lower()[:254] or "-"


def _address() -> str:
    return (request.remote_addr or "-")[:64]


def _refuse_when_over(account: str, address: str) -> None:
    config = current_app.config
    window = config["LOGIN_FAILURE_WINDOW_SECONDS"]
    since = utcnow() - timedelta(seconds=window)
    recent = sa.select(sa.func.count()).where(LoginFailure.address == address, LoginFailure.failed_at > since)
    with db.read_session() as session:
        pair = session.scalar(recent.where(LoginFailure.account == account))
        everywhere = session.scalar(recent) if pair < config["LOGIN_FAILURE_LIMIT"] else 0
    if pair >= config["LOGIN_FAILURE_LIMIT"] or everywhere >= config["LOGIN_ADDRESS_FAILURE_LIMIT"]:
        minutes = max(1, math.ceil(window / 60))
        raise TooManyRequests(
            _l("Too many failed logins: try again in %(minutes)s minutes.", minutes=minutes),
            headers={"Retry-After": str(window)},
        )


def _record(account: str, address: str, *, failed: bool) -> None:
    """Count a failure (and drop counts past the window), or clear the pair's count after a success."""
    with db.write_session() as session:
        if failed:
            cutoff = utcnow() - timedelta(seconds=current_app.config["LOGIN_FAILURE_WINDOW_SECONDS"])
            session.execute(sa.delete(LoginFailure).where(LoginFailure.failed_at <= cutoff))
            session.add(LoginFailure(account=account, address=address, failed_at=utcnow()))
        else:
            session.execute(
                sa.delete(LoginFailure).where(
                    LoginFailure.account == account, LoginFailure.address == address
                )
            )


def limit_failed_logins(view):
    """Refuse a login POST (429) once its account and address have failed too often; count its outcome.

    A failure is the API's 401 (raised as ``Unauthorized``) or the page's answer flagged
    ``X-Login-Failed``; a success is a 2xx/3xx answer.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if request.method != "POST":
            return view(*args, **kwargs)
        account, address = _account(), _address()
        _refuse_when_over(account, address)
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except Unauthorized:
            db.session.rollback()
            _record(account, address, failed=True)
            raise
        if response.headers.get("X-Login-Failed") == "1":
            _record(account, address, failed=True)
        elif response.status_code < 400:
            _record(account, address, failed=False)
        return response

    return wrapper
