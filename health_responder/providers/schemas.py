"""Provider and location schemas, by direction."""

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from health_responder.reference.schemas import _timezone
from health_responder.schemas import PageArgsSchema, StrictSchema

_country = validate.Regexp(r"^[A-Za-z]{2}$", error=_l("An ISO 3166-1 alpha-2 country code such as KR."))
KINDS = ("manufacturer", "distributor", "ngo", "other")


class LocationSchema(Schema):
    id = fields.Integer()
    provider_id = fields.Integer()
    name = fields.String()
    address = fields.String(allow_none=True)
    country = fields.String()
    timezone = fields.String()
    active = fields.Boolean()


class LocationUpdateSchema(StrictSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    address = fields.String(allow_none=True, validate=validate.Length(max=2000))
    country = fields.String(validate=_country)
    timezone = fields.String(
        validate=[validate.Length(max=64), _timezone],
        metadata={
            "description": "IANA time zone, e.g. Asia/Seoul; its provider's users default to the first one's."
        },
    )
    active = fields.Boolean()


class LocationCreateSchema(LocationUpdateSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    country = fields.String(required=True, validate=_country)


class ProviderSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    country = fields.String()
    kind = fields.String()
    contact_name = fields.String(allow_none=True)
    contact_email = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    network_ids = fields.List(fields.Integer(), metadata={"description": "Networks served first."})


class ProviderDetailSchema(ProviderSchema):
    locations = fields.List(fields.Nested(LocationSchema))


_named = [
    validate.Length(min=1, max=200),
    validate.Regexp(r"\s*\S", error=_l("A name needs a visible character.")),
]


class ProviderUpdateSchema(StrictSchema):
    name = fields.String(validate=_named)
    country = fields.String(validate=_country)
    kind = fields.String(validate=validate.OneOf(KINDS))
    contact_name = fields.String(allow_none=True, validate=validate.Length(max=200))
    contact_email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    contact_phone = fields.String(allow_none=True, validate=validate.Length(max=50))
    description = fields.String(allow_none=True, validate=validate.Length(max=5000))
    network_ids = fields.List(fields.Integer(), validate=validate.Length(max=50))


class ProviderCreateSchema(ProviderUpdateSchema):
    name = fields.String(required=True, validate=_named)
    country = fields.String(required=True, validate=_country)
    kind = fields.String(load_default="distributor", validate=validate.OneOf(KINDS))
    network_ids = fields.List(fields.Integer(), load_default=list, validate=validate.Length(max=50))


class ProviderListArgsSchema(PageArgsSchema):
    ORDERABLE = ("id", "name", "country")
    network_id = fields.Integer()
    country = fields.String(validate=_country)
    q = fields.String(validate=validate.Length(max=200))
