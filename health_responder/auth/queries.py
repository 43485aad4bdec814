"""Reads of users and tokens."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.auth.models import ApiToken, User
from health_responder.db import paginate
from health_responder.errors import NotFound
from health_responder.extensions import db


def email_taken(*, email: str) -> bool:
    """Whether a user has this email already (emails compare case-insensitively)."""
    return db.session.scalar(select(User.id).where(User.email == email.strip().lower())) is not None


def tokens_of(*, user: User) -> list[ApiToken]:
    """The user's tokens, newest first."""
    return db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    ).all()


def get_user(*, user_id: int) -> User:
    """A user by id, or NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_l("No user %(id)s.", id=user_id))
    return user


def list_users(*, args: dict) -> dict:
    """A page of users matching the filters."""
    statement = select(User)
    for key in ("role", "city_id", "provider_id"):
        if args.get(key) is not None:
            statement = statement.where(getattr(User, key) == args[key])
    if args.get("q"):
        # autoescape: a % or _ typed in the search matches itself, not any text.
        q = args["q"].lower()
        statement = statement.where(
            sa.or_(
                sa.func.lower(User.email).contains(q, autoescape=True),
                sa.func.lower(User.name).contains(q, autoescape=True),
            )
        )
    return paginate(
        db.session, statement, args, {"id": User.id, "email": User.email, "created_at": User.created_at}
    )
