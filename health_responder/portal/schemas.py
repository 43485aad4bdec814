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
    shortage_radar = fields.List(
        fields.Dict(),
        metadata={"description": "Per category, rolled up from the items (short = sum of item shortages)."},
    )
    shortage_radar_by_item = fields.List(
        fields.Dict(),
        metadata={"description": "Per item: open demand (owed remainders) against usable supply."},
    )
    unmet_demand = fields.List(
        fields.Dict(),
        metadata={"description": "Per network: requests closed short and the units still owed then."},
    )
    trained_staff_by_topic = fields.List(
        fields.Dict(),
        metadata={"description": "Per training topic: participants who completed, and their cities."},
    )
