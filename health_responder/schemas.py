"""The bases of every feature's schemas: strict input, paging arguments, and one ``flatten``.

Features import these (never the API frame in ``api/``): the API and the pages load the same schemas.
Messages of the schemas are lazy strings (English in the API, the page's language on a page), always
inside a list: marshmallow keeps a ``ValidationError`` message that is not a ``str`` as it is, so a lone
lazy string would not become the one-element list the envelope promises.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate, validates

#: JSON types each field kind accepts in a JSON body (marshmallow alone would take "5" for 5, 1 for true).
_JSON_TYPES: list[tuple[type, tuple[type, ...], object]] = [
    (fields.Boolean, (bool,), _l("a boolean")),
    (fields.Integer, (int,), _l("an integer")),
    (fields.Float, (int, float), _l("a number")),
    (fields.Decimal, (int, float), _l("a number")),
    (fields.String, (str,), _l("a string")),
    (fields.Date, (str,), _l("a date string")),
    (fields.DateTime, (str,), _l("a date-time string")),
    (fields.List, (list,), _l("a list")),
    (fields.Nested, (dict,), _l("an object")),
    (fields.Dict, (dict,), _l("an object")),
]


def _type_errors(schema: Schema, data: dict) -> dict:
    errors: dict = {}
    for name, field in schema.fields.items():
        key = field.data_key or name
        if key not in data or field.dump_only:
            continue
        problem = _field_errors(field, data[key])
        if problem:
            errors[key] = problem
    return errors


def _field_errors(field: fields.Field, value):
    if value is None:
        return None if field.allow_none else [_l("Field may not be null.")]
    for kind, accepted, label in _JSON_TYPES:
        if isinstance(field, kind):
            if not isinstance(value, accepted) or (isinstance(value, bool) and bool not in accepted):
                return [_l("Not a valid value: expected %(kind)s.", kind=label)]
            break
    if isinstance(field, fields.List) and isinstance(value, list):
        nested = {i: _field_errors(field.inner, v) for i, v in enumerate(value)}
        nested = {i: e for i, e in nested.items() if e}
        return nested or None
    if isinstance(field, fields.Nested) and isinstance(value, dict) and isinstance(field.schema, Schema):
        return _type_errors(field.schema, value) or None
    return None


#: Longest text field that is still one line (a name, a title, a code, a link): longer ones are free text.
ONE_LINE_MAX = 500
_LINE_BREAKS = frozenset("\t\n\r")


def _max_length(field: fields.Field) -> int | None:
    validators = field.validators if isinstance(field.validators, list) else [field.validators]
    lengths = [v.max for v in validators if isinstance(v, validate.Length) and v.max is not None]
    return min(lengths) if lengths else None


def _control_errors(schema: Schema, data: dict) -> dict:
    """Fields whose text holds control characters: none at all in a one-line field (a line break in a
    title ends up in an email header), only tab and line breaks in free text.
    """
    errors: dict = {}
    for name, field in schema.fields.items():
        key = field.data_key or name
        value = data.get(key)
        if not isinstance(field, fields.String) or field.dump_only or not isinstance(value, str):
            continue
        limit = _max_length(field)
        one_line = limit is not None and limit <= ONE_LINE_MAX and not field.metadata.get("multiline")
        allowed = (frozenset() if one_line else _LINE_BREAKS) | frozenset(
            field.metadata.get("allow_control", "")
        )
        if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in value):
            errors[key] = [
                _l("One line of text: no line breaks or control characters.")
                if one_line
                else _l("No control characters (line breaks and tabs are fine).")
            ]
    return errors


class StrictSchema(Schema):
    """Base of every input schema: unknown fields are an error, named in ``errors``.

    When the schema reads a JSON body, values must also have the JSON type the field declares: a
    string is not an integer and 0 is not false. Query strings are text by nature and are left to the
    fields' own parsing. Text never holds control characters, and a one-line field (at most
    ONE_LINE_MAX characters, unless its metadata says ``multiline``) not even a line break (metadata
    ``allow_control`` names the few a field needs, as GS1's group separator): the pages load their
    forms with these schemas, so both refuse them with 422 naming the field.
    """

    class Meta:
        unknown = RAISE

    @pre_load
    def _no_control_characters(self, data, **_kwargs):
        if isinstance(data, Mapping):  # a JSON body or a query string (webargs' MultiDictProxy)
            errors = _control_errors(self, data)
            if errors:
                raise ValidationError(errors)
        return data

    @pre_load
    def _json_types(self, data, **_kwargs):
        if (
            has_request_context()
            and request.is_json
            and isinstance(data, dict)
            and data == request.get_json(silent=True)
        ):
            errors = _type_errors(self, data)
            if errors:
                raise ValidationError(errors)
        return data


class PageArgsSchema(StrictSchema):
    """``page`` (from 1), ``page_size`` (1..100) and ``order_by`` (a whitelisted field, ``-`` for descending)."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    order_by = fields.String(load_default=None, validate=validate.Length(max=40))

    #: Fields a list may be ordered by; subclasses name theirs.
    ORDERABLE: tuple[str, ...] = ("id",)

    @pre_load
    def _no_control_characters(self, data, **_kwargs):
        # SQLite's LIKE stops at a NUL byte (so "q=%00" would match everything there and nothing on
        # PostgreSQL): control characters in a filter are refused the same way on both databases.
        bad = {
            key: [_l("Control characters are not allowed.")]
            for key in data
            if any(
                any(ord(ch) < 32 for ch in value)
                for value in (data.getlist(key) if hasattr(data, "getlist") else [data[key]])
                if isinstance(value, str)
            )
        }
        if bad:
            raise ValidationError(bad)
        return data

    @validates("order_by")
    def _known_order(self, value: str | None, **_kwargs) -> None:
        if value is not None and value.lstrip("-") not in self.ORDERABLE:
            raise ValidationError(
                [
                    _l(
                        "Order by one of: %(fields)s (prefix '-' for descending).",
                        fields=", ".join(self.ORDERABLE),
                    )
                ]
            )


def flatten(errors, prefix: str = "") -> dict[str, list]:
    """marshmallow's nested messages (``{"lines": {0: {"quantity": [...]}}}``) as dotted keys (``lines.0.quantity``)."""
    flat: dict[str, list] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict):
                flat.update(flatten(value, name))
            else:
                flat.setdefault(name, []).extend(value if isinstance(value, list) else [value])
    elif errors:
        flat.setdefault(prefix or "_schema", []).extend(errors if isinstance(errors, list) else [errors])
    return flat
