"""City profile schemas, by direction."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from health_responder.schemas import StrictSchema


class CityProfileUpdateSchema(StrictSchema):
    population = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=100_000_000))
    health_system_summary = fields.String(allow_none=True, validate=validate.Length(max=10000))


class ContactSchema(Schema):
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class CityProfileSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    country = fields.String()
    network = fields.String()
    network_name = fields.String()
    population = fields.Integer(allow_none=True)
    health_system_summary = fields.String(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)
    equipment_received = fields.List(
        fields.Dict(), metadata={"description": "Units accepted per month and item category."}
    )
    staff_trained = fields.List(fields.Dict(), metadata={"description": "Completions per training topic."})
    programs_attended = fields.List(fields.Dict())
    readiness = fields.List(
        fields.Dict(), metadata={"description": "Per topic: whether some staff completed it."}
    )
    contact = fields.Nested(
        ContactSchema, allow_none=True, metadata={"description": "Members only: null for visitors."}
    )
