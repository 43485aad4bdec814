"""Forms of the allocation pages: the one-click redistribution of a lot near expiry."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField


class RedistributeForm(FlaskForm):
    #: The request line the lot goes to (its quantity: what the lot can give of what the line needs).
    line_id = HiddenField()
