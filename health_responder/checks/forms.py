"""Forms of the alerts and checks pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, HiddenField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import Optional

from health_responder.forms import PageForm, optional_int


class AlertFilterForm(PageForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    kind = SelectField(_l("Kind"), validate_choice=False)
    status = SelectField(_l("Status"), validate_choice=False)
    city_id = SelectField(_l("City"), coerce=optional_int, validate_choice=False)
    provider_id = SelectField(_l("Provider"), coerce=optional_int, validate_choice=False)
    raised_from = DateField(_l("Raised from"), validators=[Optional()])
    raised_to = DateField(_l("Raised until"), validators=[Optional()])


class BatchResolveForm(PageForm):
    #: The ticked rows of the alerts table (checkboxes drawn by the table itself).
    alert_ids = SelectMultipleField(_l("Alerts"), validate_choice=False)
    note = TextAreaField(_l("Note for every chosen alert (optional)"))


class ResolveForm(PageForm):
    alert_id = HiddenField()
    note = TextAreaField(_l("Note (optional)"))


class RunForm(PageForm):
    dry_run = BooleanField(_l("Dry run: show what it would do, change nothing"))
