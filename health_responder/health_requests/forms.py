"""Forms of the request pages: a new request (or a draft being changed) with its lines, the reason and
note boxes of transitions, and the triage queue's filter (allocating: allocation.forms).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional

from health_responder.forms import PageForm, optional_int
from health_responder.health_requests.models import Priority

#: Line boxes a new request form starts with (more on "add a line").
LINE_SLOTS = 3


class LineForm(Form):
    """One line of a new request (a sub-form: the CSRF token is the parent's)."""

    item_id = SelectField(_l("Item"), coerce=optional_int, validate_choice=False)
    quantity = IntegerField(_l("Quantity"), validators=[Optional()])
    #: Ticked on a draft's form: the line is taken off when the draft is saved.
    remove = BooleanField(_l("Remove this line"))


class RequestForm(PageForm):
    city_id = SelectField(_l("City"), coerce=optional_int, validate_choice=False)
    priority = SelectField(_l("Priority"), default=Priority.NORMAL.value, validate_choice=False)
    needed_by = DateField(_l("Needed by"), validators=[Optional()])
    justification = TextAreaField(_l("Justification"))
    delivery_contact = TextAreaField(_l("Delivery contact (optional)"))
    lines = FieldList(FormField(LineForm), min_entries=LINE_SLOTS, max_entries=50)


class ReasonForm(PageForm):
    reason = TextAreaField(_l("Reason"))


class RejectForm(PageForm):
    """The association declines the request: the reason is required, and the city reads it."""

    reason = TextAreaField(_l("Why it is rejected (the city reads this)"))


class CancelForm(PageForm):
    """The request is called off (no longer needed, made by mistake): the reason is optional."""

    reason = TextAreaField(_l("Why it is cancelled (optional)"))


class NoteForm(PageForm):
    note = TextAreaField(_l("Note"))


class QueueFilterForm(PageForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    status = SelectField(_l("Status"), validate_choice=False)
    priority = SelectField(_l("Priority"), validate_choice=False)
    network_id = SelectField(_l("Network"), coerce=optional_int, validate_choice=False)
    item_id = SelectField(_l("Item"), coerce=optional_int, validate_choice=False)
    q = StringField(_l("Search"))
