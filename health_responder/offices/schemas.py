"""Regional office schemas, by direction."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from health_responder.reference.schemas import _country, _timezone
from health_responder.schemas import PageArgsSchema, StrictSchema

_language = validate.Regexp(
    r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", error=_l("A language tag such as en, ko or pt-BR.")
)


class OfficeUpdateSchema(StrictSchema):
    network = fields.String(
        validate=validate.Length(min=1, max=20), metadata={"description": "Network code."}
    )
    name = fields.String(validate=validate.Length(min=1, max=200))
    address = fields.String(allow_none=True, validate=validate.Length(max=2000))
    country = fields.String(validate=_country)
    contact_name = fields.String(allow_none=True, validate=validate.Length(max=200))
    contact_email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    contact_phone = fields.String(allow_none=True, validate=validate.Length(max=50))
    languages = fields.List(fields.String(validate=_language), validate=validate.Length(min=1, max=10))
    timezone = fields.String(validate=_timezone)
    city_ids = fields.List(fields.Integer(), validate=validate.Length(max=500))


class OfficeCreateSchema(OfficeUpdateSchema):
    network = fields.String(required=True, validate=validate.Length(min=1, max=20))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    country = fields.String(required=True, validate=_country)
    languages = fields.List(
        fields.String(validate=_language),
        load_default=lambda: ["en"],
        validate=validate.Length(min=1, max=10),
    )
    timezone = fields.String(load_default="UTC", validate=_timezone)
    city_ids = fields.List(fields.Integer(), load_default=list, validate=validate.Length(max=500))


class OfficeListArgsSchema(PageArgsSchema):
    ORDERABLE = ("id", "name", "country")
    network = fields.String(
        validate=validate.Length(min=1, max=20), metadata={"description": "Network code."}
    )
    language = fields.String(validate=_language)


class ServedCitySchema(Schema):
    id = fields.Integer()
    name = fields.String()
    country = fields.String()


class OfficeSchema(Schema):
    id = fields.Integer()
    network = fields.String()
    network_name = fields.String()
    name = fields.String()
    address = fields.String(allow_none=True)
    country = fields.String()
    contact_name = fields.String(allow_none=True)
    contact_email = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    languages = fields.List(fields.String())
    timezone = fields.String()
    cities = fields.List(fields.Nested(ServedCitySchema))
