"""Verification answers."""

from marshmallow import Schema, fields


class VerificationSchema(Schema):
    genuine = fields.Boolean()
    current = fields.Boolean()
    kind = fields.String()
    subject_type = fields.String()
    subject_key = fields.String()
    sha256 = fields.String()
    size = fields.Integer()
    event_date = fields.Date(allow_none=True)
    created_at = fields.DateTime()
    superseded_at = fields.DateTime(allow_none=True)
    verification_code = fields.String()
