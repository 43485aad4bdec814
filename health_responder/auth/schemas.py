"""Auth schemas, by direction."""

import zoneinfo

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate

from health_responder.auth import queries
from health_responder.auth.models import Role
from health_responder.schemas import PageArgsSchema, StrictSchema


def _zone(value: str | None) -> None:
    if value is None:
        return
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError([_l("An IANA timezone such as Asia/Seoul.")]) from error


class TokenCreateSchema(StrictSchema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=500))
    name = fields.String(load_default="api", validate=validate.Length(max=100))


class NewTokenSchema(Schema):
    id = fields.Integer()
    token = fields.String(metadata={"description": "Shown once; only its hash is stored."})
    name = fields.String()
    created_at = fields.DateTime()
    expires_at = fields.DateTime(metadata={"description": "After this moment the token answers 401."})


class TokenSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    created_at = fields.DateTime()
    last_used = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime()


class UserSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.String()
    city_id = fields.Integer(allow_none=True)
    provider_id = fields.Integer(allow_none=True)
    active = fields.Boolean()
    locale = fields.String()
    timezone = fields.String(
        allow_none=True,
        metadata={"description": "Empty: the city's, the provider's first location's, or UTC."},
    )
    created_at = fields.DateTime()


class UserCreateSchema(StrictSchema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=500))
    name = fields.String(load_default="", validate=validate.Length(max=200))
    role = fields.String(required=True, validate=validate.OneOf([r.value for r in Role]))
    city_id = fields.Integer(load_default=None, allow_none=True)
    provider_id = fields.Integer(load_default=None, allow_none=True)
    #: Empty (the default): not chosen, the user reads their city's language, else English.
    locale = fields.String(load_default="", validate=validate.Length(max=10))

    def handle_error(self, error, data, **kwargs):
        """One answer names every problem: a taken email joins the others (alone, the service answers 409)."""
        email = data.get("email") if isinstance(data, dict) else None
        if isinstance(email, str) and "email" not in error.messages and queries.email_taken(email=email):
            raise ValidationError(error.messages | {"email": [_l("Already registered.")]}) from error
        raise error


class UserUpdateSchema(StrictSchema):
    name = fields.String(validate=validate.Length(max=200))
    active = fields.Boolean()
    #: Empty: back to the default (the city's language, else English).
    locale = fields.String(validate=validate.Length(max=10))
    timezone = fields.String(
        allow_none=True,
        validate=[validate.Length(max=64), _zone],
        metadata={"description": "IANA time zone; null for the default of the user's city or provider."},
    )
    password = fields.String(load_only=True, validate=validate.Length(min=8, max=500))


class UserListArgsSchema(PageArgsSchema):
    ORDERABLE = ("id", "email", "created_at")
    role = fields.String(validate=validate.OneOf([r.value for r in Role]))
    city_id = fields.Integer()
    provider_id = fields.Integer()
    q = fields.String(
        validate=validate.Length(max=200), metadata={"description": "Part of the email or name."}
    )
