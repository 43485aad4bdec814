"""How a request is tied to a user: a login session for pages, a bearer token for the API."""

from __future__ import annotations

from flask import g, request
from flask_babel import lazy_gettext as _l

from health_responder import db as db_module
from health_responder.auth import services
from health_responder.auth.models import User
from health_responder.extensions import db, login_manager

login_manager.login_view = "web.login"
login_manager.login_message = _l("Please log in to see this page.")
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    """The user a page session names, checked on every request: the cookie's generation must be current.

    The cookie is signed, not stored: logout, a password change or a deactivation bumps the user's
    generation, and every cookie naming an older one stops opening pages.
    """
    user_id, _, generation = session_id.partition(".")
    try:
        user = db.session.get(User, int(user_id))
        generation = int(generation)
    except ValueError:
        return None
    if user is None or not user.active or user.session_generation != generation:
        return None
    return user


def api_user() -> User | None:
    """The user of a bearer token on this request (cached on ``g``); None when absent or invalid."""
    if "api_user" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        g.api_user = _read_token(token.strip()) if scheme.lower() == "bearer" and token else None
    return g.api_user


def _read_token(token: str) -> User | None:
    """Look the token up as a plain read; on SQLite, then end that read.

    On SQLite a write request's transactions begin IMMEDIATE; reading the token inside one would take
    the write lock before the view even parses its input, and every writer would queue behind it. The
    view's own work begins a new transaction (objects stay loaded: the session does not expire on commit).
    On PostgreSQL the view's work goes on in the same transaction: a read takes no lock a writer waits
    for, and ending it would cost a COMMIT, a second checkout from the pool and its ping.
    """
    previous = db_module._write_intent.get()
    db_module.set_write_intent(False)
    try:
        return services.user_for_token(token)
    finally:
        if db.dialect == "sqlite":
            db.session.commit()
        db_module.set_write_intent(previous)
