"""The page tests moved into their feature folders (tests/<feature>/test_pages.py, tests/web/).

The old import paths stay here, for branches written before the move; a test still in this folder
finds stock on the shelves as it used to.
"""

import pytest

from tests.factories import JUSTIFICATION, PageClient, api_request, flashes, future, shipped_dispatch, text  # noqa: F401


@pytest.fixture(autouse=True)
def _shelves(shelves):
    """The page world of old had three lots on the shelves: ``world.lots``."""
