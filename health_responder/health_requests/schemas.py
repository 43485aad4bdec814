"""Request schemas, by direction: *CreateSchema / *UpdateSchema load, *Schema dumps.

Rules that need the database (an item exists, the caller's city) are the services' to check; these
schemas check shapes, ranges and what needs no database (needed-by not in the past, judged in UTC), so a
form shows every such mistake after one submit. The services check needed-by again for their other callers.
"""

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from health_responder.db import utc_today
from health_responder.health_requests.models import Priority, RequestStatus
from health_responder.schemas import PageArgsSchema, StrictSchema, flatten

MAX_QUANTITY = 1_000_000
MAX_LINES = 200
_free_text = validate.Length(min=1, max=20_000)


def _line_count(lines: list) -> None:
    """A request has one line or more (said in words, not marshmallow's "Length must be between …")."""
    if not lines:
        raise ValidationError([_l("Add at least one item line.")])
    if len(lines) > MAX_LINES:
        raise ValidationError([_l("A request has at most %(max)s item lines.", max=MAX_LINES)])


class LineInputSchema(StrictSchema):
    item_id = fields.Integer(required=True, strict=True)
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_QUANTITY))


class _LinesMixin:
    def handle_error(self, error, data, **kwargs):
        """Name nested fields by their path (``lines.0.quantity``), as the services do."""
        raise ValidationError(flatten(error.messages)) from error

    # Also when another field is wrong (a missing date), so the form names every mistake at once.
    @validates_schema(skip_on_field_errors=False)
    def _distinct_items(self, data, **_kwargs):
        seen: dict[int, int] = {}
        for index, line in enumerate(data.get("lines") or []):
            item_id = line.get("item_id")
            if item_id in seen:
                raise ValidationError(
                    {
                        f"lines.{index}.item_id": [
                            _l(
                                "This item is already on line %(line)s: one line per item.",
                                line=seen[item_id] + 1,  # the line's place on the form, not an id
                            )
                        ]
                    }
                )
            seen[item_id] = index


class RequestUpdateSchema(_LinesMixin, StrictSchema):
    priority = fields.String(validate=validate.OneOf(list(Priority)))
    needed_by = fields.Date(metadata={"description": "ISO date, today or later."})
    justification = fields.String(validate=_free_text)
    delivery_contact = fields.String(allow_none=True, validate=validate.Length(max=2000))
    lines = fields.List(
        fields.Nested(LineInputSchema),
        validate=_line_count,
        metadata={"description": "Replaces every line of the draft."},
    )

    @validates("needed_by")
    def _not_in_the_past(self, value, **_kwargs):
        if value is not None and value < utc_today():
            raise ValidationError(
                _l("%(date)s is in the past: give today or a later day.", date=value.isoformat())
            )


class RequestCreateSchema(RequestUpdateSchema):
    city_id = fields.Integer(
        strict=True,
        metadata={
            "description": "Staff: the city the request is for. City users: their own city (may be left out)."
        },
    )
    priority = fields.String(load_default=Priority.NORMAL, validate=validate.OneOf(list(Priority)))
    needed_by = fields.Date(required=True, metadata={"description": "ISO date, today or later."})
    justification = fields.String(required=True, validate=_free_text)
    lines = fields.List(
        fields.Nested(LineInputSchema),
        required=True,
        validate=_line_count,
        metadata={"description": f"One line or more (at most {MAX_LINES}), one per item."},
    )


class LineSchema(Schema):
    id = fields.Integer()
    item_id = fields.Integer()
    quantity = fields.Integer()
    quantity_allocated = fields.Integer()
    quantity_dispatched = fields.Integer()
    quantity_received = fields.Integer()
    quantity_rejected = fields.Integer()
    quantity_replaced = fields.Integer(
        metadata={"description": "Rejected units a coordinator chose to replace: owed again."}
    )
    quantity_unfilled = fields.Integer(
        metadata={
            "description": "Owed but not (yet) allocated: the back-order (requested + replaced - allocated)."
        }
    )


class RequestSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    city_id = fields.Integer()
    status = fields.String()
    priority = fields.String()
    needed_by = fields.Date()
    justification = fields.String()
    delivery_contact = fields.String(allow_none=True)
    created_by_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime(allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    approved_at = fields.DateTime(allow_none=True)
    rejected_reason = fields.String(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    close_note = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(LineSchema))


class RequestListArgsSchema(PageArgsSchema):
    ORDERABLE = ("id", "reference", "needed_by", "created_at", "submitted_at", "priority", "status", "city")
    status = fields.String(validate=validate.OneOf(list(RequestStatus)))
    priority = fields.String(validate=validate.OneOf(list(Priority)))
    city_id = fields.Integer()
    network_id = fields.Integer()
    item_id = fields.Integer(metadata={"description": "Requests with a line of this item."})
    needed_by_from = fields.Date()
    needed_by_to = fields.Date()
    created_from = fields.Date(metadata={"description": "Created on or after this day (UTC)."})
    created_to = fields.Date(metadata={"description": "Created on or before this day (UTC)."})
    q = fields.String(
        validate=validate.Length(max=100),
        metadata={
            "description": "Words found in the reference, the city's name, an item's code or name, or the "
            "justification (case-insensitive; % and _ match themselves)."
        },
    )


class CsvArgsSchema(RequestListArgsSchema):
    page_size = fields.Integer(load_default=10_000, validate=validate.Range(min=1, max=10_000))


class EmptySchema(StrictSchema):
    """A transition without input."""


class CancelSchema(StrictSchema):
    reason = fields.String(validate=validate.Length(max=5000))


class RejectSchema(StrictSchema):
    reason = fields.String(required=True, validate=_free_text)


class CloseSchema(StrictSchema):
    note = fields.String(required=True, validate=_free_text)
