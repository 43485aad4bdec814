"""Tests of the stock feature."""
