"""Pieces every feature's ``forms.py`` shares.

They live here, not in ``web/``, because a feature's modules other than ``pages.py`` do not import the
web frame (shared modules point one way); ``web.parsing`` holds the helpers that read the request.
"""

from __future__ import annotations

from flask import g, has_request_context
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from wtforms import HiddenField


def optional_int(value) -> int | None:
    """A select box's id (``coerce=``): empty, ``"None"`` or missing is no choice."""
    return int(value) if value not in (None, "", "None") else None


class PageForm(FlaskForm):
    """The base of every page form: a Flask-WTF form that, on a page opened to bring back what was typed
    into a refused POST (an ended session, an expired CSRF token: ``web.stash``), shows those values.

    The kept values are in ``g.restored_form``. A form takes them when they name one of its fields, and
    every hidden field they name holds the same value in this form too, so of the many small forms of a
    page (one per line, per lot …) only the one that was sent is filled.
    """

    def __init__(self, formdata=_Auto, **kwargs) -> None:
        super().__init__(formdata, **kwargs)
        restored = g.get("restored_form") if has_request_context() and not self.is_submitted() else None
        if restored is not None and self._sent(restored):
            values = {key: value for key, value in kwargs.items() if key not in ("prefix", "meta")}
            self.process(restored, **values)

    def _sent(self, restored) -> bool:
        names = [field.name for field in self if not field.name.endswith("csrf_token")]
        if not any(key == name or key.startswith(f"{name}-") for key in restored for name in names):
            return False
        return all(
            restored.get(field.name) == str(field.data if field.data is not None else "")
            for field in self
            if isinstance(field, HiddenField)
            and field.name in restored
            and not field.name.endswith("csrf_token")
        )
