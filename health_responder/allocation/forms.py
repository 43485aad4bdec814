"""Forms of the allocation pages: allocating a suggested lot with a quantity, the one-click redistribution
of a lot near expiry.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField
from wtforms.validators import Optional

from health_responder.forms import PageForm


class AllocateForm(PageForm):
    line_id = HiddenField()
    lot_id = HiddenField()
    quantity = IntegerField(_l("Quantity"), validators=[Optional()])


class RedistributeForm(PageForm):
    #: The request line the lot goes to (its quantity: what the lot can give of what the line needs).
    line_id = HiddenField()
