"""The scorecard over the API: its period and its monthly figures."""

from marshmallow import Schema, fields

from health_responder.schemas import StrictSchema


class ScorecardArgsSchema(StrictSchema):
    period_from = fields.Date(
        data_key="from",
        metadata={"description": "First day, YYYY-MM-DD (default: 1st of the month 11 months ago)."},
    )
    period_to = fields.Date(data_key="to", metadata={"description": "Last day, YYYY-MM-DD (default: today)."})


class FiguresSchema(Schema):
    month = fields.String(allow_none=True, metadata={"description": "YYYY-MM; empty for the whole period."})
    fill_rate = fields.Float(
        allow_none=True, metadata={"description": "Units allocated of units asked where it had stock (0..1)."}
    )
    units_asked = fields.Integer()
    units_allocated = fields.Integer()
    on_time_rate = fields.Float(
        allow_none=True,
        metadata={"description": "Dispatches shipped within the priority's service level (0..1)."},
    )
    dispatches_shipped = fields.Integer()
    dispatches_on_time = fields.Integer()
    lead_time_p50_hours = fields.Float(
        allow_none=True, metadata={"description": "Approval to shipment, median."}
    )
    lead_time_p90_hours = fields.Float(
        allow_none=True, metadata={"description": "Approval to shipment, 90th pct."}
    )
    discrepancy_rate = fields.Float(
        allow_none=True,
        metadata={"description": "Units rejected at receipt of units shipped and received (0..1)."},
    )
    units_shipped_received = fields.Integer()
    units_rejected = fields.Integer()
    expiry_write_offs = fields.Integer(metadata={"description": "Units of its lots written off as expired."})


class ScorecardSchema(Schema):
    provider_id = fields.Function(lambda card: card.provider.id)
    provider_name = fields.Function(lambda card: card.provider.name)
    period_from = fields.Date(data_key="from")
    period_to = fields.Date(data_key="to")
    total = fields.Nested(FiguresSchema)
    months = fields.List(fields.Nested(FiguresSchema))
