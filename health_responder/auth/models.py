"""Users and API tokens (the API's idempotency keys live with the API, in ``api/models.py``)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlmodel import Field, SQLModel

from health_responder.models_base import created_at, moment


class Role(enum.StrEnum):
    """What a user may do; city and provider users belong to one tenant."""

    CITY = "city"
    PROVIDER = "provider"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


#: Roles of the association (coordinators and admins): they see every tenant. The one definition.
STAFF = (Role.COORDINATOR, Role.ADMIN)


class User(UserMixin, SQLModel, table=True):
    """A person who logs in; city and provider users are tied to their city or provider."""

    __tablename__ = "user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(default="", max_length=200)
    #: werkzeug's salted hash; never the password itself.
    password_hash: str = Field(max_length=300)
    role: str = Field(max_length=20)
    city_id: int | None = Field(default=None, foreign_key="city.id", index=True)
    provider_id: int | None = Field(default=None, foreign_key="provider.id", index=True)
    active: bool = Field(default=True)
    #: Preferred language of pages, messages and documents ("en", "ko", …); empty: not chosen, the
    #: city's language is used (else English), see health_responder.languages.
    locale: str = Field(default="", max_length=10)
    #: IANA time zone the user reads and types times in; empty: the city's, the provider's first
    #: location's, or UTC (web.i18n.select_timezone).
    timezone: str | None = Field(default=None, max_length=64)
    #: Bumped by logout, a password change and deactivation: page sessions of an older generation end.
    session_generation: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = created_at()

    __table_args__ = (
        sa.CheckConstraint("role IN ('city', 'provider', 'coordinator', 'admin')", name="role_known"),
        sa.CheckConstraint(
            "(role = 'city' AND city_id IS NOT NULL AND provider_id IS NULL)"
            " OR (role = 'provider' AND provider_id IS NOT NULL AND city_id IS NULL)"
            " OR (role IN ('coordinator', 'admin') AND city_id IS NULL AND provider_id IS NULL)",
            name="tenant_matches_role",
        ),
    )

    @property
    def is_active(self) -> bool:  # Flask-Login
        """Flask-Login: whether the user may log in (a deactivated one may not)."""
        return self.active

    def get_id(self) -> str:  # Flask-Login: what the session cookie names; the generation ends old cookies
        """Flask-Login: the id the session names, with the generation that ends old sessions."""
        return f"{self.id}.{self.session_generation}"

    @property
    def is_staff(self) -> bool:
        """Coordinators and admins see every tenant."""
        return self.role in STAFF


class ApiToken(SQLModel, table=True):
    """A bearer token; only its SHA-256 is stored, indexed for lookup."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(default="api", max_length=100)
    #: Hex SHA-256 of the token; the token itself is shown once and never stored.
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = created_at()
    #: Written at most once a minute so that reads stay reads.
    last_used: datetime | None = moment()
    revoked_at: datetime | None = moment()
    #: After this moment the token answers 401 (setting TOKEN_LIFETIME_DAYS).
    expires_at: datetime = moment(nullable=False)


class LoginFailure(SQLModel, table=True):
    """One failed login (page or API), counted per account and address for a window, then pruned."""

    __tablename__ = "login_failure"

    id: int | None = Field(default=None, primary_key=True)
    #: The email as typed, trimmed and lower-cased (unknown accounts count too).
    account: str = Field(max_length=254)
    #: The client's address (ProxyFix makes it the client's behind a trusted proxy).
    address: str = Field(max_length=64)
    failed_at: datetime = moment(nullable=False, index=True)

    __table_args__ = (sa.Index("ix_login_failure_address_account", "address", "account", "failed_at"),)
