"""The publication form of the Data Portal (coordinators and admins)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, SelectMultipleField, StringField, TextAreaField, URLField
from wtforms.validators import Optional

from health_responder.forms import PageForm


class PublicationForm(PageForm):
    title = StringField(_l("Title"))
    kind = SelectField(_l("Kind"), choices=[])
    published_on = DateField(_l("Publication date"), validators=[Optional()])
    summary = TextAreaField(_l("Summary"))
    partners = StringField(_l("Partners"))
    topics = SelectMultipleField(_l("Topics"), choices=[])
    networks = SelectMultipleField(_l("Networks"), choices=[])
    url = URLField(_l("Link"))
    file = FileField(_l("PDF file"))


class PublicationSearchForm(PageForm):
    """The filters above the list (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"))
    kind = SelectField(_l("Kind"), choices=[], validate_choice=False)
    topic = SelectField(_l("Topic"), choices=[], validate_choice=False)
    network = SelectField(_l("Network"), choices=[], validate_choice=False)
