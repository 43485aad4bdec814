"""The stock fixtures moved to tests/conftest.py and tests/factories.py (one ``world`` for every test).

Only the old import paths of the helpers stay here, for branches written before the move.
"""

from tests.factories import NEXT_YEAR, count_rows, lot_state, reserve  # noqa: F401
