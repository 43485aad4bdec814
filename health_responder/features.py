"""The features that plug into the app, in one list each for API, pages, CLI and demo data.

A feature that is not installed yet (its module absent) is skipped; an import error inside a
present module is raised, never hidden.
"""

from __future__ import annotations

import importlib
from types import ModuleType

API = ["stock.api", "health_requests.api", "dispatch.api", "checks.api", "notifications.api", "documents.api",
       "reports.api", "training.api", "portal.api"]
PAGES = ["health_requests.pages", "stock.pages", "dispatch.pages", "training.pages", "checks.pages",
         "portal.pages", "documents.pages"]
CLI = ["stock.cli", "reports.cli", "scheduler", "training.cli"]
SEED = ["stock.seed", "health_requests.seed", "training.seed"]


def present(names: list[str]) -> list[ModuleType]:
    """Import ``health_responder.<name>`` for each name that exists."""
    found = []
    for name in names:
        module = f"health_responder.{name}"
        try:
            found.append(importlib.import_module(module))
        except ModuleNotFoundError as error:
            if not error.name or not module.startswith(error.name):
                raise
    return found
