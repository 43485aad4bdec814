"""Stock lots and the append-only movement ledger."""
