"""Sorting a list page by its columns: ``?sort=<key>&dir=asc|desc``, the keys whitelisted by each page.

A key the page does not offer is ignored (a stale bookmark still opens the list in its default order);
the query function maps each offered key to its column (``order_by`` names, ``-`` for descending), so
no request parameter ever reaches SQL as a name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask import request


@dataclass(frozen=True)
class Sort:
    """The column a list is sorted by (None: the list's own order) and the direction."""

    key: str | None
    dir: str = "asc"

    @property
    def order_by(self) -> str | None:
        """The query's ``order_by`` name: the key, ``-`` first when descending; None for the default."""
        if self.key is None:
            return None
        return ("-" if self.dir == "desc" else "") + self.key


def sort_of(keys: Iterable[str]) -> Sort:
    """The sort the query string asks for among ``keys`` (anything else: the list's default)."""
    key = request.args.get("sort") or None
    direction = "desc" if request.args.get("dir") == "desc" else "asc"
    if key not in set(keys):
        return Sort(None)
    return Sort(key, direction)
