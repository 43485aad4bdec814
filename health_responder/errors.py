"""Domain errors and the one handler that turns every error into the JSON envelope or an HTML page.

Services raise these; routes never build error responses themselves. Under ``/api/`` every error is
``{"code", "status", "message", "errors"}``; elsewhere it is a friendly page. No stack trace, SQL or
exception text ever leaves: unexpected errors are logged with the request id and answered 500.

Messages are written where they are raised, in English, as lazy strings (``lazy_gettext`` with named
placeholders), so each is put into words only when it is shown: in the page's language on a page, in
English in the JSON API (whatever ``Accept-Language`` says), in logs, job runs and the command line.
``plain`` turns them into text at those boundaries; nothing stored in the database is ever lazy.
"""

from __future__ import annotations

import errno
import json
import logging
from http import HTTPStatus

from flask import Flask, Response, has_request_context, jsonify, render_template, request
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from werkzeug.exceptions import BadRequest, HTTPException

from health_responder.labels import label

log = logging.getLogger(__name__)

#: The language every message is written in (the msgids), and the one the JSON API always answers in.
SOURCE_LANGUAGE = "en"

#: A message: plain text, or a lazy string put into words in the current language when shown.
Message = str | LazyString


def plain(value):
    """``value`` with every lazy message turned into text of the current language (dicts and lists deeply)."""
    if isinstance(value, LazyString):
        return str(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def _code_text(code: str) -> str:
    locale = get_locale()
    if locale is None or locale.language == SOURCE_LANGUAGE:
        return code
    return label(code)


def code_label(code) -> LazyString:
    """A code (a state, a role …) named in a message: itself in English, as the API documents it, else its label."""
    return LazyString(_code_text, str(code))


def _choices_text(codes: tuple[str, ...]) -> str:
    if not has_request_context() or _wants_json():
        return ", ".join(codes)
    return ", ".join(str(label(code)) for code in codes)


def choices_label(codes) -> LazyString:
    """The values a field takes, named in a message: the codes the JSON API takes, under ``/api/``; on a
    page, their labels in the page's language, as its select shows them ("Damaged, Wrong item …").
    """
    return LazyString(_choices_text, tuple(str(code) for code in codes))


class DomainError(Exception):
    """Base of the errors a service raises on purpose; ``code`` is the HTTP status it answers."""

    code = 400

    def __init__(self, message: Message, errors: dict | None = None, headers: dict | None = None) -> None:
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
    """The record's current state does not allow this transition; the message names both states.

    ``thing`` ("request") and ``action`` ("approve") are lazy strings of the caller's words.
    """

    def __init__(self, thing: Message, current: str, target: str, action: Message | None = None) -> None:
        verb = action or code_label(target)
        super().__init__(
            _l(
                "Cannot %(verb)s a %(thing)s that is %(current)s (the %(thing)s would become %(target)s).",
                verb=verb,
                thing=thing,
                current=code_label(current),
                target=code_label(target),
            ),
            errors={
                "status": [
                    _l(
                        "%(current)s -> %(target)s is not allowed",
                        current=code_label(current),
                        target=code_label(target),
                    )
                ]
            },
        )
        self.current = current
        self.target = target


class InsufficientStock(Conflict):
    """Not enough available stock left in the lot for the asked quantity."""


class ValidationFailed(DomainError):
    """Input that parses but breaks a rule; ``errors`` maps each field to its messages."""

    code = 422


class QuotaExceeded(DomainError):
    """An upload would take its owner past a storage quota (MATERIALS_QUOTA_MB): nothing was kept."""

    code = 413


class InsufficientStorage(DomainError):
    """The disk that keeps files (REPORTS_DIR, MATERIALS_DIR) is full: nothing was written or registered."""

    code = 507


class TooManyRequests(DomainError):
    """Too many failed attempts from this account or address; try again later."""

    code = 429


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz" or request.is_json


def envelope(
    code: int, message: Message, errors: dict | None = None, headers: dict | None = None
) -> Response:
    """The JSON error body every API error shares, always in English (the API's one language)."""
    with force_locale(SOURCE_LANGUAGE):
        body = {
            "code": code,
            "status": HTTPStatus(code).phrase,
            "message": plain(message),
            "errors": plain(errors or {}),
        }
    response = jsonify(body)
    response.status_code = code
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _page(code: int, message: Message, errors: dict | None = None) -> tuple[str, int]:
    # Text, not lazy strings: a lazy string's __html__ would skip the escaping of the names it quotes.
    return render_template(
        "error.html",
        code=code,
        status=HTTPStatus(code).phrase,
        message=plain(message),
        errors=plain(errors or {}),
    ), code


def _respond(code: int, message: Message, errors: dict | None = None, headers: dict | None = None):
    if _wants_json():
        return envelope(code, message, errors, headers)
    body, status = _page(code, message, errors)
    return body, status, headers or {}


def _by_field(messages: dict) -> dict:
    """webargs nests messages by location ({"json": {...}, "query": {...}}); clients want fields."""
    flat: dict = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            flat.update(fields)
        else:
            flat[location] = fields
    return flat


_HTTP_MESSAGES = {
    400: _l("The request could not be understood: check its syntax and encoding."),
    401: _l("Authentication is required: send 'Authorization: Bearer <token>'."),
    403: _l("You are not allowed to do this."),
    404: _l("No such resource."),
    405: _l("This method is not allowed on this resource."),
    413: _l("The request body is too large."),
    415: _l("Send the body as application/json."),
    422: _l("The input is not valid: see errors for each field."),
    429: _l("Too many attempts: wait a minute and try again."),
}


def handle_http_exception(error: HTTPException):
    """Werkzeug and flask-smorest errors (routing, 405, 413, webargs 422) in our shape."""
    code = error.code or 500
    errors: dict = {}
    message = _HTTP_MESSAGES.get(code, error.description or HTTPStatus(code).phrase)
    data = getattr(error, "data", None) or {}
    if "messages" in data:
        errors = _by_field(data["messages"])
        if code == 400 or code == 422:
            message = _HTTP_MESSAGES[422] if errors else message
    elif data.get("message"):
        message = data["message"]
    if code == 400 and getattr(error, "description", "").startswith("The CSRF"):
        message = _l("The form has expired or is missing its CSRF token: reload the page and try again.")
    if code == 400 and ("Failed to decode JSON" in (error.description or "") or "json" in errors):
        message = _l("The body is not valid JSON.")
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
    return _respond(409, _l("The change conflicts with existing data (a duplicate or a stock rule)."))


def handle_out_of_range(error: Exception):
    """A number too large for the database column (a fuzzer's favourite): bad input, nothing written."""
    from health_responder.extensions import db

    db.session.rollback()
    return _respond(
        422,
        _l("A value is out of range (too large, too long or malformed for its field)."),
        {"value": [_l("Out of range.")]},
    )


def handle_operational_error(error: OperationalError):
    """The database is busy or unreachable: nothing was written, the client may retry."""
    from health_responder.extensions import db

    db.session.rollback()
    log.exception("database operational error")
    return _respond(
        503, _l("The database is busy; nothing was changed. Please retry."), headers={"Retry-After": "1"}
    )


#: The errno values of a full disk or an exhausted disk quota.
NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})


