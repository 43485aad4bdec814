"""Scheduled fulfilment checks: their runs and the alerts they raise."""
