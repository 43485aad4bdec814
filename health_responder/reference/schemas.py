"""Reference data schemas, by direction: *CreateSchema / *UpdateSchema load, *Schema dumps."""

import zoneinfo

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates

from health_responder.config import CATALOGUES
from health_responder.reference.gtin import normalize_gtin
from health_responder.schemas import PageArgsSchema, StrictSchema

_code = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$",
    error=_l("Letters, digits, '.', '_' and '-' only, starting with a letter or digit."),
)
_country = validate.Regexp(r"^[A-Za-z]{2}$", error=_l("An ISO 3166-1 alpha-2 country code such as KR."))
_name = validate.Length(min=1, max=200)


class Gtin(fields.String):
    """A GTIN-8/12/13/14 read as the 14 digits the catalogue keeps, its check digit verified."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return normalize_gtin(text)
        except ValueError as error:
            raise ValidationError([error.args[0]]) from error


def _timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError([_l("An IANA timezone such as Asia/Seoul.")]) from error


class NetworkSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class NetworkCreateSchema(StrictSchema):
    code = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z]{2,20}$", error=_l("2 to 20 letters, e.g. NEASCN.")),
    )
    name = fields.String(required=True, validate=_name)


class NetworkListArgsSchema(PageArgsSchema):
    ORDERABLE = ("id", "code", "name")


#: The languages documents can be written in (the catalogues the app ships).
DOCUMENT_LANGUAGES = CATALOGUES


class CitySchema(Schema):
    id = fields.Integer()
    name = fields.String()
    country = fields.String()
    network_id = fields.Integer()
    timezone = fields.String()
    language = fields.String()
    delivery_address = fields.String(allow_none=True)
    contact_name = fields.String(allow_none=True)
    contact_email = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)


class CityUpdateSchema(StrictSchema):
    name = fields.String(validate=_name)
    country = fields.String(validate=_country)
    network_id = fields.Integer()
    timezone = fields.String(validate=_timezone)
    language = fields.String(
        validate=validate.OneOf(DOCUMENT_LANGUAGES),
        metadata={"description": "The language of its documents: en or ko."},
    )
    delivery_address = fields.String(allow_none=True, validate=validate.Length(max=2000))
    contact_name = fields.String(allow_none=True, validate=validate.Length(max=200))
    contact_email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    contact_phone = fields.String(allow_none=True, validate=validate.Length(max=50))


class CityCreateSchema(CityUpdateSchema):
    name = fields.String(required=True, validate=_name)
    country = fields.String(required=True, validate=_country)
    network_id = fields.Integer(required=True)
    timezone = fields.String(load_default="UTC", validate=_timezone)
    language = fields.String(load_default="en", validate=validate.OneOf(DOCUMENT_LANGUAGES))


class CityListArgsSchema(PageArgsSchema):
    ORDERABLE = ("id", "name", "country")
    network_id = fields.Integer()
    country = fields.String(validate=_country)
    q = fields.String(validate=validate.Length(max=200), metadata={"description": "Part of the name."})


_NAME_KO = {"description": "The name Korean pages show (empty or null: the name)."}


class TopicSchema(Schema):
    code = fields.String()
    name = fields.String()
    name_ko = fields.String(allow_none=True, metadata=_NAME_KO)


class TopicCreateSchema(StrictSchema):
    code = fields.String(
        required=True,
        validate=validate.Regexp(r"^[a-z][a-z0-9_]{1,39}$", error=_l("Lower-case letters, digits and '_'.")),
    )
    name = fields.String(required=True, validate=_name)
    name_ko = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=200), metadata=_NAME_KO
    )


class TopicUpdateSchema(StrictSchema):
    name = fields.String(validate=_name)
    name_ko = fields.String(allow_none=True, validate=validate.Length(max=200), metadata=_NAME_KO)


class ItemSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    name_ko = fields.String(allow_none=True, metadata=_NAME_KO)
    category = fields.String()
    unit = fields.String()
    requires_cold_chain = fields.Boolean()
    requires_training = fields.String(allow_none=True)
    gtin = fields.String(allow_none=True, metadata={"description": "GS1 GTIN, 14 digits."})
    description = fields.String(allow_none=True)
    active = fields.Boolean()


class ItemUpdateSchema(StrictSchema):
    name = fields.String(validate=_name)
    name_ko = fields.String(allow_none=True, validate=validate.Length(max=200), metadata=_NAME_KO)
    category = fields.String(
        validate=validate.Regexp(
            r"^[a-z][a-z0-9_]{1,39}$", error=_l("Lower-case letters, digits and '_', e.g. respiratory.")
        )
    )
    unit = fields.String(validate=validate.Length(min=1, max=40))
    requires_cold_chain = fields.Boolean()
    requires_training = fields.String(allow_none=True, validate=validate.Length(max=40))
    gtin = Gtin(
        allow_none=True,
        metadata={"description": "GS1 GTIN-8, -12, -13 or -14 (kept as 14 digits; check digit verified)."},
    )
    description = fields.String(allow_none=True, validate=validate.Length(max=5000))
    active = fields.Boolean()


class ItemCreateSchema(ItemUpdateSchema):
    code = fields.String(required=True, validate=_code)
    name = fields.String(required=True, validate=_name)
    category = fields.String(required=True, validate=ItemUpdateSchema._declared_fields["category"].validate)
    unit = fields.String(load_default="each", validate=validate.Length(min=1, max=40))
    requires_cold_chain = fields.Boolean(load_default=False)
    requires_training = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))


class ItemListArgsSchema(PageArgsSchema):
    ORDERABLE = ("id", "code", "name", "category")
    category = fields.String(validate=validate.Length(max=40))
    requires_training = fields.String(validate=validate.Length(max=40))
    requires_cold_chain = fields.Boolean()
    active = fields.Boolean()
    q = fields.String(
        validate=validate.Length(max=200), metadata={"description": "Part of the code or name."}
    )

    @validates("category")
    def _category(self, value, **_kwargs):
        if not value.replace("_", "").isalnum():
            raise ValidationError([_l("Lower-case letters, digits and '_'.")])
