"""The house's layout rule for pages: a page reads through its feature's queries and writes through
its services, so no ``pages.py`` touches the session or builds a statement itself, and its WTForms
classes live in the feature's ``forms.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "health_responder"
PAGES = sorted(PACKAGE.glob("**/pages.py"))


def _name(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def test_the_page_modules_are_found():
    assert len(PAGES) >= 7, PAGES  # the web frame's and every feature's with pages
    assert PACKAGE / "web" / "pages.py" in PAGES


@pytest.mark.parametrize("path", PAGES, ids=_name)
def test_no_page_module_uses_the_session_or_builds_a_statement(path: Path):
    source = path.read_text(encoding="utf-8")
    found = [
        f"{_name(path)}:{number}: {line.strip()}"
        for number, line in enumerate(source.splitlines(), start=1)
        if "db.session" in line or "select(" in line
    ]
    assert not found, "reads belong in queries.py, commits in web.forms.perform/commit:\n" + "\n".join(found)


def _form_classes(tree: ast.Module) -> list[str]:
    return [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(isinstance(base, ast.Name) and base.id in {"FlaskForm", "Form"} for base in node.bases)
    ]


@pytest.mark.parametrize("path", [p for p in PAGES if p.parent.name != "web"], ids=_name)
def test_page_modules_define_no_form_classes(path: Path):
    forms = _form_classes(ast.parse(path.read_text(encoding="utf-8")))
    assert not forms, f"{_name(path)} defines {forms}: WTForms classes live in the feature's forms.py"


def test_web_forms_keeps_only_what_is_shared():
    forms = _form_classes(ast.parse((PACKAGE / "web" / "forms.py").read_text(encoding="utf-8")))
    assert forms == ["LoginForm"]  # the web frame's own login page; features keep theirs


#: The house's limit on a module's length (issue 12): past it, a module holds two things.
MAX_LINES = 600


def test_no_module_of_the_package_is_over_600_lines():
    long = {
        str(path.relative_to(PACKAGE)): lines
        for path in sorted(PACKAGE.rglob("*.py"))
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these modules (at most {MAX_LINES} lines each): {long}"
