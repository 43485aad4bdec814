"""The features that plug into the app, in one list each for API, pages, CLI and demo data.

``create_app`` and the seed command walk these lists, so adding a feature is one line here.
"""

from __future__ import annotations

import importlib
from types import ModuleType

API = [
    "auth.api",
    "reference.api",
    "providers.api",
    "scorecards.api",
    "stock.api",
    "health_requests.api",
    "allocation.api",
    "dispatch.api",
    "checks.api",
    "notifications.api",
    "documents.api",
    "reports.api",
    "training.api",
    "materials.api",
    "portal.api",
    "barcodes.api",
    "publications.api",
    "offices.api",
    "hub.api",
]
PAGES = [
    "health_requests.pages",
    "allocation.pages",
    "stock.pages",
    "dispatch.pages",
    "reports.pages",
    "training.pages",
    "materials.pages",
    "checks.pages",
    "portal.pages",
    "documents.pages",
    "barcodes.pages",
    "publications.pages",
    "offices.pages",
    "providers.pages",
    "scorecards.pages",
    "hub.pages",
    "notifications.pages",
    "admin.pages",
    "profile.pages",
]
CLI = ["stock.cli", "reports.cli", "scheduler.cli"]
#: The modules whose ``@job`` checks the scheduler runs (imported by name: the scheduler imports no feature).
JOBS = [
    "allocation.jobs",
    "health_requests.jobs",
    "stock.jobs",
    "training.jobs",
    "notifications.jobs",
    "publications.jobs",
    "documents.jobs",
]
SEED = [
    "stock.seed",
    "health_requests.seed",
    "training.seed",
    "offices.seed",
    "materials.seed",
    "publications.seed",
]


def present(names: list[str]) -> list[ModuleType]:
    """Import ``health_responder.<name>`` for each name."""
    return [importlib.import_module(f"health_responder.{name}") for name in names]
