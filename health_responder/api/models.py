"""The API's own table: the idempotency keys of creating POSTs (see ``api/idempotency.py``)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from health_responder.models_base import created_at, moment


class IdempotencyKey(SQLModel, table=True):
    """The first answer to a creating POST, replayed when the client retries with the same key."""

    __tablename__ = "idempotency_key"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    key: str = Field(max_length=200)
    #: "POST /api/v1/requests": a key is bound to one endpoint.
    endpoint: str = Field(max_length=300)
    #: SHA-256 of the canonical request body.
    body_hash: str = Field(max_length=64)
    #: Empty while the first request is still in flight.
    status_code: int | None = Field(default=None)
    response_body: str | None = Field(default=None, sa_type=sa.Text)
    #: Set in the very transaction that commits the request's work: a key still in flight without it
    #: belongs to a request that never committed (its worker died), and is released after a minute.
    committed_at: datetime | None = moment()
    created_at: datetime = created_at()

    __table_args__ = (sa.UniqueConstraint("user_id", "key", name="uq_idempotency_key_user_key"),)
