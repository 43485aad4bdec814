"""Domain errors and the one handler that turns every error into the JSON envelope or an HTML page.

Services raise these; routes never build error responses themselves. Under ``/api/`` every error is
``{"code", "status", "message", "errors"}``; elsewhere it is a friendly page. No stack trace, SQL or
exception text ever leaves: unexpected errors are logged with the request id and answered 500.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from flask import Flask, Response, jsonify, render_template, request
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class DomainError(Exception):
    """Base of the errors a service raises on purpose; ``code`` is the HTTP status it answers."""

    code = 400

    def __init__(self, message: str, errors: dict | None = None, headers: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        self.headers = headers or {}


class Unauthorized(DomainError):
    """No valid credentials: missing, unknown, expired or revoked token; not logged in."""

    code = 401


class Forbidden(DomainError):
    """Logged in, but the role may not do this (never used for another tenant's records: see NotFound)."""

    code = 403


class NotFound(DomainError):
    """No such record, or one the caller may not see (another tenant's record looks like no record)."""

    code = 404


class Conflict(DomainError):
    """The request is valid but clashes with the current data: a duplicate, a race lost, a state."""

    code = 409


class Duplicate(Conflict):
    """A record with the same unique value already exists (email, item code, city name …)."""


class InvalidTransition(Conflict):
    """The record's current state does not allow this transition; the message names both states."""

    def __init__(self, thing: str, current: str, target: str, action: str | None = None) -> None:
        verb = action or target
        super().__init__(
            f"Cannot {verb} a {thing} that is {current} (the {thing} would become {target}).",
            errors={"status": [f"{current} -> {target} is not allowed"]},
        )
        self.current = current
        self.target = target


class InsufficientStock(Conflict):
    """Not enough available stock left in the lot for the asked quantity."""


class ValidationFailed(DomainError):
    """Input that parses but breaks a rule; ``errors`` maps each field to its messages."""

    code = 422


class TooManyRequests(DomainError):
    """Too many failed attempts from this account or address; try again later."""

    code = 429


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz" or request.is_json


def envelope(code: int, message: str, errors: dict | None = None, headers: dict | None = None) -> Response:
    """The JSON error body every API error shares."""
    body = {"code": code, "status": HTTPStatus(code).phrase, "message": message, "errors": errors or {}}
    response = jsonify(body)
    response.status_code = code
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _page(code: int, message: str, errors: dict | None = None) -> tuple[str, int]:
    return render_template("error.html", code=code, status=HTTPStatus(code).phrase, message=message,
                           errors=errors or {}), code


def _respond(code: int, message: str, errors: dict | None = None, headers: dict | None = None):
    if _wants_json():
        return envelope(code, message, errors, headers)
    body, status = _page(code, message, errors)
    return body, status, headers or {}


def _flatten_webargs(messages: dict) -> dict:
    """webargs nests messages by location ({"json": {...}, "query": {...}}); clients want fields."""
    flat: dict = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            flat.update(fields)
        else:
            flat[location] = fields
    return flat


_HTTP_MESSAGES = {
    400: "The request could not be understood: check its syntax and encoding.",
    401: "Authentication is required: send 'Authorization: Bearer <token>'.",
    403: "You are not allowed to do this.",
    404: "No such resource.",
    405: "This method is not allowed on this resource.",
    413: "The request body is too large.",
    415: "Send the body as application/json.",
    422: "The input is not valid: see errors for each field.",
    429: "Too many attempts: wait a minute and try again.",
}


def handle_http_exception(error: HTTPException):
    """Werkzeug and flask-smorest errors (routing, 405, 413, webargs 422) in our shape."""
    code = error.code or 500
    errors: dict = {}
    message = _HTTP_MESSAGES.get(code, error.description or HTTPStatus(code).phrase)
    data = getattr(error, "data", None) or {}
    if "messages" in data:
        errors = _flatten_webargs(data["messages"])
        if code == 400 or code == 422:
            message = _HTTP_MESSAGES[422] if errors else message
    elif data.get("message"):
        message = data["message"]
    if code == 400 and getattr(error, "description", "").startswith("The CSRF"):
        message = "The form has expired or is missing its CSRF token: reload the page and try again."
    if code == 400 and ("Failed to decode JSON" in (error.description or "") or "json" in errors):
        message = "The body is not valid JSON."
    headers = dict(data.get("headers") or {})
    if code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    return _respond(code, message, errors, headers)


def handle_domain_error(error: DomainError):
    """Our own errors carry their status, message and field errors."""
    from health_responder.extensions import db

    db.session.rollback()
    return _respond(error.code, error.message, error.errors, error.headers)


def handle_integrity_error(error: IntegrityError):
    """A constraint the database enforced: a duplicate or a balance rule; the transaction is undone."""
    from health_responder.extensions import db

    db.session.rollback()
    log.info("integrity error answered 409: %s", error.orig.__class__.__name__)
    return _respond(409, "The change conflicts with existing data (a duplicate or a stock rule).")


def handle_out_of_range(error: Exception):
    """A number too large for the database column (a fuzzer's favourite): bad input, nothing written."""
    from health_responder.extensions import db

    db.session.rollback()
    return _respond(422, "A value is out of range (too large, too long or malformed for its field).",
                    {"value": ["Out of range."]})


def handle_operational_error(error: OperationalError):
    """The database is busy or unreachable: nothing was written, the client may retry."""
    from health_responder.extensions import db

    db.session.rollback()
    log.exception("database operational error")
    return _respond(503, "The database is busy; nothing was changed. Please retry.", headers={"Retry-After": "1"})


def handle_unexpected(error: Exception):
    """Anything else is our bug: log it whole, tell the client nothing about it."""
    from health_responder.extensions import db

    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the original error matters more
        log.exception("rollback failed")
    log.exception("unhandled error")
    return _respond(500, "Something went wrong on our side; it has been logged.")


def register_error_handlers(app: Flask) -> None:
    """Register the handlers on the app, so every blueprint and page shares them."""
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(OperationalError, handle_operational_error)
    app.register_error_handler(DataError, handle_out_of_range)
    app.register_error_handler(OverflowError, handle_out_of_range)
    app.register_error_handler(Exception, handle_unexpected)
