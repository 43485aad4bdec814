"""Forms of the training pages: enrolment, attendance, the program form and its action buttons."""

from __future__ import annotations

import zoneinfo

from flask_babel import get_timezone
from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    DateTimeLocalField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import Optional

from health_responder.forms import PageForm, optional_int
from health_responder.training.models import ProgramMode

#: Participant rows an enrolment form starts with (more on "add rows").
PARTICIPANT_SLOTS = 3


class ParticipantRow(Form):
    """One participant of the enrolment form (a sub-form: the CSRF token is the parent's)."""

    participant_name = StringField(_l("Participant's name"))
    participant_email = EmailField(_l("Participant's email"))


class EnrolForm(PageForm):
    """Several participants of one city, enrolled in one go (rows left empty are ignored)."""

    city_id = SelectField(_l("City"), coerce=optional_int, validate_choice=False)
    participants = FieldList(FormField(ParticipantRow), min_entries=PARTICIPANT_SLOTS, max_entries=100)


class AttendanceForm(PageForm):
    enrolment_id = HiddenField()
    status = SelectField(_l("Attendance"), validate_choice=False)


class AttendanceRow(Form):
    """One participant of the roster's attendance form."""

    enrolment_id = HiddenField()
    status = SelectField(_l("Attendance"), validate_choice=False)


class RosterForm(PageForm):
    """The whole roster's attendance, saved with one button (rows left as they were are not sent on)."""

    marks = FieldList(FormField(AttendanceRow), max_entries=500)


class CancelEnrolmentForm(PageForm):
    """A button: the token is all it carries."""


class ProgramActionForm(PageForm):
    """Publish or cancel a program: a button, the token is all it carries."""


def _user_timezone() -> zoneinfo.ZoneInfo:
    """The zone the user reads times in (Flask-Babel's choice); a datetime-local is typed in it too."""
    return zoneinfo.ZoneInfo(str(get_timezone() or "UTC"))


#: What a datetime-local input sends (with or without seconds); the first is how a value is shown.
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class ProgramForm(PageForm):
    """A whole program; types only here, every rule is the API schema's and the service's."""

    provider_id = SelectField(_l("Provider running it"), coerce=optional_int, validate_choice=False)
    title = StringField(_l("Title"))
    topic = SelectField(_l("Topic"), validate_choice=False)
    description = TextAreaField(_l("Description (optional)"))
    language = StringField(_l("Language of the teaching"), default="en")
    mode = SelectField(_l("Mode"), default=ProgramMode.ONLINE.value, validate_choice=False)
    venue = TextAreaField(_l("Venue (required on site)"))
    link = URLField(_l("Link for online participants (optional)"))
    starts_at = DateTimeLocalField(
        _l("Starts"), format=LOCAL_FORMATS, tz=_user_timezone, validators=[Optional()]
    )
    ends_at = DateTimeLocalField(_l("Ends"), format=LOCAL_FORMATS, tz=_user_timezone, validators=[Optional()])
    enrolment_deadline = DateField(_l("Enrolment deadline"), validators=[Optional()])
    capacity = IntegerField(_l("Capacity (seats)"), validators=[Optional()])
    networks = SelectMultipleField(_l("Open to networks"), coerce=int, validate_choice=False)
