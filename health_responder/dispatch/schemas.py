"""Dispatch schemas, by direction: *CreateSchema / *Schema; receipts and discrepancies."""

from marshmallow import Schema, ValidationError, fields, validate

from health_responder.dispatch.models import REJECTION_REASONS, DispatchStatus
from health_responder.schemas import PageArgsSchema, StrictSchema, flatten

_label = validate.Length(min=1, max=200)


class DispatchCreateSchema(StrictSchema):
    request_id = fields.Integer(required=True, strict=True)
    location_id = fields.Integer(
        strict=True,
        metadata={"description": "Needed when the reserved stock is at several of the provider's locations."},
    )
    provider_id = fields.Integer(
        strict=True, metadata={"description": "Coordinators: whose allocations to ship."}
    )
    notes = fields.String(validate=validate.Length(max=5000))


class ShipSchema(StrictSchema):
    carrier = fields.String(required=True, validate=_label)
    tracking_number = fields.String(required=True, validate=_label)
    packages = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100_000))


class ReceiptLineSchema(StrictSchema):
    line_id = fields.Integer(required=True, strict=True)
    accepted = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=1_000_000))
    rejected = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=1_000_000))
    reason = fields.String(allow_none=True, validate=validate.OneOf(REJECTION_REASONS))
    note = fields.String(allow_none=True, validate=validate.Length(max=5000))


class ReceiptSchema(StrictSchema):
    def handle_error(self, error, data, **kwargs):
        """Name nested fields by their path (``lines.0.accepted``), as the services do."""
        raise ValidationError(flatten(error.messages)) from error

    lines = fields.List(
        fields.Nested(ReceiptLineSchema), required=True, validate=validate.Length(min=1, max=1000)
    )
    #: Required, but said by the service with the lines' problems, so that one answer names them all.
    received_by = fields.String(load_default="", validate=validate.Length(max=200))


class CancelDispatchSchema(StrictSchema):
    reason = fields.String(validate=validate.Length(max=5000))


class DispatchLineSchema(Schema):
    id = fields.Integer()
    request_line_id = fields.Integer()
    lot_id = fields.Integer()
    item_id = fields.Integer()
    quantity = fields.Integer()
    accepted = fields.Integer(allow_none=True)
    rejected = fields.Integer(allow_none=True)
    rejection_reason = fields.String(allow_none=True)
    rejection_note = fields.String(allow_none=True)
    replaced = fields.Integer(metadata={"description": "Rejected units a coordinator chose to replace."})
    checked_at = fields.DateTime(
        allow_none=True, metadata={"description": "When its lot was scanned on the pick list check."}
    )
    checked_by_id = fields.Integer(allow_none=True)


class DispatchSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    request_id = fields.Integer()
    provider_id = fields.Integer()
    location_id = fields.Integer()
    city_id = fields.Integer()
    status = fields.String(metadata={"description": ", ".join(DispatchStatus)})
    carrier = fields.String(allow_none=True)
    tracking_number = fields.String(allow_none=True)
    packages = fields.Integer(allow_none=True)
    notes = fields.String(allow_none=True)
    created_by_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    shipped_at = fields.DateTime(allow_none=True)
    received_at = fields.DateTime(allow_none=True)
    received_by = fields.String(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    lines = fields.List(fields.Nested(DispatchLineSchema))


class DispatchListArgsSchema(PageArgsSchema):
    ORDERABLE = ("id", "reference", "created_at", "shipped_at", "status", "request", "city", "provider")
    status = fields.String(validate=validate.OneOf(list(DispatchStatus)))
    request_id = fields.Integer()
    provider_id = fields.Integer()
    city_id = fields.Integer()
    shipped_from = fields.Date(metadata={"description": "Shipped on or after this day (UTC)."})
    shipped_to = fields.Date(metadata={"description": "Shipped on or before this day (UTC)."})


class DiscrepancyListArgsSchema(PageArgsSchema):
    ORDERABLE = ("id", "received_at")
    provider_id = fields.Integer()
    city_id = fields.Integer()
    reason = fields.String(validate=validate.OneOf(REJECTION_REASONS))


class DiscrepancySchema(Schema):
    id = fields.Integer(metadata={"description": "The dispatch line."})
    dispatch_id = fields.Integer()
    dispatch_reference = fields.String()
    request_id = fields.Integer()
    request_line_id = fields.Integer()
    provider_id = fields.Integer()
    city_id = fields.Integer()
    item_id = fields.Integer()
    lot_id = fields.Integer()
    quantity = fields.Integer()
    accepted = fields.Integer()
    rejected = fields.Integer()
    reason = fields.String()
    note = fields.String(allow_none=True)
    received_at = fields.DateTime(allow_none=True)
    received_by = fields.String(allow_none=True)
    replaced = fields.Integer(metadata={"description": "Of the rejected units, those owed again (replaced)."})


class ReplaceSchema(StrictSchema):
    quantity = fields.Integer(
        validate=validate.Range(min=1),
        metadata={
            "description": "Units to replace; all the line's rejected units not yet replaced when left out."
        },
    )
    note = fields.String(validate=validate.Length(max=5000))
