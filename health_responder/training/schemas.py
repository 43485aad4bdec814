"""Training schemas, by direction: *CreateSchema / *UpdateSchema / *ArgsSchema load, *Schema dumps."""

from __future__ import annotations

from datetime import UTC

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from health_responder.materials.schemas import MaterialSchema, language_tag
from health_responder.reference.schemas import _timezone
from health_responder.schemas import PageArgsSchema, StrictSchema
from health_responder.training import rules
from health_responder.training.models import ATTENDANCE_STATUSES, EnrolmentStatus, ProgramMode, ProgramStatus

_language = language_tag
_topic = validate.Length(min=1, max=40)
_url = validate.URL(schemes={"http", "https"}, error=_l("An http or https URL."))
_capacity = validate.Range(min=1, max=100_000, error=_l("Must be between 1 and 100000."))


def _when(**kwargs) -> fields.AwareDateTime:
    """An ISO 8601 date-time; without an offset it is read as UTC."""
    return fields.AwareDateTime(default_timezone=UTC, **kwargs)


class _NetworkRef(fields.Field):
    """A network by id (``3``) or by code (``"CJK"``)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValidationError([_l("A network id or code.")])
        if isinstance(value, str) and not 1 <= len(value.strip()) <= 20:
            raise ValidationError([_l("A network id or code.")])
        return value.strip() if isinstance(value, str) else value


class ProgramUpdateSchema(StrictSchema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    topic = fields.String(validate=_topic)
    description = fields.String(allow_none=True, validate=validate.Length(max=10000))
    language = fields.String(validate=_language)
    mode = fields.String(validate=validate.OneOf([m.value for m in ProgramMode]))
    venue = fields.String(allow_none=True, validate=validate.Length(max=2000))
    link = fields.String(allow_none=True, validate=[validate.Length(max=500), _url])
    join_url = fields.String(
        allow_none=True,
        validate=[validate.Length(max=500), _url],
        metadata={
            "description": "A webinar's join link (shown to its provider, staff and enrolled cities only)."
        },
    )
    recording_url = fields.String(allow_none=True, validate=[validate.Length(max=500), _url])
    timezone = fields.String(validate=_timezone, metadata={"description": "IANA time zone, e.g. Asia/Seoul."})
    starts_at = _when()
    ends_at = _when()
    enrolment_deadline = fields.Date()
    capacity = fields.Integer(validate=_capacity)
    networks = fields.List(
        _NetworkRef(),
        validate=validate.Length(max=50),
        metadata={"description": "Networks (ids or codes) whose cities may enrol; empty: all."},
    )

    @validates_schema(skip_on_field_errors=False)
    def _fits_together(self, data, **_kwargs):
        """The cross-field rules on what was sent, reported with the fields' own errors in one answer. An
        update leaves the mode's rules (venue, join link) to the service, which judges the whole program:
        the venue may be there already.
        """
        errors = rules.program_conflicts(
            starts_at=data.get("starts_at"),
            ends_at=data.get("ends_at"),
            enrolment_deadline=data.get("enrolment_deadline"),
            mode=data.get("mode") if self._whole else None,
            venue=data.get("venue"),
            join_url=data.get("join_url"),
        )
        if errors:
            raise ValidationError(errors)

    #: A create sends the whole program; an update may send one field (the service judges the rest).
    _whole = False


class ProgramCreateSchema(ProgramUpdateSchema):
    _whole = True
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    topic = fields.String(required=True, validate=_topic)
    language = fields.String(load_default="en", validate=_language)
    mode = fields.String(
        load_default=ProgramMode.ONLINE.value, validate=validate.OneOf([m.value for m in ProgramMode])
    )
    starts_at = _when(required=True)
    ends_at = _when(required=True)
    enrolment_deadline = fields.Date(required=True)
    capacity = fields.Integer(required=True, validate=_capacity)
    networks = fields.List(_NetworkRef(), load_default=list, validate=validate.Length(max=50))
    published = fields.Boolean(load_default=True, metadata={"description": "False keeps it a draft."})
    provider_id = fields.Integer(
        metadata={"description": "The provider running it (coordinators must give it)."}
    )


class NetworkRefSchema(Schema):
    id = fields.Integer()
    code = fields.String()


class ProgramSchema(Schema):
    id = fields.Integer()
    provider_id = fields.Integer()
    title = fields.String()
    topic = fields.String()
    description = fields.String(allow_none=True)
    language = fields.String()
    mode = fields.String()
    venue = fields.String(allow_none=True)
    link = fields.String(allow_none=True)
    join_url = fields.String(
        allow_none=True,
        metadata={
            "description": "A webinar's join link; null unless the caller is its provider, staff or "
            "a city with a participant holding a seat."
        },
    )
    recording_url = fields.String(allow_none=True)
    timezone = fields.String()
    calendar_url = fields.String(metadata={"description": "The program's iCalendar file."})
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    enrolment_deadline = fields.Date()
    capacity = fields.Integer()
    seats_taken = fields.Integer()
    seats_left = fields.Integer()
    waitlisted = fields.Integer(metadata={"description": "Participants waiting for a seat."})
    status = fields.String()
    networks = fields.List(fields.Nested(NetworkRefSchema), metadata={"description": "Empty: open to all."})
    created_at = fields.DateTime()
    published_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)


class ProgramDetailSchema(ProgramSchema):
    materials = fields.List(
        fields.Nested(MaterialSchema), metadata={"description": "Materials on its topic."}
    )


class ProgramListArgsSchema(PageArgsSchema):
    ORDERABLE = ("id", "starts_at", "title", "capacity")
    topic = fields.String(validate=_topic)
    language = fields.String(validate=_language)
    mode = fields.String(validate=validate.OneOf([m.value for m in ProgramMode]))
    status = fields.String(validate=validate.OneOf([s.value for s in ProgramStatus]))
    starts_from = fields.Date(metadata={"description": "Programs starting on or after this day (UTC)."})
    starts_to = fields.Date(metadata={"description": "Programs starting on or before this day (UTC)."})
    has_seats = fields.Boolean(
        metadata={"description": "Only programs with (true) or without (false) free seats."}
    )
    provider_id = fields.Integer()
    q = fields.String(validate=validate.Length(max=200), metadata={"description": "Part of the title."})


class EnrolmentCreateSchema(StrictSchema):
    participant_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    participant_email = fields.Email(required=True, validate=validate.Length(max=254))
    city_id = fields.Integer(metadata={"description": "The participant's city (staff must give it)."})

    @validates("participant_name")
    def _not_blank(self, value: str, **_kwargs) -> None:
        if not value.strip():
            raise ValidationError([_l("Must not be blank.")])


class EnrolmentSchema(Schema):
    id = fields.Integer()
    program_id = fields.Integer()
    city_id = fields.Integer()
    participant_name = fields.String()
    participant_email = fields.String()
    status = fields.String()
    waitlist_position = fields.Integer(
        allow_none=True,
        metadata={
            "description": "Waitlist ticket while waitlisted: the lowest ticket is promoted first. Tickets are "
            "kept, not renumbered, when someone ahead leaves the list."
        },
    )
    enrolled_by_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    promoted_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    marked_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)


class EnrolmentListArgsSchema(PageArgsSchema):
    ORDERABLE = ("id", "created_at", "waitlist_position", "participant_name", "status")
    status = fields.String(validate=validate.OneOf([s.value for s in EnrolmentStatus]))
    city_id = fields.Integer()
    program_id = fields.Integer()


class AttendanceSchema(StrictSchema):
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in ATTENDANCE_STATUSES]))


#: Most rows one batch (of enrolments or attendance marks) may carry.
MAX_BATCH = 100


class ParticipantSchema(EnrolmentCreateSchema):
    """One row of an enrolment batch: the participant's name and email (the city is the batch's)."""

    class Meta:
        exclude = ("city_id",)


class EnrolmentBatchSchema(StrictSchema):
    participants = fields.List(
        fields.Nested(ParticipantSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_BATCH),
        metadata={"description": "Enrolled in this order: seats first, then waitlist tickets. All or none."},
    )
    city_id = fields.Integer(metadata={"description": "The participants' city (staff must give it)."})


class AttendanceMarkSchema(AttendanceSchema):
    enrolment_id = fields.Integer(required=True, strict=True)


class AttendanceBatchSchema(StrictSchema):
    marks = fields.List(
        fields.Nested(AttendanceMarkSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_BATCH),
        metadata={"description": "Each participant's attendance; all or none."},
    )


class ReadinessArgsSchema(StrictSchema):
    city_id = fields.Integer(metadata={"description": "Staff must give it; a city user sees its own."})


class ReadinessTopicSchema(Schema):
    topic = fields.String()
    name = fields.String()
    name_ko = fields.String(allow_none=True, metadata={"description": "The name Korean pages show, if any."})
    ready = fields.Boolean(metadata={"description": "Some staff of the city completed a program on it."})
    completed = fields.Integer(metadata={"description": "Completions on this topic by the city's staff."})
    last_completed_at = fields.DateTime(allow_none=True)
    items = fields.List(fields.String(), metadata={"description": "Codes of items that require this topic."})


class ReadinessSchema(Schema):
    city_id = fields.Integer()
    topics = fields.List(fields.Nested(ReadinessTopicSchema))
