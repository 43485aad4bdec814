"""Shapes of the portal's statistics."""

from marshmallow import Schema, fields


class DurationSchema(Schema):
    count = fields.Integer()
    mean_hours = fields.Float(allow_none=True)
    median_hours = fields.Float(allow_none=True)


class StatsSchema(Schema):
    requests_by_network_and_status = fields.List(fields.Dict())
    fill_rate_by_network = fields.List(fields.Dict())
    lead_times = fields.Dict(keys=fields.String(), values=fields.Nested(DurationSchema))
    shortage_radar = fields.List(fields.Dict())
