"""Schemas of the caller's notifications."""

from marshmallow import Schema, fields

from health_responder.schemas import PageArgsSchema


class NotificationSchema(Schema):
    id = fields.Integer()
    message_id = fields.String()
    subject = fields.String()
    body = fields.String()
    link = fields.String(allow_none=True)
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    email_status = fields.String(metadata={"description": "pending, sending, sent, skipped or failed."})
    email_attempts = fields.Integer()
    email_sent_at = fields.DateTime(allow_none=True)


class NotificationListArgsSchema(PageArgsSchema):
    ORDERABLE = ("id", "created_at")
    unread = fields.Boolean(metadata={"description": "Only unread (true) or only read (false) messages."})


class ReadAllSchema(Schema):
    marked = fields.Integer(metadata={"description": "How many messages were unread."})
