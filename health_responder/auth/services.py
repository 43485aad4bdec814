"""Users, passwords and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, validate
from sqlmodel import select
from werkzeug.security import check_password_hash, generate_password_hash

from health_responder.audit import services as audit
from health_responder.auth import queries
from health_responder.auth.models import ApiToken, Role, User
from health_responder.db import utcnow
from health_responder.errors import Duplicate, NotFound, ValidationFailed
from health_responder.extensions import db

#: Checked against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")
MIN_PASSWORD_LENGTH = 8


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively."""
    return email.strip().lower()


def create_user(
    *,
    email: str,
    password: str,
    role: str,
    name: str = "",
    city_id: int | None = None,
    provider_id: int | None = None,
    by: User | None = None,
    locale: str = "",
) -> User:
    """Create a user; city users need a city, provider users a provider, staff neither."""
    email = normalise_email(email)
    errors: dict = {}
    try:  # the API's schema checks it too; the command line and the pages come through here alone
        validate.Email()(email)
        validate.Length(max=254)(email)
    except ValidationError:
        errors["email"] = [_l("Not a valid email address.")]
    if role not in set(Role):
        errors["role"] = [
            _l("Unknown role %(role)s; one of: %(roles)s.", role=repr(role), roles=", ".join(Role))
        ]
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = [_l("At least %(n)s characters.", n=MIN_PASSWORD_LENGTH)]
    if role == Role.CITY and city_id is None:
        errors["city_id"] = [_l("A city user needs a city.")]
    if role == Role.PROVIDER and provider_id is None:
        errors["provider_id"] = [_l("A provider user needs a provider.")]
    if role != Role.CITY and city_id is not None:
        errors["city_id"] = [_l("Only city users belong to a city.")]
    if role != Role.PROVIDER and provider_id is not None:
        errors["provider_id"] = [_l("Only provider users belong to a provider.")]
    taken = "email" not in errors and queries.email_taken(email=email)
    if errors:  # one answer names every problem, a taken email too
        raise ValidationFailed(
            _l("The user is not valid."), errors | ({"email": [_l("Already registered.")]} if taken else {})
        )
    if taken:
        raise Duplicate(
            _l("A user with email %(email)s already exists.", email=email),
            {"email": [_l("Already registered.")]},
        )
    user = User(
        email=email,
        name=name,
        password_hash=generate_password_hash(password),
        role=role,
        city_id=city_id,
        provider_id=provider_id,
        locale=locale,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        action="user.create",
        subject=user,
        by=by,
        actor_label=None if by else "cli",
        after={"email": email, "role": role, "city_id": city_id, "provider_id": provider_id},
    )
    return user


