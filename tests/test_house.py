"""Rules of the house that a reader can check on the code itself, checked here so they hold.

Every public function of every ``<feature>/queries.py`` takes keyword-only arguments, in one order:
the viewer (``user``) first, then the subject (the record or id asked about), then filters (``args``,
a period, a date), then paging (``limit``, ``batch``, ``order``). A positional call can pass the
user where the id belongs, and with two ids of the same type nothing notices; keywords make the
call say what it passes.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "health_responder"
QUERIES = sorted(
    ".".join(path.relative_to(ROOT.parent).with_suffix("").parts) for path in ROOT.rglob("queries.py")
)
VIEWER = {"user", "viewer"}
FILTERS = {"args", "filters", "period", "since", "until", "today", "words", "threshold"}
PAGING = {"limit", "page", "page_size", "batch", "order", "order_by", "offset"}


def _rank(name: str) -> int:
    if name in VIEWER:
        return 0
    if name in PAGING:
        return 3
    return 2 if name in FILTERS else 1


def _public_functions(module_name: str) -> list:
    module = importlib.import_module(module_name)
    return [
        function
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if not name.startswith("_") and function.__module__ == module_name
    ]


def _positional(function) -> list[str]:
    return [
        parameter.name
        for parameter in inspect.signature(function).parameters.values()
        if parameter.kind is not inspect.Parameter.KEYWORD_ONLY
        and parameter.kind is not inspect.Parameter.VAR_KEYWORD
    ]


def test_every_feature_with_queries_is_walked():
    assert len(QUERIES) >= 15
    assert "health_responder.stock.queries" in QUERIES


@pytest.mark.parametrize("module_name", QUERIES)
def test_queries_take_keyword_only_arguments_in_one_order(module_name):
    functions = _public_functions(module_name)
    positional = [
        f"{function.__name__}({', '.join(_positional(function))})"
        for function in functions
        if _positional(function)
    ]
    assert positional == [], f"{module_name}: public functions taking positional parameters"
    out_of_order = []
    for function in functions:
        parameters = inspect.signature(function).parameters.values()
        names = [p.name for p in parameters if p.kind is not inspect.Parameter.VAR_KEYWORD]
        ranks = [_rank(name) for name in names]
        if ranks != sorted(ranks):
            out_of_order.append(f"{function.__name__}({', '.join(names)})")
    assert out_of_order == [], (
        f"{module_name}: parameters not in the house order (user, subject, filters, paging)"
    )


def test_the_walk_fails_on_a_positional_parameter():
    def keyword_only(*, user, lot_id):
        """A query as the house writes it."""

    def positional(user, lot_id):
        """A query the test must refuse."""

    assert _positional(keyword_only) == []
    assert _positional(positional) == ["user", "lot_id"]
    assert [_rank(name) for name in ("user", "lot_id", "args", "limit")] == [0, 1, 2, 3]