def no_space(error: OSError | None = None, errors: dict | None = None) -> InsufficientStorage:
    """The 507 a full disk answers (``error``: the OSError it came from, kept as the cause)."""
    found = InsufficientStorage(
        _l(
            "The server has no disk space left to store the file; nothing was saved. Try again later, "
            "and tell the administrator if it persists."
        ),
        errors,
    )
    found.__cause__ = error
    return found


def handle_os_error(error: OSError):
    """A full disk that no service turned into InsufficientStorage still answers 507, never a bare 500."""
    if error.errno in NO_SPACE:
        log.error("no space left on a device: %s", error)
        return handle_domain_error(no_space(error))
    return handle_unexpected(error)


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
    return _respond(500, _l("Something went wrong on our side; it has been logged."))


def refuse_unparsable_json() -> None:
    """A JSON body Python's parser cannot take (nesting deep enough to exhaust the stack, an integer
    over the 4,300-digit conversion limit) answers 400 like any malformed body, on every route, before
    a view's parser meets it as a RecursionError or a bare ValueError (500).
    """
    if not request.is_json or not request.content_length and not request.headers.get("Transfer-Encoding"):
        return
    try:
        json.loads(request.get_data(cache=True))
    except (RecursionError, ValueError) as error:
        raise BadRequest("Failed to decode JSON object: the body is not valid JSON.") from error


def register_error_handlers(app: Flask) -> None:
    """Register the handlers on the app, so every blueprint and page shares them."""
    app.before_request(refuse_unparsable_json)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(OperationalError, handle_operational_error)
    app.register_error_handler(DataError, handle_out_of_range)
    app.register_error_handler(OverflowError, handle_out_of_range)
    app.register_error_handler(OSError, handle_os_error)
    app.register_error_handler(Exception, handle_unexpected)
