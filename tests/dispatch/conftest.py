"""The request workflow's fixtures (a world of tenants, lots) serve the dispatch tests too."""

from tests.health_requests.conftest import make_lot, world  # noqa: F401
