"""Rules of the house that a reader can check on the code itself, checked here so they hold.

Every public function of every ``<feature>/queries.py`` takes keyword-only arguments, in one order:
the viewer (``user``, or ``member``: whether a logged-in user looks) first, then the subject (the
record or id asked about), then filters (``args``, a period, a date), then paging (``limit``,
``batch``, ``order``). A positional call can pass the
user where the id belongs, and with two ids of the same type nothing notices; keywords make the
call say what it passes.

And two "one of each" rules of issue 12: one ``STAFF`` (the association's roles, spelled out only where
it is defined) and one ``flatten`` (marshmallow's nested messages as dotted keys).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "health_responder"
QUERIES = sorted(
    ".".join(path.relative_to(ROOT.parent).with_suffix("").parts) for path in ROOT.rglob("queries.py")
)
VIEWER = {"user", "viewer", "member"}
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


def _trees():
    for path in sorted(ROOT.rglob("*.py")):
        yield path.relative_to(ROOT.parent).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def test_one_staff_and_one_flatten():
    """``STAFF`` is defined once (auth/models.py) and spelled out nowhere else; ``flatten`` is defined once."""
    staff, flattens, spelled_out = [], [], []
    for where, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                staff += [
                    where for target in targets if isinstance(target, ast.Name) and target.id == "STAFF"
                ]
            elif isinstance(node, ast.FunctionDef) and "flatten" in node.name:
                flattens.append(f"{where}:{node.name}")
            elif isinstance(node, ast.Tuple | ast.List | ast.Set):
                roles = {
                    e.attr
                    for e in node.elts
                    if isinstance(e, ast.Attribute) and isinstance(e.value, ast.Name)
                }
                if {"COORDINATOR", "ADMIN"} <= roles:
                    spelled_out.append(where)
    assert staff == ["health_responder/auth/models.py"]
    assert flattens == ["health_responder/schemas.py:flatten"]
    assert spelled_out == ["health_responder/auth/models.py"], "use STAFF (auth.models) instead"


def test_no_template_spells_out_the_staff_roles():
    """Templates ask ``is_staff()``; a tuple of roles with coordinator and admin (not all four) is STAFF again."""
    found = []
    for path in sorted(ROOT.rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for group in re.findall(r"\(([^()]*)\)", line):
                roles = set(re.findall(r"['\"](city|provider|coordinator|admin)['\"]", group))
                if {"coordinator", "admin"} <= roles and len(roles) < 4:
                    found.append(f"{path.relative_to(ROOT.parent)}:{number}")
    assert found == []
