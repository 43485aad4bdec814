"""Forms of the alerts and checks pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, TextAreaField


class AlertFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    kind = SelectField(_l("Kind"), validate_choice=False)
    status = SelectField(_l("Status"), validate_choice=False)


class ResolveForm(FlaskForm):
    alert_id = HiddenField()
    note = TextAreaField(_l("Note (optional)"))


class RunForm(FlaskForm):
    dry_run = BooleanField(_l("Dry run: show what it would do, change nothing"))
