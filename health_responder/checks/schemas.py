"""Schemas of job runs, checks and alerts, by direction."""

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from health_responder.checks.models import ALERT_KINDS, AlertStatus
from health_responder.scheduler.models import RunOutcome
from health_responder.schemas import PageArgsSchema, StrictSchema

#: A day range whose end comes before its start (the alert list's ``raised_from``/``raised_to``).
RANGE_REVERSED = _l("Must be on or after the day in “Raised from”.")


def reversed_range(first, last) -> bool:
    """Whether a range of days ends before it starts (an open end never does)."""
    return first is not None and last is not None and last < first


class JobRunSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    scheduled_for = fields.DateTime()
    trigger = fields.String()
    dry_run = fields.Boolean()
    started_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    lease_until = fields.DateTime(allow_none=True)
    outcome = fields.String(metadata={"description": "running, succeeded, failed or abandoned."})
    counts = fields.Dict(
        allow_none=True, metadata={"description": "What the run did (a dry run: what it would do)."}
    )
    error = fields.String(
        allow_none=True, metadata={"description": "The error's message when the run failed."}
    )
    runner = fields.String(allow_none=True)
    requested_by_id = fields.Integer(allow_none=True)


class CheckSchema(Schema):
    name = fields.String()
    description = fields.String()
    interval_seconds = fields.Integer(allow_none=True, metadata={"description": "Empty: run on demand only."})
    next_tick = fields.DateTime(allow_none=True)
    last_run = fields.Nested(JobRunSchema, allow_none=True)


class JobRunListArgsSchema(PageArgsSchema):
    ORDERABLE = ("id", "started_at", "scheduled_for", "name")
    name = fields.String(validate=validate.Length(max=60))
    outcome = fields.String(validate=validate.OneOf(list(RunOutcome)))
    trigger = fields.String(validate=validate.OneOf(["schedule", "manual", "cli"]))


class JobRunRequestSchema(StrictSchema):
    dry_run = fields.Boolean(load_default=False)


class AlertSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    severity = fields.String()
    dedup_key = fields.String()
    status = fields.String()
    message = fields.String()
    details = fields.Dict(allow_none=True)
    subject_type = fields.String(allow_none=True)
    subject_id = fields.Integer(allow_none=True)
    city_id = fields.Integer(allow_none=True)
    provider_id = fields.Integer(allow_none=True)
    job_run_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)
    resolved_by_id = fields.Integer(allow_none=True)
    resolution = fields.String(allow_none=True)


class AlertListArgsSchema(PageArgsSchema):
    ORDERABLE = ("id", "created_at", "kind", "severity", "status", "city", "provider", "concerns")
    kind = fields.String(validate=validate.OneOf(ALERT_KINDS))
    status = fields.String(validate=validate.OneOf(list(AlertStatus)))
    city_id = fields.Integer()
    provider_id = fields.Integer()
    raised_from = fields.Date(metadata={"description": "Raised on or after this day (UTC)."})
    raised_to = fields.Date(metadata={"description": "Raised on or before this day (UTC)."})

    @validates_schema
    def _range_in_order(self, data, **_kwargs):
        if reversed_range(data.get("raised_from"), data.get("raised_to")):
            raise ValidationError({"raised_to": [RANGE_REVERSED]})


class AlertResolveSchema(StrictSchema):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


#: The most alerts one batch resolves (a page of the alerts table holds 50).
MAX_BATCH = 200


class AlertBatchResolveSchema(StrictSchema):
    alert_ids = fields.List(
        fields.Integer(strict=True),
        required=True,
        validate=validate.Length(min=1, max=MAX_BATCH, error=_l("Choose 1 to 200 alerts.")),
        metadata={
            "description": "The open alerts to resolve: all of them, or none (409) if one is not open."
        },
    )
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
