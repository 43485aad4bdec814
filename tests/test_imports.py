"""Shared modules point one way: no import cycle between the folders of health_responder/ but one.

Every ``import`` in every module is read with ``ast`` (at module level, inside functions, under
``if TYPE_CHECKING:`` alike: an import hidden in a function is still a dependency, it only fails
later), resolved to the top-level folder or module it lands in (``stock``, ``api``, ``db`` …), and
the graph of those is searched for cycles (its strongly connected components). The one cycle allowed
is the request's aggregate: ``health_requests``, ``allocation`` and ``dispatch`` (the request's cancel
and close release its reservations and cancel its prepared dispatches; shipping moves the request's
state; a dispatch ships allocations, which reserve request lines). ``allocation`` is in it by necessity:
a dispatch ships allocations and an allocation reserves a request line, so once requests and dispatches
know each other, any path through allocation closes the same loop.
Any other cycle fails, and in particular any through ``api``, ``auth``, ``errors`` or ``web``.

``health_responder/__init__.py`` is left out: ``create_app()`` wires every feature by design.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = "health_responder"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE
#: The only strongly connected component of more than one folder that may exist.
ALLOWED = {frozenset({"allocation", "dispatch", "health_requests"})}
#: Folders no cycle may pass through, allowed or not.
NEVER_IN_A_CYCLE = {"api", "auth", "errors", "web"}
#: Imports known to close a cycle, left out of the graph until the code that makes them has moved.
#: Each entry is (from folder, to folder): the reason it is here. None is left (issue 12 moved the last
#: one: GS1 reading went from barcodes to stock/gs1.py); an entry that no longer imports fails the test.
REMAINING: dict[tuple[str, str], str] = {}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _exists(module: str) -> bool:
    base = ROOT.parent.joinpath(*module.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _targets(node: ast.AST, module: str, package: bool) -> list[str]:
    """The modules of the package an import statement loads (``from x import y`` may load ``x.y``)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.split(".")[0] == PACKAGE]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        anchor = module.split(".") if package else module.split(".")[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join(anchor + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    if base.split(".")[0] != PACKAGE:
        return []
    found = []
    for alias in node.names:
        candidate = f"{base}.{alias.name}"
        found.append(candidate if _exists(candidate) else base)
    return found


def _unit(module: str) -> str | None:
    """The top-level folder or module under the package (``health_responder.stock.services`` → ``stock``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def import_graph() -> dict[str, dict[str, str]]:
    """``graph[a][b]`` = one place (``path:line``) where a module of ``a`` imports one of ``b``."""
    graph: dict[str, dict[str, str]] = defaultdict(dict)
    for path in sorted(ROOT.rglob("*.py")):
        module = _module_name(path)
        source = _unit(module)
        if source is None:  # health_responder/__init__.py: the app factory
            continue
        graph.setdefault(source, {})
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            for target in _targets(node, module, _is_package(path)):
                unit = _unit(target)
                if unit is not None and unit != source:
                    graph[source].setdefault(unit, f"{path.relative_to(ROOT.parent)}:{node.lineno}")
    return graph


def cycles(graph: dict[str, dict[str, str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one node (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in graph.get(node, {}):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _explain(graph, component) -> str:
    edges = [
        f"    {a} -> {b}  ({where})"
        for a in sorted(component)
        for b, where in sorted(graph[a].items())
        if b in component
    ]
    return f"  cycle through {', '.join(sorted(component))}:\n" + "\n".join(edges)


def test_the_walk_sees_imports_inside_functions_and_relative_ones():
    graph = import_graph()
    assert {"db", "errors", "stock"} <= set(graph)
    # cli.py imports auth and seed inside its commands only; the walk must still see them.
    assert {"auth", "seed"} <= set(graph["cli"])
    tree = ast.parse("def f():\n    from . import services\n    from ..db import utcnow\n")
    nodes = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert _targets(nodes[0], f"{PACKAGE}.stock.api", False) == [f"{PACKAGE}.stock.services"]
    assert _targets(nodes[1], f"{PACKAGE}.stock.api", False) == [f"{PACKAGE}.db"]


def test_the_cycle_search_finds_a_cycle_of_three_and_ignores_a_chain():
    assert cycles({"a": {"b": ""}, "b": {"c": ""}, "c": {"a": ""}, "d": {"a": ""}}) == [frozenset("abc")]
    assert cycles({"a": {"b": ""}, "b": {"c": ""}, "c": {}}) == []


def test_no_import_cycle_between_folders_but_the_requests_aggregate():
    graph = import_graph()
    stale = [pair for pair in REMAINING if pair[1] not in graph.get(pair[0], {})]
    assert not stale, f"no longer imported, so no longer excused: {stale}"
    for source, target in REMAINING:
        graph.get(source, {}).pop(target, None)
    found = cycles(graph)
    forbidden = [c for c in found if c not in ALLOWED or c & NEVER_IN_A_CYCLE]
    if forbidden:
        pytest.fail(
            "import cycles between folders of health_responder/ (move the shared piece down, or import "
            "the other way):\n" + "\n".join(_explain(graph, c) for c in forbidden)
        )


def test_no_module_is_imported_under_a_one_letter_alias():
    """``_`` is gettext by convention; any other one-letter alias hides what the name is."""
    found = []
    for path in sorted(ROOT.parent.glob("*/**/*.py")):
        if path.parts[len(ROOT.parent.parts)] in {".venv", "node_modules", "migrations"}:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                found += [
                    f"{path.relative_to(ROOT.parent)}:{node.lineno}: as {alias.asname}"
                    for alias in node.names
                    if alias.asname is not None and len(alias.asname) == 1 and alias.asname != "_"
                ]
    assert found == []
