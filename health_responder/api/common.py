"""Pieces every API feature shares: the one list shape, paging arguments, ordering whitelists.

Messages of the schemas are lazy strings (English in the API, the page's language on a page), always
inside a list: marshmallow keeps a ``ValidationError`` message that is not a ``str`` as it is, so a lone
lazy string would not become the one-element list the envelope promises.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context, request
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


class StrictSchema(Schema):
    """Base of every input schema: unknown fields are an error, named in ``errors``.

    When the schema reads a JSON body, values must also have the JSON type the field declares: a
    string is not an integer and 0 is not false. Query strings are text by nature and are left to the
    fields' own parsing.
    """

    class Meta:
        unknown = RAISE

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


class ErrorSchema(Schema):
    """The one shape of every API error."""

    code = fields.Integer(required=True)
    status = fields.String(required=True)
    message = fields.String(required=True)
    errors = fields.Dict(required=True, metadata={"description": "Messages per field."})


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


_page_schemas: dict[str, type[Schema]] = {}


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The list shape for ``item_schema``: ``{items, page, page_size, total, pages}``."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    if name not in _page_schemas:
        _page_schemas[name] = type(
            name,
            (Schema,),
            {
                "items": fields.List(fields.Nested(item_schema), required=True),
                "page": fields.Integer(required=True),
                "page_size": fields.Integer(required=True),
                "total": fields.Integer(required=True),
                "pages": fields.Integer(required=True),
            },
        )
    return _page_schemas[name]


def paginate(
    session, statement: sa.Select, args: dict, columns: dict[str, Any], default_order: tuple = ()
) -> dict:
    """Run ``statement`` for one page. ``columns`` maps each orderable name to its column.

    The id is always the last sort key, so pages never overlap or skip rows.
    """
    page, size = args.get("page", 1), min(args.get("page_size", 20), current_app.config["MAX_PAGE_SIZE"])
    order = args.get("order_by")
    keys = []
    if order:
        column = columns[order.lstrip("-")]
        keys.append(column.desc() if order.startswith("-") else column.asc())
    keys.extend(default_order)
    id_column = columns.get("id")
    if id_column is not None:
        keys.append(id_column.desc() if order == "-id" else id_column.asc())
    total = session.scalar(sa.select(sa.func.count()).select_from(statement.order_by(None).subquery()))
    rows = session.scalars(statement.order_by(*keys).limit(size).offset((page - 1) * size)).all()
    return {
        "items": rows,
        "page": page,
        "page_size": size,
        "total": total,
        "pages": (total + size - 1) // size if total else 0,
    }
