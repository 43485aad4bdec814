"""``Idempotency-Key`` for creating POSTs: a retry replays the first answer and creates nothing.

Put ``@idempotent`` right under ``@roles_required(...)`` (so it runs after authentication, keys are
scoped to the user) and above ``@blp.arguments``/``@blp.response``::

    @roles_required(Role.CITY, *STAFF)
    @idempotent
    @blp.arguments(RequestCreateSchema)
    @blp.response(201, RequestSchema)
    def post(self, data): ...

How a call with a key goes:

1. In its own short committed transaction the key row is claimed (unique per user and key), before the
   work starts. A concurrent duplicate therefore finds the row and answers 409 "still in flight"; a
   retry after the first answer finds the stored status and body and replays them with the header
   ``Idempotent-Replayed: true``; the same key with another body (or on another endpoint) answers 422.
2. The view does its work and commits as usual. Every commit of the request's session also stamps
   ``committed_at`` on the key row, in that same transaction: the key says whether the work committed.
3. A 2xx answer is stored on the key row (again its own transaction). A 4xx/5xx answer or an error
   deletes the row, so the client may fix the body or simply retry.

Keys live ``IDEMPOTENCY_TTL_HOURS``; a user's expired keys are purged when that user claims a new one.

A worker killed mid-request leaves its key in flight. If its work never committed (no
``committed_at``), the key is released once it is ``IDEMPOTENCY_IN_FLIGHT_SECONDS`` old (a minute) and
the retry proceeds. Should the first request still be alive after all and reach its commit, the stamp
finds its key row gone and refuses that commit (409), so the work is still done once. If the work did
commit but the answer was lost, the key is never released: the client gets 409 saying so, rather than
a second copy of what was created.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import json
import logging
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from flask import Response, current_app, g, request
from flask_babel import lazy_gettext as _l

from health_responder.api.models import IdempotencyKey
from health_responder.db import AppSession, _write_intent, utcnow
from health_responder.errors import Conflict, ValidationFailed
from health_responder.extensions import db

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 200
KEYS = IdempotencyKey.__table__
log = logging.getLogger(__name__)

#: The id of the key row the request in this context holds while its view runs.
_holding: contextvars.ContextVar[int | None] = contextvars.ContextVar("idempotency_key_held", default=None)


def _in_flight() -> Conflict:
    return Conflict(
        _l("A request with this Idempotency-Key is still in flight; retry in a moment."),
        {HEADER: [_l("Still in flight.")]},
        headers={"Retry-After": "1"},
    )


@sa.event.listens_for(AppSession, "before_commit")
def _stamp_committed(session) -> None:
    """Stamp the held key in the transaction that commits the request's work; refuse the commit when the
    key was released meanwhile (the request was taken for dead and a retry holds the key now).
    """
    key_id = _holding.get()
    if key_id is None:
        return
    stamped = session.execute(
        sa.update(KEYS).where(KEYS.c.id == key_id, KEYS.c.status_code.is_(None)).values(committed_at=utcnow())
    ).rowcount
    if stamped != 1:
        raise Conflict(
            _l(
                "This request took so long that its Idempotency-Key was released to a retry; "
                "nothing was changed by it."
            ),
            {HEADER: [_l("Released to a retry.")]},
        )


def body_hash() -> str:
    """SHA-256 of the request body as canonical JSON (sorted keys, no spaces), or of its raw bytes."""
    payload = request.get_json(silent=True)
    if payload is None:
        raw = request.get_data(cache=True)
    else:
        raw = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(raw).hexdigest()


@contextlib.contextmanager
def _own_transaction():
    """A connection of its own whose transaction writes (BEGIN IMMEDIATE on SQLite) and commits at the end."""
    token = _write_intent.set(True)
    try:
        with db.engine.begin() as conn:
            yield conn
    finally:
        _write_intent.reset(token)


def _claim(*, user_id: int, key: str, endpoint: str, digest: str) -> dict | int:
    """Insert the key row and return its id, or return the row that already holds the key.

    A row still in flight whose request never committed and that is older than
    ``IDEMPOTENCY_IN_FLIGHT_SECONDS`` is released first: its worker died (see the module docstring).
    """
    now = utcnow()
    cutoff = now - timedelta(hours=current_app.config["IDEMPOTENCY_TTL_HOURS"])
    stale = now - timedelta(seconds=current_app.config["IDEMPOTENCY_IN_FLIGHT_SECONDS"])
    mine = (KEYS.c.user_id == user_id, KEYS.c.key == key)
    for _attempt in range(3):
        try:
            with _own_transaction() as conn:
                conn.execute(sa.delete(KEYS).where(KEYS.c.user_id == user_id, KEYS.c.created_at < cutoff))
                # Conditional: on PostgreSQL a first request committing right now holds the row, and the
                # delete re-reads it after that commit (then stamped: not released).
                released = conn.execute(
                    sa.delete(KEYS).where(
                        *mine,
                        KEYS.c.status_code.is_(None),
                        KEYS.c.committed_at.is_(None),
                        KEYS.c.created_at < stale,
                    )
                ).rowcount
                if released:
                    log.warning("idempotency key of user %s released: its request never committed", user_id)
                existing = conn.execute(sa.select(KEYS).where(*mine)).mappings().first()
                if existing is not None:
                    return dict(existing)
                inserted = conn.execute(
                    sa.insert(KEYS).values(
                        user_id=user_id, key=key, endpoint=endpoint, body_hash=digest, created_at=now
                    )
                )
                return inserted.inserted_primary_key[0]
        except sa.exc.IntegrityError:
            continue  # a concurrent first call inserted it meanwhile: read it on the next attempt
    raise _in_flight()


def _finish(*, key_id: int, response: Response | None) -> None:
    """Store a success on the key row, or delete the row so that the client may retry."""
    with _own_transaction() as conn:
        if response is not None and response.status_code < 400:
            conn.execute(
                sa.update(KEYS)
                .where(KEYS.c.id == key_id)
                .values(status_code=response.status_code, response_body=response.get_data(as_text=True))
            )
        else:
            conn.execute(sa.delete(KEYS).where(KEYS.c.id == key_id))


def _replay(row: dict, *, endpoint: str, digest: str) -> Response:
    if row["endpoint"] != endpoint or row["body_hash"] != digest:
        raise ValidationFailed(
            _l("This Idempotency-Key was already used with another request body or endpoint: use a new key."),
            {HEADER: [_l("Already used for a different request.")]},
        )
    if row["status_code"] is None:
        stale = utcnow() - timedelta(seconds=current_app.config["IDEMPOTENCY_IN_FLIGHT_SECONDS"])
        if row["committed_at"] is not None and row["committed_at"] < stale:
            raise Conflict(
                _l(
                    "The request with this Idempotency-Key was carried out, but its answer was lost: "
                    "do not send it again; look up what it created."
                ),
                {HEADER: [_l("Carried out; the answer was lost.")]},
            )
        raise _in_flight()
    response = current_app.response_class(
        row["response_body"] or "", status=row["status_code"], mimetype="application/json"
    )
    response.headers[REPLAYED_HEADER] = "true"
    return response


def idempotent(view: Callable) -> Callable:
    """Make a creating POST safe to retry with an ``Idempotency-Key`` header (see the module docstring)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        # The authentication read has ended already on SQLite (auth.sessions._read_token), so no write
        # turn is held while the key is claimed or the body parsed; on PostgreSQL it holds no lock the
        # claim (its own connection) waits for, and the view's work goes on in its transaction.
        if key is None:
            return view(*args, **kwargs)
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise ValidationFailed(
                _l("The Idempotency-Key header is not valid."),
                {HEADER: [_l("1 to %(n)s printable characters.", n=MAX_KEY_LENGTH)]},
            )
        user_id = g.user.id
        endpoint = f"{request.method} {request.path}"[:300]
        digest = body_hash()
        claimed = _claim(user_id=user_id, key=key, endpoint=endpoint, digest=digest)
        if isinstance(claimed, dict):
            return _replay(claimed, endpoint=endpoint, digest=digest)
        holding = _holding.set(claimed)
        try:
            response = view(*args, **kwargs)
            if not isinstance(response, Response):
                response = current_app.make_response(response)
            # The view committed its work; whatever the session began since (reads while dumping) ends
            # here, so that on SQLite it does not hold the write lock that storing the answer needs.
            if response.status_code < 400:
                db.session.commit()
            else:
                db.session.rollback()
        except BaseException:
            db.session.rollback()
            _finish(key_id=claimed, response=None)
            raise
        finally:
            _holding.reset(holding)
        _finish(key_id=claimed, response=response)
        return response

    apidoc = dict(getattr(view, "_apidoc", {}))
    manual = dict(apidoc.get("manual_doc", {}))
    responses = dict(manual.get("responses", {}))
    responses.setdefault("409", {"$ref": "#/components/responses/Error"})
    responses.setdefault("422", {"$ref": "#/components/responses/Error"})
    manual["responses"] = responses
    manual["parameters"] = [
        *manual.get("parameters", []),
        {
            "in": "header",
            "name": HEADER,
            "required": False,
            "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
            "description": "Retry-safe creation: the same key and body replay the first answer (header "
            "Idempotent-Replayed: true); another body answers 422; while the first is in flight, 409.",
        },
    ]
    apidoc["manual_doc"] = manual
    wrapper._apidoc = apidoc
    wrapper.idempotent = True
    return wrapper
