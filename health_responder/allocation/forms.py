"""Forms of the allocation pages: allocating a suggested lot with a quantity, the one-click redistribution
of a lot near expiry.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField
from wtforms.validators import Optional


class AllocateForm(FlaskForm):
    line_id = HiddenField()
    lot_id = HiddenField()
    quantity = IntegerField(_l("Quantity"), validators=[Optional()])


class RedistributeForm(FlaskForm):
    #: The request line the lot goes to (its quantity: what the lot can give of what the line needs).
    line_id = HiddenField()
