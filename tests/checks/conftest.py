"""The checks' fixtures moved to tests/conftest.py and tests/factories.py (one ``world`` for every test).

Only the old import path of ``days`` stays here, for branches written before the move.
"""

from tests.factories import days  # noqa: F401
