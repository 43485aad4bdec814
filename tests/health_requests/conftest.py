"""The request workflow's fixtures moved to tests/conftest.py and tests/factories.py (one ``world``).

Only the old import paths of the helpers stay here, for branches written before the move.
"""

from tests.factories import (  # noqa: F401
    JUSTIFICATION,
    allocate,
    approved,
    create,
    ledger_ok,
    lot,
    request_body,
)