def authenticate(*, email: str, password: str) -> User | None:
    """The active user with this email and password, or None (in constant-ish time)."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email or "")))
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        return None
    return user


def issue_token(*, user: User, name: str = "api") -> tuple[ApiToken, str]:
    """A new token for ``user``: returns the stored row and the token text (shown once)."""
    token = secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        name=name[:100] or "api",
        token_hash=hash_token(token),
        expires_at=utcnow() + timedelta(days=current_app.config["TOKEN_LIFETIME_DAYS"]),
    )
    db.session.add(row)
    db.session.flush()
    audit.record(action="token.issue", subject=row, by=user, after={"name": row.name})
    return row, token


def revoke_token(*, token_id: int, by: User) -> ApiToken:
    """Revoke one of the caller's tokens (admins may revoke anyone's)."""
    row = db.session.get(ApiToken, token_id)
    if row is None or (row.user_id != by.id and by.role != Role.ADMIN):
        raise NotFound(_l("No such token."))
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(action="token.revoke", subject=row, by=by)
    return row


#: The token and its user in one statement, built once: the hash names a live (unrevoked, unexpired)
#: token of an active user. Every API request runs it, so its construction is not repeated per call.
_TOKEN_USER = (
    select(User, ApiToken.id, ApiToken.last_used)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(
        ApiToken.token_hash == sa.bindparam("token_hash"),
        ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > sa.bindparam("now", type_=ApiToken.__table__.c.expires_at.type),
        User.active.is_(True),
    )
)


def user_for_token(token: str) -> User | None:
    """The active user a valid, unrevoked, unexpired token belongs to; touches ``last_used`` at most once a minute."""
    if not token or len(token) > 200:
        return None
    now = utcnow()
    row = db.session.execute(_TOKEN_USER, {"token_hash": hash_token(token), "now": now}).first()
    if row is None:
        return None
    user, token_id, last_used = row
    interval = timedelta(seconds=current_app.config["TOKEN_TOUCH_INTERVAL"])
    if last_used is None or now - last_used >= interval:
        # End the lookup's transaction first: on SQLite a POST's session began IMMEDIATE and holds the
        # write lock, which the touch's own connection would wait on for the whole busy timeout.
        db.session.commit()
        _touch(token_id, now, interval)
    return user


def _touch(token_id: int, now, interval) -> None:
    """Write last_used, but never wait for it: when the database is busy the touch is skipped.

    In a writing request the request's own transaction already holds the write lock (SQLite: BEGIN
    IMMEDIATE), so the touch joins it; a second connection would wait for that very lock. In a reading
    request a short transaction of its own writes it only if the write lock is free this instant. On
    PostgreSQL the token's row is skipped when another transaction holds it (``SKIP LOCKED``), so
    requests made with one token never queue behind each other for it.
    """
    from health_responder.db import _write_intent

    table = ApiToken.__table__
    free = (
        sa.select(table.c.id)
        .where(table.c.id == token_id)
        .where(sa.or_(table.c.last_used.is_(None), table.c.last_used <= now - interval))
        .with_for_update(skip_locked=True)
    )
    statement = sa.update(table).where(table.c.id.in_(free)).values(last_used=now)
    if _write_intent.get():
        db.session.execute(statement)
    else:
        db.write_if_free(statement)


def end_sessions(*, user: User, revoke_tokens: bool) -> None:
    """End every page session of ``user`` (their cookies name an older generation), and their tokens."""
    db.session.execute(
        sa.update(User).where(User.id == user.id).values(session_generation=User.session_generation + 1)
    )
    db.session.refresh(user, ["session_generation"])
    if revoke_tokens:
        db.session.execute(
            sa.update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


#: ``update_user``'s "leave the time zone as it is" (None means "back to the default").
KEEP = object()


def update_user(
    *,
    user: User,
    by: User,
    name: str | None = None,
    active: bool | None = None,
    locale: str | None = None,
    password: str | None = None,
    timezone: str | None | object = KEEP,
) -> User:
    """Change a user's profile, time zone, password or active flag (``timezone=None``: back to the default).

    A password change and a deactivation end every page session of the user and revoke every token.
    """
    before = {"name": user.name, "active": user.active, "locale": user.locale, "timezone": user.timezone}
    if name is not None:
        user.name = name
    if locale is not None:
        user.locale = locale
    if timezone is not KEEP:
        user.timezone = timezone
    if password is not None:
        user.password_hash = generate_password_hash(password)
    if active is not None and active != user.active:
        user.active = active
    if password is not None or active is False:
        db.session.flush()
        end_sessions(user=user, revoke_tokens=True)
    audit.record(
        action="user.update",
        subject=user,
        by=by,
        before=before,
        after={
            "name": user.name,
            "active": user.active,
            "locale": user.locale,
            "timezone": user.timezone,
            "password_changed": password is not None,
        },
    )
    return user


def change_password(*, user: User, old_password: str, new_password: str) -> User:
    """The user changes their own password: the current one is required; other sessions and tokens end."""
    errors: dict = {}
    if not check_password_hash(user.password_hash, old_password or ""):
        errors["old_password"] = [_l("This is not your current password.")]
    if len(new_password or "") < MIN_PASSWORD_LENGTH:
        errors["new_password"] = [_l("At least %(n)s characters.", n=MIN_PASSWORD_LENGTH)]
    if errors:
        raise ValidationFailed(_l("The password is not changed."), errors)
    return update_user(user=user, by=user, password=new_password)
