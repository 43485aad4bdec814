"""The scorecard's period form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField
from wtforms.validators import Optional

from health_responder.forms import PageForm


class ScorecardPeriodForm(PageForm):
    """The period a scorecard covers (a GET filter: no CSRF token)."""

    class Meta:
        csrf = False

    period_from = DateField(_l("From"), validators=[Optional()])
    period_to = DateField(_l("To"), validators=[Optional()])
