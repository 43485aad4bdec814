"""Who may open a page: a logged-in user of the right role (others: the login page, or 403)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from health_responder.auth.models import STAFF as STAFF  # the one definition, re-exported for pages
from health_responder.auth.models import User
from health_responder.errors import Forbidden
from health_responder.web import stash


def roles(*allowed: str) -> Callable:
    """Require a login session (else the login page) of one of ``allowed`` (else 403); none: any role."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                # A form sent after the session ended comes back filled once its user signs in again.
                refused = stash.refused_post() if request.method == "POST" else None
                return refused or current_app.login_manager.unauthorized()
            if allowed and current_user.role not in allowed:
                raise Forbidden(_l("Your role may not open this page."))
            return view(*args, **kwargs)

        wrapper.allowed_roles = frozenset(allowed)
        return wrapper

    return decorate


def me() -> User:
    """The logged-in user itself (not the proxy), as the services expect it."""
    return current_user._get_current_object()


def is_staff() -> bool:
    """Coordinators and admins see every tenant."""
    return current_user.is_authenticated and current_user.role in STAFF


def public(view: Callable) -> Callable:
    """A page anyone may open, logged in or not (the Data Portal, the Knowledge Hub, the directory).

    Marked so that the access tests know it is open on purpose; what it shows a visitor is the
    page's own business (aggregates, never a tenant's records).
    """
    view.allowed_roles = frozenset()
    view.public = True
    return view


def member() -> User | None:
    """The logged-in user, or None for a visitor."""
    return current_user._get_current_object() if current_user.is_authenticated else None
