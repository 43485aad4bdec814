"""Knowledge-hub fixtures: the training topics and the logged-in API clients of the training tests."""

from __future__ import annotations

from tests.training.conftest import api, provider, topics  # noqa: F401 - fixtures, shared as they are
