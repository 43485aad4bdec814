"""The web frame's own table: what a person typed into a form that could not be sent (see ``web/stash.py``)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from health_responder.models_base import created_at, moment


class FormStash(SQLModel, table=True):
    """A form's typed values kept a short while when its POST was refused for an ended session or an
    expired CSRF token, so the page comes back filled after signing in (passwords are never kept).

    Found by the SHA-256 of a random token carried in the page's address (the token itself is never
    stored); for the user who posted it, or, when the session had ended, the first user who signs in
    with it. Gone after ``expires_at`` (FORM_STASH_SECONDS); expired ones are removed when another is kept.
    """

    __tablename__ = "form_stash"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True, ondelete="CASCADE")
    #: The address the form was posted to.
    path: str = Field(max_length=2000)
    #: The form's fields as a JSON list of [name, value] pairs, in the order they were sent.
    fields: str = Field(sa_type=sa.Text, nullable=False)
    created_at: datetime = created_at()
    expires_at: datetime = moment(index=True, nullable=False)
