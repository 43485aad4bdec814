"""Verification answers, and the ``?lang=`` every PDF route takes."""

from marshmallow import Schema, fields, validate

from health_responder.config import CATALOGUES
from health_responder.schemas import StrictSchema

#: The ``?lang=`` of every PDF route: the languages with a catalogue.
LANGUAGE_CHOICES = list(CATALOGUES)


def language_field(default: str) -> fields.String:
    """The ``lang`` query argument, described with what it falls back to."""
    return fields.String(
        validate=validate.OneOf(LANGUAGE_CHOICES),
        metadata={
            "description": f"The language to print in ({', '.join(LANGUAGE_CHOICES)}); default: {default}."
        },
    )


class CityLanguageArgsSchema(StrictSchema):
    """``?lang=`` of a city's document (a dispatch report, a certificate)."""

    lang = language_field("the language of its city")


class ReaderLanguageArgsSchema(StrictSchema):
    """``?lang=`` of a document of nobody's city (a pick list, a summary, a statistics report)."""

    lang = language_field("the language of whoever asks")


class VerificationSchema(Schema):
    genuine = fields.Boolean()
    current = fields.Boolean(
        metadata={"description": "Not superseded by a newer version and not expired (its file still kept)."}
    )
    expired = fields.Boolean(
        metadata={
            "description": "An ad-hoc document past DOCUMENT_RETENTION_DAYS whose file was deleted: it was "
            "genuine; print it again for a current copy."
        }
    )
    expired_at = fields.DateTime(allow_none=True)
    kind = fields.String()
    subject_type = fields.String()
    subject_key = fields.String()
    sha256 = fields.String()
    size = fields.Integer()
    event_date = fields.Date(allow_none=True)
    created_at = fields.DateTime()
    superseded_at = fields.DateTime(allow_none=True)
    verification_code = fields.String()
