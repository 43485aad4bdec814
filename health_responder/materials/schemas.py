"""Knowledge-hub schemas, by direction: *CreateSchema / *UploadSchema / *ArgsSchema load, *Schema dumps."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from health_responder.schemas import PageArgsSchema, StrictSchema

#: A BCP 47 language tag (en, ko, pt-BR); training programs are taught in one too.
language_tag = validate.Regexp(
    r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", error=_l("A language tag such as en, ko or pt-BR.")
)
_topic = validate.Length(min=1, max=40)
_url = validate.URL(schemes={"http", "https"}, error=_l("An http or https URL."))


class MaterialSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    topic = fields.String()
    language = fields.String()
    description = fields.String(allow_none=True)
    kind = fields.String()
    url = fields.String(allow_none=True)
    file_name = fields.String(allow_none=True)
    size = fields.Integer(allow_none=True)
    content_type = fields.String(allow_none=True)
    sha256 = fields.String(allow_none=True)
    provider_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime(allow_none=True)
    version = fields.Integer(
        allow_none=True,
        metadata={"description": "The number of the current file's version; none for a link."},
    )
    file_url = fields.String(allow_none=True, metadata={"description": "Where to download the current PDF."})


class MaterialVersionSchema(Schema):
    number = fields.Integer(metadata={"description": "1 for the first file, then one more for each new one."})
    file_name = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_at = fields.DateTime()
    uploaded_by = fields.String(
        allow_none=True, metadata={"description": "The person who uploaded it (shown to members only)."}
    )
    organisation = fields.String(
        allow_none=True, metadata={"description": "The uploader's provider; none for the association."}
    )
    file_url = fields.String(metadata={"description": "Where to download this version's PDF."})


class MaterialLinkCreateSchema(StrictSchema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    topic = fields.String(required=True, validate=_topic)
    language = fields.String(load_default="en", validate=language_tag)
    description = fields.String(allow_none=True, validate=validate.Length(max=10000))
    url = fields.String(required=True, validate=[validate.Length(max=1000), _url])
    provider_id = fields.Integer(metadata={"description": "Publish on behalf of a provider (staff only)."})


class MaterialUploadSchema(StrictSchema):
    """The form fields of a multipart PDF upload (the file itself is the part named ``file``)."""

    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    topic = fields.String(required=True, validate=_topic)
    language = fields.String(load_default="en", validate=language_tag)
    description = fields.String(allow_none=True, validate=validate.Length(max=10000))
    provider_id = fields.Integer()


class MaterialUpdateSchema(StrictSchema):
    """What an owner changes in place; a PDF's file changes by a new version (POST …/versions)."""

    title = fields.String(validate=validate.Length(min=1, max=200))
    topic = fields.String(validate=_topic)
    language = fields.String(validate=language_tag)
    description = fields.String(allow_none=True, validate=validate.Length(max=10000))
    url = fields.String(
        validate=[validate.Length(max=1000), _url], metadata={"description": "A link's address (links only)."}
    )


class MaterialVersionListArgsSchema(PageArgsSchema):
    ORDERABLE = ("number",)


class MaterialListArgsSchema(PageArgsSchema):
    ORDERABLE = ("id", "title", "created_at")
    topic = fields.String(validate=_topic)
    language = fields.String(validate=language_tag)
    kind = fields.String(validate=validate.OneOf(["link", "pdf"]))
    provider_id = fields.Integer()
    q = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "Words found in the title or description (each word, any order, any case)."},
    )
