"""Structured logs: a JSON formatter and the filter that stamps ``request_id`` and ``user_id`` on every record.

The filter sits on the handlers, not on a logger, because a logger's filters see only the records logged
on that logger itself; a handler's see every record that reaches it, whichever module logged it.
"""

from __future__ import annotations

import json
import logging

from flask import g, has_request_context

#: Attributes of a record that the JSON formatter copies into the entry when present.
ENTRY_FIELDS = ("request_id", "user_id", "method", "path", "status", "duration_ms")


class RequestContextFilter(logging.Filter):
    """Stamp ``request_id`` and ``user_id`` on every record (``None`` outside a request or before login)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the two attributes (keeping values a caller passed in ``extra``) and let the record through."""
        if getattr(record, "request_id", None) is None:
            record.request_id = g.get("request_id") if has_request_context() else None
        if getattr(record, "user_id", None) is None:
            record.user_id = current_user_id()
        return True


def current_user_id() -> int | None:
    """The id of the user this request acts for, when one is already known; never loads one.

    Reading ``flask_login.current_user`` here would load the user from the database from inside a
    log call, so only users the request has already loaded count: the API's ``g.user``, the login
    session's ``g._login_user``.
    """
    if not has_request_context():
        return None
    for user in (g.get("user"), g.get("_login_user")):
        user_id = getattr(user, "id", None)
        if user_id is not None and getattr(user, "is_authenticated", True):
            return user_id
    return None


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the request fields, the exception."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ENTRY_FIELDS:
            if getattr(record, key, None) is not None:
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def install(handler: logging.Handler) -> logging.Handler:
    """Give ``handler`` the request-context filter, once."""
    if not any(isinstance(existing, RequestContextFilter) for existing in handler.filters):
        handler.addFilter(RequestContextFilter())
    return handler
