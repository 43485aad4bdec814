"""The floor for bench/api.py: bare Flask + SQLAlchemy Core doing the same database work as the project.

``GET /hello``: a bare ``jsonify``, the reference every ratio of bench/api.py is taken against.

``GET /api/v1/auth/me``: the bearer token and its user looked up by hash (one statement), the user as
JSON: the least any authenticated answer costs.

The two request endpoints do the same SQL: the bearer token and its user looked up by hash (one
statement), then for
``POST /api/v1/requests`` the items checked, the request, its reference, its lines and an audit row
inserted in one transaction (``BEGIN IMMEDIATE`` on SQLite); for ``GET /api/v1/requests`` the count, the page and
the page's lines in one query. No validation framework, no ORM, no OpenAPI, no hooks.

    DATABASE_URL=sqlite:////tmp/x.sqlite gunicorn bench.bare_app:app
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask import Flask, Response, jsonify, request

URL = os.environ["DATABASE_URL"]
SQLITE = URL.startswith("sqlite")
engine = (
    sa.create_engine(URL, connect_args={"check_same_thread": False, "timeout": 30})
    if SQLITE
    else sa.create_engine(URL, pool_size=10, max_overflow=20)
)

if SQLITE:

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=30000", "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()


meta = sa.MetaData()
meta.reflect(engine, only=["api_token", "user", "assistance_request", "request_line", "item", "audit_event"])
T, U, R, L, ITEM, A = (
    meta.tables[n] for n in ("api_token", "user", "assistance_request", "request_line", "item", "audit_event")
)
app = Flask(__name__)


@app.get("/hello")
def hello():
    return jsonify(hello="world")


def _json(data, status=200) -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")),
        status=status,
        mimetype="application/json",
    )


def _user(conn):
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return conn.execute(
        sa.select(U)
        .join(T, T.c.user_id == U.c.id)
        .where(
            T.c.token_hash == hashlib.sha256(token.encode()).hexdigest(),
            T.c.revoked_at.is_(None),
            T.c.expires_at > (datetime.now(UTC).replace(tzinfo=None) if SQLITE else datetime.now(UTC)),
            U.c.active.is_(True),
        )
    ).first()


@app.get("/api/v1/auth/me")
def me():
    with engine.connect() as conn:
        user = _user(conn)
    if user is None:
        return _json({"code": 401}, 401)
    keys = ("id", "email", "name", "role", "city_id", "provider_id", "active", "locale", "timezone")
    return _json({key: getattr(user, key) for key in keys} | {"created_at": _iso(user.created_at)})


def _iso(value):
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return value.isoformat()


def _views(conn, rows) -> list[dict]:
    lines: dict[int, list] = {r.id: [] for r in rows}
    if rows:
        for line in conn.execute(sa.select(L).where(L.c.request_id.in_(list(lines))).order_by(L.c.id)):
            lines[line.request_id].append(
                {
                    "id": line.id,
                    "item_id": line.item_id,
                    "quantity": line.quantity,
                    "quantity_allocated": line.quantity_allocated,
                    "quantity_dispatched": line.quantity_dispatched,
                    "quantity_received": line.quantity_received,
                    "quantity_rejected": line.quantity_rejected,
                    "quantity_unfilled": line.quantity - line.quantity_allocated,
                }
            )
    # The same fields as the project's answer, so that both serialise the same document.
    return [
        {
            "id": r.id,
            "reference": r.reference,
            "city_id": r.city_id,
            "status": r.status,
            "priority": r.priority,
            "needed_by": _iso(r.needed_by),
            "justification": r.justification,
            "delivery_contact": r.delivery_contact,
            "created_by_id": r.created_by_id,
            "created_at": _iso(r.created_at),
            "updated_at": _iso(r.updated_at),
            "submitted_at": _iso(r.submitted_at),
            "approved_at": _iso(r.approved_at),
            "rejected_reason": r.rejected_reason,
            "cancelled_at": _iso(r.cancelled_at),
            "delivered_at": _iso(r.delivered_at),
            "closed_at": _iso(r.closed_at),
            "close_note": r.close_note,
            "lines": lines[r.id],
        }
        for r in rows
    ]


@app.get("/api/v1/requests")
def list_requests():
    page, size = int(request.args.get("page", 1)), min(int(request.args.get("page_size", 20)), 100)
    with engine.connect() as conn:
        user = _user(conn)
        if user is None:
            return _json({"code": 401}, 401)
        where = []
        if user.role == "city":
            where.append(R.c.city_id == user.city_id)
        if request.args.get("status"):
            where.append(R.c.status == request.args["status"])
        if request.args.get("priority"):
            where.append(R.c.priority == request.args["priority"])
        total = conn.scalar(sa.select(sa.func.count()).select_from(R).where(*where))
        rows = conn.execute(
            sa.select(R).where(*where).order_by(R.c.id).limit(size).offset((page - 1) * size)
        ).all()
        items = _views(conn, rows)
    return _json(
        {"items": items, "page": page, "page_size": size, "total": total, "pages": (total + size - 1) // size}
    )


@app.post("/api/v1/requests")
def create_request():
    body = request.get_json()
    with engine.connect() as conn:
        if SQLITE:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            user = _user(conn)
            if user is None:
                conn.rollback()
                return _json({"code": 401}, 401)
            lines = body["lines"]
            ids = [line["item_id"] for line in lines]
            if len(conn.execute(sa.select(ITEM.c.id).where(ITEM.c.id.in_(ids))).all()) != len(set(ids)):
                conn.rollback()
                return _json({"code": 422}, 422)
            needed_by = date.fromisoformat(body["needed_by"])
            now = datetime.now(UTC).replace(tzinfo=None) if SQLITE else datetime.now(UTC)
            rid = conn.execute(
                sa.insert(R).values(
                    city_id=user.city_id,
                    status="draft",
                    priority=body["priority"],
                    priority_rank=2,
                    needed_by=needed_by,
                    justification=body["justification"],
                    delivery_contact=body.get("delivery_contact"),
                    created_by_id=user.id,
                    created_at=now,
                    updated_at=now,
                )
            ).inserted_primary_key[0]
            reference = f"REQ-{now.year}-{rid:06d}"
            conn.execute(sa.update(R).where(R.c.id == rid).values(reference=reference))
            conn.execute(
                sa.insert(L),
                [
                    {
                        "request_id": rid,
                        "item_id": x["item_id"],
                        "quantity": x["quantity"],
                        "quantity_allocated": 0,
                        "quantity_dispatched": 0,
                        "quantity_received": 0,
                        "quantity_rejected": 0,
                    }
                    for x in lines
                ],
            )
            conn.execute(
                sa.insert(A).values(
                    actor_id=user.id,
                    actor_label=f"user:{user.email}",
                    action="request.create",
                    subject_type="assistance_request",
                    subject_id=rid,
                    after=body,
                    at=now,
                )
            )
            row = conn.execute(sa.select(R).where(R.c.id == rid)).first()
            item = _views(conn, [row])[0]
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
    return _json(item, 201)
