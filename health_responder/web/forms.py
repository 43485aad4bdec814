"""The login form, and the helpers every page form uses: ``perform`` (load, call, commit, flash) and the API's errors.

A page form is a Flask-WTF form (CSRF, labels, input kept on error). After WTForms has parsed the
types, the page loads the same marshmallow schema the API loads and calls the same service; the
messages of either (``ValidationError.messages``, ``DomainError.errors``) are put next to the field
they name, so a person sees what an API client would read, in the page's language (``i18n.translate``).
They go onto the form as text: a lazy string would reach the template unescaped (its ``__html__``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import flash
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from marshmallow import Schema, ValidationError
from wtforms import EmailField, Field, FieldList, FormField, PasswordField
from wtforms.validators import DataRequired, Length

from health_responder.errors import DomainError, Forbidden, NotFound, Unauthorized
from health_responder.extensions import db
from health_responder.schemas import flatten
from health_responder.web.i18n import translate

T = TypeVar("T")


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=500)])


def _field(form: FlaskForm, dotted: str) -> Field | None:
    """The form field a dotted error key names: ``lines.0.item_id`` → ``form.lines[0].item_id``."""
    current = form
    for part in dotted.split("."):
        if part.isdigit():
            entries = getattr(current, "entries", None)
            if entries is None or int(part) >= len(entries):
                return None
            current = entries[int(part)]
        else:
            target = getattr(current, "form", current)  # a FormField holds its sub-form
            current = target._fields.get(part) if hasattr(target, "_fields") else None
            if current is None:
                return None
    return current if isinstance(current, Field) else None


def show_errors(form: FlaskForm, errors: dict, aliases: dict[str, str] | None = None) -> None:
    """Put each message, in the page's language, next to the field it names; messages of no field go above."""
    for key, found in flatten(errors).items():
        messages = [translate(message) for message in found]
        field = _field(form, (aliases or {}).get(key, key))
        if field is None or field.name == "csrf_token":
            form.form_errors.extend(messages)
        else:
            field.errors = [*field.errors, *messages]


def error_entries(form: FlaskForm) -> list[tuple[str, str, list[str]]]:
    """Every field of ``form`` that shows an error, in form order: ``(id, label, messages)`` for the summary.

    A field of a repeated group is named by its label and its place on the form ("Quantity, line 3"),
    the number a person sees, never a database id.
    """
    found: list[tuple[str, str, list[str]]] = []

    def walk(fields, place: str | None) -> None:
        for field in fields:
            if field.name.endswith("csrf_token"):
                continue
            if isinstance(field, FieldList):
                for index, entry in enumerate(field.entries):
                    walk([entry] if not isinstance(entry, FormField) else entry.form, str(index + 1))
            elif isinstance(field, FormField):
                walk(field.form, place)
            elif field.errors:
                text = str(field.label.text)
                if place is not None:
                    text = gettext("%(field)s, line %(n)s", field=text, n=place)
                found.append((field.id, text, [str(message) for message in field.errors]))

    walk(form, None)
    return found


def error_summary(form: FlaskForm) -> dict:
    """What a form's error summary shows, each problem once: ``{"lead", "general", "entries", "count"}``.

    ``entries`` are the fields' (``error_entries``); ``general`` the messages of no field, less any a
    field already shows. A refusal that also names fields (a duplicate lot: "Lot 'A' … already exists"
    and, at the lot code, "Already exists …") is one problem: its headline is the ``lead``, said
    above the list and not counted as another thing to fix.
    """
    entries = error_entries(form)
    at_fields = {message for _id, _label, messages in entries for message in messages}
    general = [message for message in form.form_errors if message not in at_fields]
    headline = getattr(form, "error_headline", None)
    lead = None
    if entries and headline in general:
        general.remove(headline)
        lead = headline
    return {"lead": lead, "general": general, "entries": entries, "count": len(general) + len(entries)}


def attempt(
    form: FlaskForm, action: Callable[[], T], aliases: dict[str, str] | None = None
) -> tuple[T | None, int]:
    """Run ``action`` (load the API schema, call the service, commit); ``(result, 200)`` when it went through.

    On bad input or a state that forbids it, nothing is kept (rollback), the messages go onto the form
    and the status is the API's (422, or 409 for a conflict). A record that is not there or not the
    caller's is not a form error: NotFound and Forbidden go to the error page.
    """
    try:
        return action(), 200
    except ValidationError as error:
        db.session.rollback()
        show_errors(form, error.messages, aliases)
        return None, 422
    except (NotFound, Forbidden, Unauthorized):
        raise
    except DomainError as error:
        db.session.rollback()
        message = translate(error.message)
        if message not in form.form_errors:
            form.form_errors.insert(0, message)
        form.error_headline = message  # the refusal as a whole (error_summary leads with it)
        show_errors(form, error.errors, aliases)
        return None, error.code


def perform(
    form: FlaskForm,
    action: Callable[[], T],
    *,
    done: str | Callable[[T], str] | None = None,
    aliases: dict[str, str] | None = None,
) -> tuple[T | None, int]:
    """The one step behind a page's POST: run ``action`` (load the API schema, call the service), commit, flash.

    ``done`` is the success message (or makes it from the result). Errors go onto the form as in
    ``attempt``; the caller renders the page again with the returned status, or redirects on success.
    """

    def run() -> T:
        result = action()
        db.session.commit()
        return result

    result, status = attempt(form, run, aliases)
    if result is not None and done is not None:
        flash(done(result) if callable(done) else done, "success")
    return result, status


def commit(result: T = None) -> T:
    """Commit the request's work (a page that writes without a form, e.g. a PDF registered on GET)."""
    db.session.commit()
    return result


def rollback() -> None:
    """Forget the request's unfinished work (a dry run, or an error shown as a flash)."""
    db.session.rollback()


def load(schema: type[Schema], payload: dict) -> dict:
    """Load ``payload`` with the API's input schema (raises its ValidationError)."""
    return schema().load(payload)


def status_of(form: FlaskForm, status: int = 200) -> int:
    """422 for a posted form that shows errors (unless a more precise status is known), else ``status``."""
    if status != 200:
        return status
    return 422 if form.is_submitted() and (form.errors or form.form_errors) else 200
