"""Hypothesis stateful tests of the ledger, the request workflow and training seats."""
