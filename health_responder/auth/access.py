"""The ``roles_required`` decorator for API views, and the tenant rule helpers."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import g
from flask_babel import lazy_gettext as _l

from health_responder.auth.models import STAFF as STAFF  # the one definition, re-exported for role checks
from health_responder.auth.models import Role, User
from health_responder.errors import Forbidden, Unauthorized, code_label

ALL_ROLES = tuple(Role)


def roles_required(*roles: str) -> Callable:
    """Require a valid bearer token whose user has one of ``roles`` (401 without, 403 with another role).

    The view reads the user from ``g.user``. The roles are also recorded on the view for the
    role × endpoint tests and the OpenAPI description.
    """
    allowed = frozenset(roles or ALL_ROLES)

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            from health_responder.auth.sessions import api_user

            user = api_user()
            if user is None:
                raise Unauthorized(
                    _l("A valid bearer token is required: send 'Authorization: Bearer <token>'."),
                    headers={"WWW-Authenticate": 'Bearer realm="api"'},
                )
            if user.role not in allowed:
                raise Forbidden(
                    _l(
                        "Your role (%(role)s) may not do this; it needs one of: %(roles)s.",
                        role=code_label(user.role),
                        roles=", ".join(sorted(allowed)),
                    )
                )
            g.user = user
            return view(*args, **kwargs)

        wrapper.allowed_roles = allowed
        # Document the bearer requirement and the auth errors in OpenAPI (flask-smorest reads _apidoc).
        apidoc = dict(getattr(view, "_apidoc", {}))
        manual = dict(apidoc.get("manual_doc", {}))
        manual["security"] = [{"bearerAuth": []}]
        responses = dict(manual.get("responses", {}))
        responses.setdefault("401", {"$ref": "#/components/responses/Error"})
        responses.setdefault("403", {"$ref": "#/components/responses/Error"})
        manual["responses"] = responses
        apidoc["manual_doc"] = manual
        wrapper._apidoc = apidoc
        return wrapper

    return decorate


def require_role(user: User, *roles: str) -> None:
    """Raise Forbidden unless ``user`` has one of ``roles`` (services call this)."""
    if user.role not in roles:
        raise Forbidden(
            _l(
                "Your role (%(role)s) may not do this; it needs one of: %(roles)s.",
                role=code_label(user.role),
                roles=", ".join(sorted(roles)),
            )
        )


def public(view: Callable) -> Callable:
    """A read open to everyone: ``g.user`` is the bearer token's user, or None without a token.

    A token that is sent but not valid is still a 401: a client with an expired token learns it
    instead of silently seeing the public answer.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        from flask import request

        from health_responder.auth.sessions import api_user

        user = api_user()
        if user is None and request.headers.get("Authorization"):
            raise Unauthorized(
                _l("The bearer token is not valid; send a valid one, or none for the public answer."),
                headers={"WWW-Authenticate": 'Bearer realm="api"'},
            )
        g.user = user
        return view(*args, **kwargs)

    wrapper.allowed_roles = frozenset()
    wrapper.public = True
    return wrapper
