"""The dispatch summary's period and language form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from health_responder.forms import PageForm


class SummaryForm(PageForm):
    class Meta:
        csrf = False  # a GET that prints; it changes no data a person could be tricked into changing

    period_from = DateField(_l("From"), validators=[Optional()])
    period_to = DateField(_l("To"), validators=[Optional()])
    #: Choices are the configured languages (set by the page); empty: the language of whoever prints.
    lang = SelectField(
        _l("Language of the document"), choices=[], validators=[Optional()], validate_choice=False
    )
