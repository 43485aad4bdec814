"""The regional office form (admins)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectField, SelectMultipleField, StringField, TextAreaField

from health_responder.forms import PageForm


class OfficeForm(PageForm):
    network = SelectField(_l("Network"), choices=[])
    name = StringField(_l("Name"))
    address = TextAreaField(_l("Address"))
    country = StringField(_l("Country"))
    contact_name = StringField(_l("Contact"))
    contact_email = EmailField(_l("Email"))
    contact_phone = StringField(_l("Phone"))
    languages = StringField(_l("Languages"))
    timezone = StringField(_l("Time zone"))
    city_ids = SelectMultipleField(_l("Cities served"), choices=[], coerce=int)
