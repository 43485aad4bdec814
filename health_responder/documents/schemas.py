"""Verification answers."""

from marshmallow import Schema, fields


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
