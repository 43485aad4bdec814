"""Stock schemas, by direction: *CreateSchema / *UpdateSchema / *ArgsSchema load, the others dump."""

from flask_babel import lazy_gettext as _l
from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates, validates_schema

from health_responder.schemas import PageArgsSchema, StrictSchema
from health_responder.stock.models import ADJUSTMENT_REASONS, LotStatus, MovementKind

_status = validate.OneOf([s.value for s in LotStatus])
_lot_code = validate.Length(min=1, max=80)
_note = validate.Length(max=2000)


class LotSchema(Schema):
    id = fields.Integer()
    provider_id = fields.Integer()
    item_id = fields.Integer()
    location_id = fields.Integer()
    lot_code = fields.String()
    expires_on = fields.Date(allow_none=True)
    status = fields.String()
    on_hand = fields.Integer()
    reserved = fields.Integer(metadata={"description": "Units promised to allocations and not yet shipped."})
    available = fields.Integer(metadata={"description": "on_hand - reserved."})
    created_at = fields.DateTime()
    updated_at = fields.DateTime(allow_none=True)


class LotCreateSchema(StrictSchema):
    gs1 = fields.String(
        validate=validate.Length(min=1, max=500),
        metadata={
            "description": "A scanned GS1 element string, in place of item_id, lot_code and expires_on: "
            "its GTIN (01) names the item, (10) the lot, (17) the expiry date.",
            "example": "(01)09506000134352(17)270331(10)LOT-42",
            "allow_control": "\x1d",  # the GS1 group separator
        },
    )
    item_id = fields.Integer(metadata={"description": "Required unless gs1 is given."})
    location_id = fields.Integer(
        required=True, metadata={"description": "The lot's provider is the location's."}
    )
    lot_code = fields.String(validate=_lot_code, metadata={"description": "Required unless gs1 is given."})
    expires_on = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "Empty for equipment that does not expire; not in the past."},
    )
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10_000_000))
    status = fields.String(load_default=LotStatus.AVAILABLE.value, validate=_status)
    note = fields.String(load_default=None, allow_none=True, validate=_note)

    @validates_schema
    def _named_once(self, data, **_kwargs):
        if "gs1" in data:
            given = [name for name in ("item_id", "lot_code") if name in data]
            if data.get("expires_on") is not None:
                given.append("expires_on")
            if given:
                raise ValidationError(
                    {name: [_l("Leave it out: the gs1 barcode gives it.")] for name in given}
                )
            return
        missing = {
            name: [_l("Missing data for required field.")]
            for name in ("item_id", "lot_code")
            if name not in data
        }
        if missing:
            raise ValidationError(missing)

    @post_load
    def _barcode_gives_expiry(self, data, **_kwargs):
        if "gs1" in data:
            data.pop("expires_on", None)
        return data


class LotUpdateSchema(StrictSchema):
    status = fields.String(validate=_status, metadata={"description": "A recalled lot stays recalled."})
    expires_on = fields.Date(allow_none=True)
    lot_code = fields.String(validate=_lot_code)
    note = fields.String(
        allow_none=True, validate=_note, metadata={"description": "Why; kept in the audit trail."}
    )

    @validates_schema
    def _something(self, data, **_kwargs):
        if not set(data) - {"note"}:
            raise ValidationError([_l("Give at least one of status, expires_on, lot_code.")], "_schema")


class LotStatusChangeSchema(StrictSchema):
    """Quarantine, recall or release a lot from its card: the new status and, always, why."""

    status = fields.String(required=True, validate=_status)
    note = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=2000, error=_l("1 to 2000 characters."))],
        metadata={"description": "Why; kept in the audit trail."},
    )


class LotFilterSchema(StrictSchema):
    item_id = fields.Integer()
    location_id = fields.Integer()
    provider_id = fields.Integer()
    status = fields.String(validate=_status)
    expires_before = fields.Date(
        metadata={"description": "Lots expiring before this date (undated lots excluded)."}
    )
    expires_after = fields.Date(
        metadata={"description": "Lots expiring after this date (undated lots excluded)."}
    )
    available_min = fields.Integer(validate=validate.Range(min=0))
    q = fields.String(
        validate=validate.Length(max=100),
        metadata={"description": "Part of the lot code (case-insensitive; % and _ match themselves)."},
    )


class LotListArgsSchema(PageArgsSchema, LotFilterSchema):
    ORDERABLE = (
        "id",
        "expires_on",
        "lot_code",
        "available",
        "on_hand",
        "reserved",
        "status",
        "item",
        "provider",
        "location",
    )


class AdjustmentCreateSchema(StrictSchema):
    delta = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=-10_000_000, max=10_000_000),
        metadata={"description": "Units added (positive) or removed (negative); not 0."},
    )
    reason = fields.String(required=True, validate=validate.OneOf(ADJUSTMENT_REASONS))
    note = fields.String(load_default=None, allow_none=True, validate=_note)

    @validates("delta")
    def _not_zero(self, value, **_kwargs):
        if value == 0:
            raise ValidationError([_l("Must not be 0.")])


class MovementSchema(Schema):
    id = fields.Integer()
    lot_id = fields.Integer()
    kind = fields.String()
    delta_on_hand = fields.Integer()
    delta_reserved = fields.Integer()
    reason = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    actor_label = fields.String()
    reference_type = fields.String(allow_none=True)
    reference_id = fields.Integer(allow_none=True)
    job_run_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class MovementListArgsSchema(PageArgsSchema):
    ORDERABLE = ("id", "created_at")
    kind = fields.String(validate=validate.OneOf([k.value for k in MovementKind]))


class LevelSchema(Schema):
    item_id = fields.Integer()
    code = fields.String()
    name = fields.String()
    category = fields.String()
    unit = fields.String()
    on_hand = fields.Integer()
    reserved = fields.Integer()
    available = fields.Integer(metadata={"description": "Sum of on_hand - reserved over the lots."})
    allocatable = fields.Integer(metadata={"description": "Available units in available, unexpired lots."})
    on_hold = fields.Integer(metadata={"description": "On hand in quarantined or recalled lots."})
    expired = fields.Integer(metadata={"description": "On hand in available lots past their expiry date."})
    lots = fields.Integer()
    providers = fields.Integer()


class LevelArgsSchema(PageArgsSchema):
    ORDERABLE = ("item_id", "code", "name", "category", "on_hand", "reserved", "available", "allocatable")
    item_id = fields.Integer()
    category = fields.String(validate=validate.Length(max=40))
    provider_id = fields.Integer()
    network_id = fields.Integer(metadata={"description": "Lots of providers serving this network."})


class ImportArgsSchema(StrictSchema):
    dry_run = fields.Boolean(load_default=False, metadata={"description": "Check every row, write nothing."})
    provider_id = fields.Integer(
        metadata={"description": "Whose lots (coordinators and admins; a provider user imports its own)."}
    )


class ImportFileSchema(Schema):
    file = Upload(
        required=True,
        metadata={
            "description": "CSV, UTF-8, header: item_code, location, lot_code, "
            "expires_on, quantity [, status, note]."
        },
    )


class RowErrorSchema(Schema):
    line = fields.Integer()
    field = fields.String()
    message = fields.String()


class ImportReportSchema(Schema):
    dry_run = fields.Boolean()
    rows = fields.Integer()
    created = fields.Integer()
    errors = fields.List(fields.Nested(RowErrorSchema))
    lot_ids = fields.List(fields.Integer())
