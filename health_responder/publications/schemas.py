"""Publication schemas, by direction: *CreateSchema / *ArgsSchema load, *Schema dumps."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from health_responder.publications.models import PublicationKind
from health_responder.schemas import PageArgsSchema, StrictSchema

_url = validate.URL(schemes={"http", "https"}, error=_l("An http or https URL."))
_kinds = [k.value for k in PublicationKind]
#: People write findings and research; statistics reports are published by the monthly check.
_written_kinds = [PublicationKind.FINDING.value, PublicationKind.RESEARCH.value]


class _Codes(fields.List):
    """A list of short codes; in a form or query string also one comma-separated string."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return super()._deserialize(value, attr, data, **kwargs)


class PublicationCreateSchema(StrictSchema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    kind = fields.String(required=True, validate=validate.OneOf(_written_kinds))
    summary = fields.String(allow_none=True, validate=validate.Length(max=10000))
    partners = fields.String(allow_none=True, validate=validate.Length(max=2000))
    published_on = fields.Date(required=True)
    url = fields.String(validate=[validate.Length(max=1000), _url])
    topics = _Codes(
        fields.String(validate=validate.Length(min=1, max=40)),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"description": "Training topic codes."},
    )
    networks = _Codes(
        fields.String(validate=validate.Length(min=1, max=20)),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"description": "Network codes."},
    )


class PublicationLinkCreateSchema(PublicationCreateSchema):
    """A JSON body: the publication is a link."""

    @validates_schema
    def _needs_url(self, data, **_kwargs):
        if not data.get("url"):
            raise ValidationError({"url": [_l("Give the link, or upload a PDF as multipart 'file'.")]})


class PublicationUploadSchema(PublicationCreateSchema):
    """The form fields of a multipart upload (the PDF is the part named ``file``)."""

    @pre_load
    def _blank_is_absent(self, data, **_kwargs):
        return {k: v for k, v in data.items() if v != ""} if isinstance(data, dict) else data


class PublicationListArgsSchema(PageArgsSchema):
    ORDERABLE = ("id", "title", "published_on")
    kind = fields.String(validate=validate.OneOf(_kinds))
    topic = fields.String(validate=validate.Length(min=1, max=40))
    network = fields.String(
        validate=validate.Length(min=1, max=20), metadata={"description": "Network code."}
    )
    published_from = fields.Date()
    published_to = fields.Date()
    q = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "Words of the title, summary or partners."},
    )


class PublicationSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    kind = fields.String()
    summary = fields.String(allow_none=True)
    partners = fields.String(allow_none=True)
    published_on = fields.Date()
    url = fields.String(allow_none=True)
    file_name = fields.String(allow_none=True)
    size = fields.Integer(allow_none=True)
    sha256 = fields.String(allow_none=True)
    period = fields.String(allow_none=True)
    topics = fields.List(fields.String())
    networks = fields.List(fields.String())
    file_url = fields.String(allow_none=True, metadata={"description": "Where to download the PDF."})
    verification_code = fields.String(
        allow_none=True, metadata={"description": "A generated report's code for /verify/<code>."}
    )
    created_at = fields.DateTime()
