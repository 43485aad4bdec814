"""Barcode schemas: what a scan is read from (load) and what it names (dump)."""

from marshmallow import Schema, fields, validate

from health_responder.dispatch.schemas import DispatchLineSchema
from health_responder.schemas import StrictSchema


class BarcodeParseSchema(StrictSchema):
    data = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={
            "description": "A GS1 element string: bracketed, (01)…(17)…(10)…, or raw as a scanner sends it "
            "(FNC1 as the group separator, ASCII 29, or '|'; a leading ]d2/]C1/]Q3 is read too).",
            "example": "(01)09506000134352(17)270331(10)LOT-42(21)SN-7",
            "allow_control": "\x1d",  # the GS1 group separator
        },
    )


class PickCheckSchema(Schema):
    line = fields.Nested(DispatchLineSchema, metadata={"description": "The line whose lot was scanned."})
    checked = fields.Integer(metadata={"description": "Lines of the dispatch checked so far."})
    lines = fields.Integer(metadata={"description": "Lines of the dispatch."})


class ScanSchema(Schema):
    gtin = fields.String(metadata={"description": "14 digits."})
    item_id = fields.Integer(allow_none=True)
    lot_code = fields.String(allow_none=True)
    expires_on = fields.Date(allow_none=True)
    serial = fields.String(allow_none=True)
    hri = fields.String(metadata={"description": "The bracketed human-readable form."})
