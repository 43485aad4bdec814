"""The request workflow's world serves the scorecard tests."""

from tests.health_requests.conftest import make_lot, world  # noqa: F401
